import Stripe from 'stripe'
import type { OffSessionCharge, OffSessionResult, SavedCard, SubscriptionState } from '../../provider.ts'
import { toStripeAmount } from './amounts.ts'
import { idOf } from './charges.ts'
import { INTENT_METADATA_KEY, toSubscriptionState } from './recurring-states.ts'

// Payments made without the buyer: a card saved in a Checkout (auto top-up) charged later, and
// subscriptions (paid plans), which Stripe itself renews and which Easel only cancels or resumes.

/**
 * The card a Checkout payment was made with, when it was saved for off-session use: the
 * PaymentIntent has a customer, a payment method and `setup_future_usage: off_session` (what
 * `payment_intent_data[setup_future_usage]` asked for). Anything less cannot be charged later.
 */
export async function savedCard(stripe: Stripe, paymentId: string): Promise<SavedCard | null> {
  const intent = await stripe.paymentIntents.retrieve(paymentId, { expand: ['payment_method'] })
  const customerId = idOf(intent.customer)
  const method = intent.payment_method
  if (customerId === null || method === null || intent.setup_future_usage !== 'off_session') return null
  // A host that does not expand answers the id: the payment method is then asked for on its own.
  const paymentMethod = typeof method === 'string' ? await stripe.paymentMethods.retrieve(method) : method
  return { customerId, paymentMethodId: paymentMethod.id, label: cardLabel(paymentMethod) }
}

/**
 * What the buyer recognises a payment method by: `visa •••• 4242` for a card, its type otherwise.
 *
 * @example
 * cardLabel({ type: 'card', card: { brand: 'visa', last4: '4242' } }) // → 'visa •••• 4242'
 * cardLabel({ type: 'sepa_debit', sepa_debit: { last4: '3000' } })    // → 'sepa_debit'
 */
export function cardLabel(method: Pick<Stripe.PaymentMethod, 'type' | 'card'>): string {
  const card = method.card
  if (method.type === 'card' && card) return `${card.brand} •••• ${card.last4}`
  return method.type
}

/**
 * Charges a saved card off-session (`off_session: true, confirm: true`), once per idempotency key.
 * Stripe answers a refused card (a decline, or a bank asking for authentication the buyer is not
 * there to give) with a `card_error`: that is the `declined` answer, carrying the PaymentIntent
 * Stripe made for the attempt when it says so. Anything else (the network, Stripe down, a bad
 * request) is thrown as the SDK threw it: nothing is known to have been charged.
 */
export async function chargeSavedCard(stripe: Stripe, request: OffSessionCharge): Promise<OffSessionResult> {
  try {
    const intent = await stripe.paymentIntents.create(
      {
        amount: toStripeAmount(request.amountMinor, request.currency),
        currency: request.currency.toLowerCase(),
        customer: request.customerId,
        payment_method: request.paymentMethodId,
        off_session: true,
        confirm: true,
        description: request.description,
        metadata: {
          [INTENT_METADATA_KEY]: request.reference,
          easel_account: request.accountId,
          easel_pack: request.packId,
        },
      },
      { idempotencyKey: request.idempotencyKey },
    )
    if (intent.status === 'succeeded') return { status: 'succeeded', paymentId: intent.id }
    if (intent.status === 'processing') return { status: 'processing', paymentId: intent.id }
    // `requires_action` without an error (a host that does not raise it) is still a card the buyer
    // would have to be there for: as good as declined, and said so.
    return {
      status: 'declined',
      paymentId: intent.id,
      reason: intent.last_payment_error?.message ?? `the payment needs the buyer (${intent.status})`,
    }
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      return { status: 'declined', paymentId: error.payment_intent?.id ?? null, reason: declineReason(error) }
    }
    throw error
  }
}

/**
 * Stripe's words for a refused card (`Your card was declined.`), as its failure event says them:
 * the SDK's `message` starts with the request's id (`[req_…] …`), which is for Stripe's support,
 * not for the buyer; the PaymentIntent's id is kept beside the reason instead.
 */
function declineReason(error: Stripe.errors.StripeCardError): string {
  const raw = (error.raw as { message?: unknown } | undefined)?.message
  return typeof raw === 'string' && raw !== '' ? raw : error.message
}

/** Cancels a subscription at the end of its current period (`true`) or takes that back. */
export async function setCancelAtPeriodEnd(
  stripe: Stripe,
  subscriptionId: string,
  cancel: boolean,
): Promise<SubscriptionState> {
  return subscriptionState(
    await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: cancel }),
  )
}

export async function retrieveSubscription(
  stripe: Stripe,
  subscriptionId: string,
): Promise<SubscriptionState> {
  return subscriptionState(await stripe.subscriptions.retrieve(subscriptionId))
}

function subscriptionState(subscription: Stripe.Subscription): SubscriptionState {
  const state = toSubscriptionState(subscription)
  if (!state) throw new Error(`Stripe answered a subscription that is not shaped as one: ${subscription.id}`)
  return state
}
