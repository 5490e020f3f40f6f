import type Stripe from 'stripe'
import type { CheckoutSession, PaymentEvent } from '../../provider.ts'
import { toStripeAmount } from './amounts.ts'
import { currencyOf, idOf, minorOf, toChargeState, toDisputeState } from './charges.ts'
import {
  INTENT_METADATA_KEY,
  oneOf,
  toInvoiceState,
  toPaymentState,
  toSubscriptionState,
} from './recurring-states.ts'

export { INTENT_METADATA_KEY }

/**
 * The event types Easel acts on (listed by `easel billing reconcile`): a Checkout Session's, what
 * happens to its payment afterwards (refunded, disputed, a dispute decided), an off-session
 * payment's outcome (auto top-up), and a subscription's invoices and changes (paid plans).
 */
export const EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
] as const satisfies readonly Stripe.Event.Type[]

/**
 * A Checkout Session in Easel's terms. Stripe writes currencies in lower case and amounts in its own
 * units of the currency (`amount_total`: mostly the ISO minor unit, see `amounts.ts`), turned into
 * Easel's minor units here; an amount that is not a whole number of them is null (and grants nothing).
 */
export function toCheckoutSession(session: Stripe.Checkout.Session): CheckoutSession {
  const currency = currencyOf(session.currency)
  return {
    id: session.id,
    reference: session.metadata?.[INTENT_METADATA_KEY] ?? null,
    // A value this Easel does not know counts as the one that grants nothing.
    status: oneOf(session.status, ['complete', 'expired'] as const) ?? 'open',
    paymentStatus: oneOf(session.payment_status, ['paid', 'no_payment_required'] as const) ?? 'unpaid',
    amountTotalMinor: minorOf(session.amount_total, currency),
    currency,
    paymentId: idOf(session.payment_intent),
    mode: oneOf(session.mode, ['subscription', 'setup'] as const) ?? 'payment',
    customerId: idOf(session.customer),
    subscriptionId: idOf(session.subscription),
    taxMinor: taxMinorOf(session.total_details?.amount_tax, currency),
  }
}

/**
 * The tax Stripe Tax added, in minor units; 0 when none. It is shown on receipts, never checked
 * against a payment, so a tax that is not a whole minor unit (Stripe counts ISK in hundredths) is
 * rounded to the nearest one (half up) rather than dropped.
 */
function taxMinorOf(amount: unknown, currency: string | null): number {
  if (currency === null || !Number.isSafeInteger(amount) || (amount as number) <= 0) return 0
  const exact = minorOf(amount, currency)
  if (exact !== null) return exact
  // Only reached where Stripe's units are finer than the minor unit, so one minor unit is a whole
  // number of Stripe's (100 for ISK).
  return Math.round((amount as number) / toStripeAmount(1, currency))
}

/** A Stripe event in Easel's terms (what it is about, for the dispatcher); null if it is not shaped as one. */
export function toPaymentEvent(event: Stripe.Event): PaymentEvent | null {
  const parsed = event as unknown as {
    id?: unknown
    type?: unknown
    created?: unknown
    data?: { object?: unknown }
  }
  if (
    typeof parsed.id !== 'string' ||
    typeof parsed.type !== 'string' ||
    !Number.isSafeInteger(parsed.created) ||
    typeof parsed.data?.object !== 'object' ||
    parsed.data.object === null
  ) {
    return null
  }
  const base = { id: event.id, type: event.type, createdAt: event.created * 1000 }
  const object = event.data.object as { object?: string; id?: string }
  switch (object.object) {
    case 'checkout.session':
      return {
        ...base,
        subject: { kind: 'checkout', session: toCheckoutSession(object as Stripe.Checkout.Session) },
      }
    case 'charge': {
      const charge = toChargeState(object as Stripe.Charge)
      return charge && { ...base, subject: { kind: 'charge', charge } }
    }
    case 'dispute': {
      const dispute = toDisputeState(object as Stripe.Dispute)
      return dispute && { ...base, subject: { kind: 'dispute', dispute } }
    }
    case 'payment_intent': {
      const payment = toPaymentState(object as Stripe.PaymentIntent)
      return payment && { ...base, subject: { kind: 'payment', payment } }
    }
    case 'invoice': {
      const invoice = toInvoiceState(object as Stripe.Invoice)
      return invoice && { ...base, subject: { kind: 'invoice', invoice } }
    }
    case 'subscription': {
      const subscription = toSubscriptionState(object as Stripe.Subscription)
      return subscription && { ...base, subject: { kind: 'subscription', subscription } }
    }
    default:
      return {
        ...base,
        subject: { kind: 'other', objectId: typeof object.id === 'string' ? object.id : null },
      }
  }
}
