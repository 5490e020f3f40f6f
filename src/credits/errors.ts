import { InvariantViolation } from '../db/writer/index.ts'

/**
 * The closed set of outcomes a credit operation can refuse with. They are values, not exceptions:
 * "not enough credits" is an everyday answer. A broken invariant is different: it throws
 * {@link LedgerInvariantError}, because carrying on would corrupt the books.
 */
export type CreditError =
  | { code: 'VALIDATION'; message: string; field: string }
  | { code: 'ACCOUNT_NOT_FOUND'; message: string; accountId: string }
  | { code: 'ACCOUNT_EXISTS'; message: string; accountId: string }
  | { code: 'HOLD_NOT_FOUND'; message: string; holdId: string }
  | { code: 'INSUFFICIENT_CREDITS'; message: string; requested: number; available: number }
  | { code: 'HOLD_ALREADY_SETTLED'; message: string; holdId: string; status: string }
  | { code: 'HOLD_EXPIRED'; message: string; holdId: string; expiredAt: number }
  | { code: 'HOLD_NOT_CAPTURED'; message: string; holdId: string; status: string }
  | { code: 'REFUND_EXCEEDS_CAPTURE'; message: string; holdId: string; refundable: number }
  | { code: 'IDEMPOTENCY_CONFLICT'; message: string; key: string }
  | { code: 'PURCHASE_NOT_FOUND'; message: string; providerReference: string }
  | { code: 'PURCHASE_CREDITS_HELD'; message: string; providerReference: string; held: number }

export type CreditErrorCode = CreditError['code']

export type Result<T, E = CreditError> = { ok: true; value: T } | { ok: false; error: E }

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value })
export const fail = <E extends CreditError>(error: E): { ok: false; error: E } => ({ ok: false, error })

export function validation(field: string, message: string): { ok: false; error: CreditError } {
  return fail({ code: 'VALIDATION', field, message: `${field}: ${message}` })
}

/**
 * A bug: the books would be wrong if we went on. Never caught to carry on; as an
 * {@link InvariantViolation}, group commit rolls it back and never retries it.
 */
export class LedgerInvariantError extends InvariantViolation {
  constructor(message: string) {
    super(`ledger invariant broken: ${message}`)
    this.name = 'LedgerInvariantError'
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new LedgerInvariantError(message)
}
