/**
 * A refund the payment provider answered and refused: more than is left of the payment, a payment
 * already refunded in full, one charged back, or one the provider does not know. Nothing was given
 * back, and asking again the same way will be refused again — unlike a network or provider outage
 * (any other error `refund()` throws), after which the same request, with the same key, may be
 * retried.
 *
 * Provider-neutral: each `billing/providers/<name>/` throws this class, never its SDK's errors, so
 * billing code tells the two apart with `instanceof` without importing a provider.
 *
 * @example
 * try {
 *   await provider.refund({ paymentId, amountMinor: 500, currency: 'USD', idempotencyKey })
 * } catch (error) {
 *   if (error instanceof RefundRefused) return { ok: false, error: { code: 'CONFLICT', message: error.message } }
 *   throw error
 * }
 */
export class RefundRefused extends Error {
  override readonly name = 'RefundRefused'

  constructor(
    /** The provider's code for why (`charge_already_refunded`, `charge_disputed`, …), or its error type when it gave none. */
    readonly code: string,
    /** The provider's own words, for the operator. */
    message: string,
  ) {
    super(message)
  }
}
