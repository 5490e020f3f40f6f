import type Stripe from 'stripe'
import type { CheckoutSession, PaymentEvent } from '../../provider.ts'
import { fromStripeAmount } from './amounts.ts'

/** The event types of a Checkout Session that Easel acts on (listed by `easel billing reconcile`). */
export const CHECKOUT_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const satisfies readonly Stripe.Event.Type[]

/** The metadata key on a Checkout Session that names Easel's purchase intent. */
export const INTENT_METADATA_KEY = 'easel_intent'

/**
 * A Checkout Session in Easel's terms. Stripe writes currencies in lower case and amounts in its own
 * units of the currency (`amount_total`: mostly the ISO minor unit, see `amounts.ts`), turned into
 * Easel's minor units here; an amount that is not a whole number of them is null (and grants nothing).
 */
export function toCheckoutSession(session: Stripe.Checkout.Session): CheckoutSession {
  const currency = session.currency === null ? null : session.currency.toUpperCase()
  return {
    id: session.id,
    reference: session.metadata?.[INTENT_METADATA_KEY] ?? null,
    // A value this Easel does not know counts as the one that grants nothing.
    status: oneOf(session.status, ['complete', 'expired'] as const) ?? 'open',
    paymentStatus: oneOf(session.payment_status, ['paid', 'no_payment_required'] as const) ?? 'unpaid',
    amountTotalMinor:
      session.amount_total === null || currency === null
        ? null
        : fromStripeAmount(session.amount_total, currency),
    currency,
  }
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
  if (object.object === 'checkout.session') {
    return {
      ...base,
      subject: { kind: 'checkout', session: toCheckoutSession(object as Stripe.Checkout.Session) },
    }
  }
  return { ...base, subject: { kind: 'other', objectId: typeof object.id === 'string' ? object.id : null } }
}

function oneOf<T extends string>(value: string | null, known: readonly T[]): T | null {
  return (known as readonly string[]).includes(value ?? '') ? (value as T) : null
}
