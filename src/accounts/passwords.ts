import { type Algorithm, hash, verify } from '@node-rs/argon2'
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

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 200

/** Refuses a password that is not text of 8 to 200 characters (counted as code points, untrimmed). */
export function checkPassword(password: unknown): Refusal | null {
  if (typeof password !== 'string') return invalid('password', 'is required')
  const length = [...password].length
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    return invalid('password', `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`)
  }
  return null
}

/** The password's Argon2id hash as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS)
}

/** Whether `password` matches `passwordHash`. A malformed stored hash is a bug and throws. */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password)
}
