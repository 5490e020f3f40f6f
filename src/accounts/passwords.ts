import { type Algorithm, hash, verify } from '@node-rs/argon2'
import { PASSWORD_MAX } from '../contracts/limits.ts'
import { invalid, type Refusal } from './errors.ts'

/**
 * Argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1), which are also the package's defaults;
 * the PHC string stores them, so hashes made under other parameters keep verifying. `Algorithm` is
 * a const enum the package does not export at run time under tsx, hence the literal (2 = Argon2id).
 */
const PARAMS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

/**
 * A hash of a random password nobody knows, with {@link PARAMS}: verifying against it when an email
 * is unknown costs what a real check costs, so sign-in timing does not tell which emails exist.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$r8ROaFPnjNkYv9r+1MBr5w$3QPCjh9oZfT0JZDCIQJ5K6NZYgzoH1KY4uWtjM7vU3o'

export const PASSWORD_MIN = 10
export { PASSWORD_MAX }
/** How many of the most common passwords a new password may not be. */
export const COMMON_PASSWORDS_REFUSED = 10_000

/**
 * The rule for a new password (sign-up, the owner's set-up, users made by an administrator or the
 * CLI, password changes), as a pure function of the list of common passwords (lower-cased):
 * text of 10 to 200 characters (code points, untrimmed), not one character repeated, and not one
 * of the most common passwords in any case. Length is what makes a password hard to guess; the
 * list catches the long ones everybody tries first ("1234567890", "password12"). Sign-in does not
 * apply it: passwords set under an older rule must keep working.
 *
 * @example
 * passwordProblem('correct horse battery', common) // → null
 * passwordProblem('Password12', common) // → 'is one of the 10,000 most common passwords; choose another'
 */
export function passwordProblem(password: unknown, common: ReadonlySet<string>): string | null {
  if (typeof password !== 'string') return 'is required'
  const characters = [...password]
  if (characters.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`
  if (characters.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`
  const lower = password.toLowerCase()
  if (new Set(lower).size === 1) return 'must not be one character repeated'
  if (common.has(lower)) {
    return `is one of the ${COMMON_PASSWORDS_REFUSED.toLocaleString('en')} most common passwords; choose another`
  }
  return null
}

let common: Promise<ReadonlySet<string>> | undefined

/**
 * The most common passwords, lower-cased: the head of zxcvbn's ranked list (most used first). The
 * package decompresses about 50,000 entries when it is first imported, so it is imported on first
 * use, once per process, rather than at start-up.
 */
export function commonPasswords(): Promise<ReadonlySet<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => {
    const ranked = dictionary['passwords-common']
    if (!Array.isArray(ranked) || ranked.length < COMMON_PASSWORDS_REFUSED) {
      throw new Error('the common-password list of @zxcvbn-ts/language-common is not what it was')
    }
    return new Set(ranked.slice(0, COMMON_PASSWORDS_REFUSED).map((p) => p.toLowerCase()))
  })
  return common
}

/** Refuses a new password that breaks {@link passwordProblem}'s rule, saying which part. */
export async function checkPassword(password: unknown): Promise<Refusal | null> {
  const problem = passwordProblem(
    password,
    typeof password === 'string' ? await commonPasswords() : new Set(),
  )
  return problem === null ? null : invalid('password', problem)
}

/** The password's Argon2id hash as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS)
}

/** Whether `password` matches `passwordHash`. A malformed stored hash is a bug and throws. */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password)
}
