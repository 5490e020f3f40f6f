import type Stripe from 'stripe'
import type { InvoiceState, PaymentState, SubscriptionState } from '../../provider.ts'
import { currencyOf, idOf, minorOf } from './charges.ts'

// What auto top-up and paid plans hear about from Stripe, in Easel's terms: an off-session
// PaymentIntent's outcome, a subscription's invoice, the subscription itself. As with charges, the
// objects arrive in signed events, so their shape is checked rather than trusted.

/** The metadata key naming Easel's intent on a PaymentIntent, Checkout Session or subscription. */
export const INTENT_METADATA_KEY = 'easel_intent'
/** The metadata key naming the plan on a subscription. */
export const PLAN_METADATA_KEY = 'easel_plan'

/** A string metadata value, or null. */
function metadataOf(object: { metadata?: unknown }, key: string): string | null {
  const metadata = object.metadata
  if (typeof metadata !== 'object' || metadata === null) return null
  const value = (metadata as Record<string, unknown>)[key]
  return typeof value === 'string' ? value : null
}

/** Seconds since the epoch (Stripe's timestamps) in ms, or null when it is not one. */
function msOf(seconds: unknown): number | null {
  return Number.isSafeInteger(seconds) ? (seconds as number) * 1000 : null
}

/**
 * A PaymentIntent in Easel's terms; null when it is not shaped as one (no id or currency). Stripe
 * sends a failed attempt back to `requires_payment_method` (or `canceled`, when it gives up) with
 * `last_payment_error` set: that is `failed`. A PaymentIntent in those states without an error has
 * not been tried yet (`other`), nor has one waiting for the buyer (`requires_action`, …).
 *
 * @example
 * toPaymentState({ ..., status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.' } })
 * // → { status: 'failed', failureMessage: 'Your card was declined.', … }
 */
export function toPaymentState(intent: Stripe.PaymentIntent): PaymentState | null {
  const currency = currencyOf(intent.currency)
  if (typeof intent.id !== 'string' || currency === null) return null
  const error = intent.last_payment_error
  const failureMessage = typeof error?.message === 'string' ? error.message : null
  return {
    id: intent.id,
    status: paymentStatus(intent.status, error != null),
    amountMinor: minorOf(intent.amount, currency),
    currency,
    reference: metadataOf(intent, INTENT_METADATA_KEY),
    customerId: idOf(intent.customer),
    paymentMethodId: idOf(intent.payment_method),
    failureMessage,
  }
}

function paymentStatus(status: unknown, attemptFailed: boolean): PaymentState['status'] {
  switch (status) {
    case 'succeeded':
      return 'succeeded'
    case 'processing':
      return 'processing'
    case 'requires_payment_method':
    case 'canceled':
      return attemptFailed ? 'failed' : 'other'
    default:
      return 'other'
  }
}

/**
 * An Invoice in Easel's terms; null when it is not shaped as one. Its subscription is
 * `parent.subscription_details.subscription` since API version 2025-03-31.basil, and the top-level
 * `subscription` before it: both are read, so a webhook endpoint pinned to an older version works.
 * The period is its first line's (the subscription item's), not the invoice's own `period_start`/
 * `period_end`, which for a subscription cover the period *before* the one billed.
 */
export function toInvoiceState(invoice: Stripe.Invoice): InvoiceState | null {
  const currency = currencyOf(invoice.currency)
  if (typeof invoice.id !== 'string' || currency === null) return null
  const legacy = invoice as unknown as { subscription?: unknown }
  const line = (invoice.lines as { data?: unknown } | undefined)?.data
  const period = Array.isArray(line)
    ? (line[0] as { period?: { start?: unknown; end?: unknown } } | undefined)?.period
    : undefined
  return {
    id: invoice.id,
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(legacy.subscription),
    customerId: idOf(invoice.customer),
    status: oneOf(invoice.status, ['paid', 'open', 'uncollectible', 'void'] as const) ?? 'draft',
    amountPaidMinor: minorOf(invoice.amount_paid, currency),
    currency,
    periodStart: msOf(period?.start),
    periodEnd: msOf(period?.end),
    billingReason: typeof invoice.billing_reason === 'string' ? invoice.billing_reason : null,
  }
}

/**
 * A Subscription in Easel's terms; null when it is not shaped as one. `current_period_end` moved
 * from the subscription to its items in API version 2025-03-31.basil; both are read (the item's
 * first, the one in force now), so either version's events are understood.
 */
export function toSubscriptionState(subscription: Stripe.Subscription): SubscriptionState | null {
  if (typeof subscription.id !== 'string' || typeof subscription.status !== 'string') return null
  const legacy = subscription as unknown as { current_period_end?: unknown }
  const items = (subscription.items as { data?: unknown } | undefined)?.data
  const item = Array.isArray(items) ? (items[0] as { current_period_end?: unknown } | undefined) : undefined
  return {
    id: subscription.id,
    customerId: idOf(subscription.customer),
    status: subscription.status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    currentPeriodEnd: msOf(item?.current_period_end) ?? msOf(legacy.current_period_end),
    reference: metadataOf(subscription, INTENT_METADATA_KEY),
    planId: metadataOf(subscription, PLAN_METADATA_KEY),
  }
}

export function oneOf<T extends string>(value: unknown, known: readonly T[]): T | null {
  return (known as readonly unknown[]).includes(value) ? (value as T) : null
}
