import { z } from 'zod'
import { EMAIL_MAX, KEY_NAME_MAX, MAX_EXPIRY_DAYS, PASSWORD_MAX } from './limits.ts'

// Users, sessions and API keys: /api/setup, /api/signup, /api/session, /api/me, /api/keys.

// The type's own message covers a missing or non-text value only; each bound says what it is
// (a schema-wide `error` would answer "is required" to a string that is merely too long).
const requiredText = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })

export const Email = requiredText().max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)

/**
 * A password as sent: at most PASSWORD_MAX characters, counted as the accounts service counts them
 * (code points). The rest of the rule for new passwords is the service's, so that sign-in keeps
 * taking passwords set under an older rule.
 */
export const Password = requiredText()
  .max(PASSWORD_MAX * 2, `must be at most ${PASSWORD_MAX} characters`)
  .refine((p) => [...p].length <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)

export const Credentials = z.object({ email: Email, password: Password })
export type Credentials = z.input<typeof Credentials>

/** The longest code looked at: a recovery code typed with spaces is 14 characters, an app's code 7. */
export const TWO_FACTOR_CODE_MAX = 40

/** A code as typed: six digits from the authenticator app, or a recovery code (`k3m9-x2qa-7hd4`). */
export const OneTimeCode = requiredText().max(
  TWO_FACTOR_CODE_MAX,
  `must be at most ${TWO_FACTOR_CODE_MAX} characters`,
)

/**
 * Sign-in: the credentials, and the code of an account with two-factor sign-in on (six digits from
 * the authenticator app, or a recovery code). Without it such an account is answered 401 with
 * `reason: TWO_FACTOR_REQUIRED`; a wrong one is 401 `INVALID_CODE`. At most 40 characters.
 */
export const SignInRequest = Credentials.extend({ code: OneTimeCode.optional() })
export type SignInRequest = z.input<typeof SignInRequest>

export const SignupRequest = Credentials.extend({ inviteCode: z.string().max(200).optional() })
export type SignupRequest = z.input<typeof SignupRequest>

export const ROLES = ['user', 'admin'] as const

export const UserBody = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  accountId: z.string(),
  plan: z.string(),
  cohorts: z.array(z.string()),
  disabled: z.boolean(),
  /**
   * Whether the email is shown to be theirs. With mail on, a person who signs up is unverified
   * until they open the link mailed to them, and their free credits wait until then.
   */
  emailVerified: z.boolean(),
  createdAt: z.number().int(),
})
export type UserBody = z.output<typeof UserBody>

export const SessionBody = z.object({ user: UserBody, csrfToken: z.string() })
export type SessionBody = z.output<typeof SessionBody>

export const MeBody = z.object({
  user: UserBody,
  csrfToken: z.string().nullable(),
  via: z.enum(['session', 'key']),
})
export type MeBody = z.output<typeof MeBody>

export const SIGNUP_POLICIES = ['open', 'invite', 'closed'] as const

export const SetupBody = z.object({
  setUp: z.boolean(),
  signup: z.enum(SIGNUP_POLICIES),
  /** Whether the caller is signed in (so a signed-out page need not ask /api/me). */
  signedIn: z.boolean(),
  /** The offline test checkout is on: no real money changes hands. */
  testCheckout: z.boolean(),
  /**
   * Mail is on, so sign-up verifies the address: it is answered 202 ("check your email") instead of
   * signing in, and free credits come once the link mailed is opened.
   */
  emailVerification: z.boolean(),
})
export type SetupBody = z.output<typeof SetupBody>

export const KeyBody = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
})
export type KeyBody = z.output<typeof KeyBody>

export const KeysBody = z.object({ keys: z.array(KeyBody) })
export type KeysBody = z.output<typeof KeysBody>

export const CreateKeyRequest = z.object({
  name: z.string().max(KEY_NAME_MAX).optional(),
  expiresInDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).optional(),
})
export type CreateKeyRequest = z.input<typeof CreateKeyRequest>

/** A new key: the response is the only time its secret is shown. */
export const CreatedKeyBody = z.object({ key: KeyBody, secret: z.string() })
export type CreatedKeyBody = z.output<typeof CreatedKeyBody>
