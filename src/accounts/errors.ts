import type { Result } from '../credits/index.ts'

/**
 * The closed set of refusals of the accounts service. Like the ledger's, they are values: a wrong
 * password is an everyday answer. Unknown email, wrong password and disabled user are all
 * `INVALID_CREDENTIALS`, so that an answer never tells which emails have accounts.
 */
export type AccountsError =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'EMAIL_TAKEN'; message: string }
  | { code: 'INVALID_CREDENTIALS'; message: string }
  | { code: 'SIGNUP_CLOSED'; message: string }
  | { code: 'INVITE_REQUIRED'; message: string }
  /** The code is unknown, used up or expired (which one is not said). */
  | { code: 'INVITE_INVALID'; message: string }
  | { code: 'ALREADY_SET_UP'; message: string }
  | { code: 'NOT_FOUND'; message: string }
  /**
   * A mailed link's token (password reset, email change, email verification) is unknown, used, expired, or its user
   * disabled (which one is not said). Nothing was changed.
   */
  | { code: 'TOKEN_INVALID'; message: string }
  /** A verification link asked for by someone whose email is verified already. */
  | { code: 'ALREADY_VERIFIED'; message: string }
  /** Too many failed sign-ins, or sign-ups from one address: try again after the wait. */
  | { code: 'THROTTLED'; message: string; retryAfterSeconds: number }
  /** The password was right and the account has two-factor sign-in: send it again with a code. */
  | { code: 'TWO_FACTOR_REQUIRED'; message: string }
  /** The password was right, the code was not (or was used already). */
  | { code: 'INVALID_CODE'; message: string }
  /** Two-factor sign-in is on already (set-up refused); turn it off first. */
  | { code: 'TWO_FACTOR_ENABLED'; message: string }
  /** Two-factor sign-in is off, so there is nothing to turn off or renew. */
  | { code: 'TWO_FACTOR_NOT_ENABLED'; message: string }
  /** No set-up in progress (never started, replaced, or expired) to enable with a code. */
  | { code: 'TWO_FACTOR_NO_SETUP'; message: string }
  /** Administrators may not turn two-factor sign-in off once it is on. */
  | { code: 'TWO_FACTOR_MANDATORY'; message: string }

export type AccountsErrorCode = AccountsError['code']

export type Refusal = { ok: false; error: AccountsError }

export const refuse = (error: AccountsError): Refusal => ({ ok: false, error })

export const invalid = (field: string, message: string): Refusal =>
  refuse({ code: 'VALIDATION', field, message: `${field}: ${message}` })

export const emailTaken = (): Refusal =>
  refuse({ code: 'EMAIL_TAKEN', message: 'a user with this email already exists' })

export const notFound = (what: string): Refusal => refuse({ code: 'NOT_FOUND', message: `no ${what}` })

/** A refusal to try again in `waitMs` (rounded up to whole seconds, at least one). */
export const throttled = (message: string, waitMs: number): Refusal =>
  refuse({ code: 'THROTTLED', message, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) })

export const tokenInvalid = (what: string): Refusal =>
  refuse({
    code: 'TOKEN_INVALID',
    message: `this ${what} link is not valid: it is unknown, already used or expired; ask for a new one`,
  })

export const alreadySetUp = (): Refusal =>
  refuse({ code: 'ALREADY_SET_UP', message: 'this installation already has its owner' })

/**
 * Thrown inside a write operation to roll its transaction back when a refusal is found after the
 * operation has written (a race lost on a unique index, seen only by the insert). The accounts
 * service turns it back into the refusal it carries; group commit reruns the batch's other
 * operations without it.
 */
export class RolledBack extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.error.message)
    this.name = 'RolledBack'
  }
}

/** Runs a write and answers a {@link RolledBack} with the refusal it carries. */
export async function refusalOnRollback<T>(
  work: () => Promise<Result<T, AccountsError>>,
): Promise<Result<T, AccountsError>> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof RolledBack) return error.refusal
    throw error
  }
}
