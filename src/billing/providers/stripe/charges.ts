import Stripe from 'stripe'
import type {
  ChargeState,
  DisputeState,
  PaymentDetails,
  RefundRequest,
  RefundStarted,
} from '../../provider.ts'
import { RefundRefused } from '../refund-refused.ts'
import { fromStripeAmount, toStripeAmount } from './amounts.ts'

// A Checkout payment after the fact: its charge (refunds, the receipt) and disputes about it, in
// Easel's terms, and the refund Easel asks for. Stripe's objects arrive in signed events, so their
// shape is checked rather than trusted: a field that is not what Stripe documents reads as unknown.

export { RefundRefused }

/** A Stripe currency (`usd`) as Easel writes it (`USD`), or null if it is not a three-letter code. */
export function currencyOf(value: unknown): string | null {
  return typeof value === 'string' && /^[a-z]{3}$/i.test(value) ? value.toUpperCase() : null
}

/** A Stripe amount in Easel's minor units; null when it is not an integer or not a whole number of them. */
export function minorOf(amount: unknown, currency: string | null): number | null {
  if (currency === null || !Number.isSafeInteger(amount)) return null
  return fromStripeAmount(amount as number, currency)
}

/** The id of a field Stripe sends as an id or, expanded, as the object. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id
  }
  return null
}

/**
 * A Charge in Easel's terms; null when it is not shaped as one (no id or currency). Stripe's
 * `amount_refunded` is the total refunded so far, whoever refunded (Easel, the Dashboard).
 */
export function toChargeState(charge: Stripe.Charge): ChargeState | null {
  const currency = currencyOf(charge.currency)
  if (typeof charge.id !== 'string' || currency === null) return null
  return {
    id: charge.id,
    paymentId: idOf(charge.payment_intent),
    amountMinor: minorOf(charge.amount, currency),
    amountRefundedMinor: minorOf(charge.amount_refunded, currency),
    currency,
    receiptUrl: typeof charge.receipt_url === 'string' ? charge.receipt_url : null,
  }
}

/** A Dispute in Easel's terms; null when it is not shaped as one (no id or currency). */
export function toDisputeState(dispute: Stripe.Dispute): DisputeState | null {
  const currency = currencyOf(dispute.currency)
  if (typeof dispute.id !== 'string' || currency === null) return null
  return {
    id: dispute.id,
    chargeId: idOf(dispute.charge),
    paymentId: idOf(dispute.payment_intent),
    amountMinor: minorOf(dispute.amount, currency),
    currency,
    status: disputeOutcome(dispute.status),
  }
}

/**
 * Where a dispute stands, from Easel's side: whether the money stayed. `warning_closed` is an
 * inquiry that closed without becoming a chargeback and `prevented` one stopped before it was
 * filed: no money left, so both count as won. Every other status (the `warning_*` inquiries,
 * `needs_response`, `under_review`, appeals, and any Stripe adds later) is still open.
 *
 * @example
 * disputeOutcome('lost')           // → 'lost'
 * disputeOutcome('warning_closed') // → 'won'
 * disputeOutcome('needs_response') // → 'open'
 */
export function disputeOutcome(status: unknown): DisputeState['status'] {
  switch (status) {
    case 'won':
    case 'warning_closed':
    case 'prevented':
      return 'won'
    case 'lost':
      return 'lost'
    default:
      return 'open'
  }
}

/** The PaymentIntent's latest charge and its receipt page (`expand[]=latest_charge`: one request). */
export async function paymentDetails(stripe: Stripe, paymentId: string): Promise<PaymentDetails> {
  const intent = await stripe.paymentIntents.retrieve(paymentId, { expand: ['latest_charge'] })
  const latest = intent.latest_charge
  if (latest === null) return { chargeId: null, receiptUrl: null }
  // A host that does not expand answers the id: the charge is then asked for on its own.
  const charge = typeof latest === 'string' ? await stripe.charges.retrieve(latest) : latest
  return { chargeId: charge.id, receiptUrl: charge.receipt_url ?? null }
}

/**
 * Refunds `amountMinor` of a PaymentIntent (its charge) once per idempotency key. Stripe's
 * `invalid_request_error` answers (400, 404) are its refusals: more than is left, already refunded,
 * charged back, no such payment; they become {@link RefundRefused}. Anything else (the network,
 * Stripe down, a key reused for another refund) is thrown as the SDK threw it.
 */
export async function createRefund(stripe: Stripe, request: RefundRequest): Promise<RefundStarted> {
  const amount = toStripeAmount(request.amountMinor, request.currency)
  try {
    const refund = await stripe.refunds.create(
      { payment_intent: request.paymentId, amount },
      { idempotencyKey: request.idempotencyKey },
    )
    // Stripe documents `status` as nullable; a refund without one has not finished.
    return { refundId: refund.id, status: refund.status ?? 'pending' }
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      // The SDK's `type` is its class name; Stripe's own is `rawType`. The message starts with
      // Stripe's request id (`[req_…]`), kept: it is what Stripe's support asks for.
      throw new RefundRefused(error.code ?? error.rawType ?? 'invalid_request_error', error.message)
    }
    throw error
  }
}
