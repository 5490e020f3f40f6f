import type { CreditError } from '../credits/index.ts'

/**
 * Refusals of the studio: expected outcomes, returned as values. Each maps to one HTTP status in
 * `http/errors.ts`; another account's job or image is NOT_FOUND, never FORBIDDEN.
 */
export type StudioError =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'NOT_FOUND'; message: string }
  | { code: 'CONTENT_POLICY'; message: string }
  | { code: 'INSUFFICIENT_CREDITS'; message: string; requested: number; available: number }
  | { code: 'IDEMPOTENCY_CONFLICT'; message: string }
  | { code: 'QUEUE_FULL'; message: string }
  /** The account already has `limit` jobs waiting or running (`EASEL_MAX_JOBS_PER_ACCOUNT`). */
  | { code: 'TOO_MANY_JOBS'; message: string; inFlight: number; limit: number }
  | { code: 'SHUTTING_DOWN'; message: string }
  /** The moderation service (EASEL_MODERATION) did not answer: unchecked prompts do not go ahead. */
  | { code: 'MODERATION_UNAVAILABLE'; message: string }

export const studioValidation = (field: string, message: string): StudioError => ({
  code: 'VALIDATION',
  field,
  message: `${field} ${message}`,
})

/** A ledger refusal seen while starting a job, in the studio's terms. */
export function fromCreditError(error: CreditError): StudioError {
  switch (error.code) {
    case 'INSUFFICIENT_CREDITS':
      return {
        code: 'INSUFFICIENT_CREDITS',
        message: `this needs ${error.requested} credit${error.requested === 1 ? '' : 's'} and ${error.available} ${error.available === 1 ? 'is' : 'are'} available`,
        requested: error.requested,
        available: error.available,
      }
    case 'VALIDATION':
      return { code: 'VALIDATION', field: error.field, message: error.message }
    case 'IDEMPOTENCY_CONFLICT':
      return { code: 'IDEMPOTENCY_CONFLICT', message: error.message }
    case 'ACCOUNT_NOT_FOUND':
      return { code: 'NOT_FOUND', message: error.message }
    default:
      // Settlement refusals cannot happen when taking a new hold: that would be a bug.
      throw new Error(`unexpected ledger refusal while starting a job: ${error.code}: ${error.message}`)
  }
}

/** A refusal as the failed side of a `Result`. */
export const refuse = (error: StudioError): { ok: false; error: StudioError } => ({ ok: false, error })
