import Stripe from 'stripe'
import type { Config } from '../../../config.ts'
import type { StripeConfig } from '../../../config-billing.ts'
import type { Result } from '../../../credits/index.ts'
import type { Clock } from '../../../util/clock.ts'
import type {
  CheckoutRequest,
  CheckoutSession,
  CheckoutStarted,
  HostedCheckoutProvider,
  OffSessionCharge,
  OffSessionResult,
  PaymentDetails,
  PaymentEvent,
  PaymentProviderDeps,
  RefundRequest,
  RefundStarted,
  SavedCard,
  SubscriptionRequest,
  SubscriptionState,
} from '../../provider.ts'
import { toStripeAmount } from './amounts.ts'
import { createRefund, paymentDetails } from './charges.ts'
import { chargeSavedCard, retrieveSubscription, savedCard, setCancelAtPeriodEnd } from './recurring.ts'
import { PLAN_METADATA_KEY } from './recurring-states.ts'
import { EVENT_TYPES, INTENT_METADATA_KEY, toCheckoutSession, toPaymentEvent } from './sessions.ts'

export { RefundRefused } from './charges.ts'

export const name = 'stripe' as const

/** On with `EASEL_STRIPE_SECRET_KEY` (and its webhook secret): buyers pay on Stripe Checkout. */
export function fromConfig(config: Config, deps: PaymentProviderDeps): StripeCheckout | null {
  return config.stripe ? new StripeCheckout(config.stripe, deps.clock) : null
}

/**
 * Stripe Checkout through the official SDK: a Checkout Session (`mode=payment`) per purchase intent,
 * created with an idempotency key derived from the intent, so a retried request (by Easel or by the
 * SDK's own network retries) never opens a second session; events verified with the endpoint's
 * signing secret and Stripe's default tolerance (5 minutes) measured on Easel's clock. The intent is
 * also named on the session's PaymentIntent (`payment_intent_data[metadata]`), so a refund or a
 * dispute seen in the Dashboard leads back to it; refunds go through `charges.ts`. Saved cards,
 * off-session payments (auto top-up) and subscriptions (paid plans, `mode=subscription`) go through
 * `recurring.ts`, and their events are read in `recurring-states.ts`.
 */
export class StripeCheckout implements HostedCheckoutProvider<typeof name> {
  readonly kind = 'hosted'
  readonly name = name
  private readonly stripe: Stripe

  constructor(
    private readonly config: StripeConfig,
    private readonly clock: Clock,
  ) {
    const api = config.apiUrl ? new URL(config.apiUrl) : null
    this.stripe = new Stripe(config.secretKey, {
      maxNetworkRetries: 2,
      ...(api
        ? {
            host: api.hostname,
            protocol: api.protocol === 'http:' ? 'http' : 'https',
            ...(api.port ? { port: Number(api.port) } : {}),
          }
        : {}),
    })
  }

  async startCheckout(request: CheckoutRequest): Promise<CheckoutStarted> {
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          {
            quantity: request.quantity,
            price_data: {
              currency: request.currency.toLowerCase(),
              unit_amount: toStripeAmount(request.unitAmountMinor, request.currency),
              product_data: { name: request.description },
            },
          },
        ],
        client_reference_id: request.accountId,
        metadata: {
          [INTENT_METADATA_KEY]: request.reference,
          easel_account: request.accountId,
          easel_pack: request.packId,
        },
        // On the PaymentIntent too: its charge, refunds and disputes carry no session, but it does.
        payment_intent_data: {
          metadata: { [INTENT_METADATA_KEY]: request.reference, easel_account: request.accountId },
          // Auto top-up: the card is kept on the customer for payments without the buyer.
          ...(request.saveCard ? { setup_future_usage: 'off_session' as const } : {}),
        },
        ...customerOf(request),
        // Stripe Tax adds the tax to the price (tax-exclusive prices) and the receipt shows it.
        ...(this.config.automaticTax ? { automatic_tax: { enabled: true } } : {}),
        ...returnUrls(request),
      },
      { idempotencyKey: `easel-checkout-${request.reference}` },
    )
    return started(session)
  }

  /**
   * A Checkout Session in `subscription` mode for a monthly plan, priced inline (`price_data` with
   * `recurring`), so the price book stays the one source of prices. Stripe makes the customer and
   * the subscription when the buyer pays; the intent is named on the subscription too
   * (`subscription_data[metadata]`), so its invoices and changes lead back to it.
   */
  async startSubscription(request: SubscriptionRequest): Promise<CheckoutStarted> {
    const metadata = {
      [INTENT_METADATA_KEY]: request.reference,
      easel_account: request.accountId,
      [PLAN_METADATA_KEY]: request.planId,
    }
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: request.currency.toLowerCase(),
              unit_amount: toStripeAmount(request.unitAmountMinor, request.currency),
              recurring: { interval: 'month' },
              product_data: { name: request.description },
            },
          },
        ],
        client_reference_id: request.accountId,
        metadata,
        subscription_data: { metadata },
        // Subscription mode always makes a customer when none is given (customer_creation is for payment mode).
        ...(request.customerId ? { customer: request.customerId } : {}),
        ...(this.config.automaticTax ? { automatic_tax: { enabled: true } } : {}),
        ...returnUrls(request),
      },
      { idempotencyKey: `easel-subscription-${request.reference}` },
    )
    return started(session)
  }

  verifyEvent(rawBody: Buffer, signature: string | undefined): Result<PaymentEvent, { message: string }> {
    if (!signature) return { ok: false, error: { message: 'the Stripe-Signature header is missing' } }
    let event: Stripe.Event
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        this.config.webhookSecret,
        undefined,
        undefined,
        this.clock.now(),
      )
    } catch (error) {
      // The signature is checked before the body is parsed: a SyntaxError comes with a good signature.
      if (error instanceof SyntaxError) return { ok: false, error: { message: 'the event is not JSON' } }
      // The SDK says which check failed (no signature matches, timestamp outside the tolerance).
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
      return { ok: false, error: { message: `the event's signature was not accepted: ${message}` } }
    }
    const parsed = toPaymentEvent(event)
    if (!parsed)
      return {
        ok: false,
        error: { message: 'the body is not a Stripe event (id, type, created, data.object)' },
      }
    return { ok: true, value: parsed }
  }

  async retrieveCheckout(sessionId: string): Promise<CheckoutSession> {
    return toCheckoutSession(await this.stripe.checkout.sessions.retrieve(sessionId))
  }

  async findCheckoutByPayment(paymentId: string): Promise<CheckoutSession | null> {
    const found = await this.stripe.checkout.sessions.list({ payment_intent: paymentId, limit: 1 })
    const session = found.data[0]
    return session ? toCheckoutSession(session) : null
  }

  paymentDetails(paymentId: string): Promise<PaymentDetails> {
    return paymentDetails(this.stripe, paymentId)
  }

  /** Throws {@link RefundRefused} when Stripe refuses it; any other error is a failure to ask. */
  refund(request: RefundRequest): Promise<RefundStarted> {
    return createRefund(this.stripe, request)
  }

  savedCard(paymentId: string): Promise<SavedCard | null> {
    return savedCard(this.stripe, paymentId)
  }

  /** A declined card is an answer ({@link OffSessionResult}); any other error is a failure to ask. */
  chargeSavedCard(request: OffSessionCharge): Promise<OffSessionResult> {
    return chargeSavedCard(this.stripe, request)
  }

  setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<SubscriptionState> {
    return setCancelAtPeriodEnd(this.stripe, subscriptionId, cancel)
  }

  retrieveSubscription(subscriptionId: string): Promise<SubscriptionState> {
    return retrieveSubscription(this.stripe, subscriptionId)
  }

  async *listEvents(sinceMs: number): AsyncIterable<PaymentEvent> {
    const events: Stripe.Event[] = []
    // Stripe lists newest first; the whole period is gathered and applied oldest first, as it happened
    // (reversed, then sorted stably: events of one second keep the order Stripe listed them in).
    for await (const event of this.stripe.events.list({
      created: { gte: Math.floor(sinceMs / 1000) },
      types: [...EVENT_TYPES],
      limit: 100,
    })) {
      events.push(event)
    }
    events.reverse().sort((a, b) => a.created - b.created)
    for (const event of events) {
      const parsed = toPaymentEvent(event)
      if (!parsed)
        throw new Error(
          `Stripe listed an event that is not shaped as one: ${JSON.stringify(event).slice(0, 200)}`,
        )
      yield parsed
    }
  }
}

/**
 * The customer a payment-mode Checkout uses: the account's own when it has one; else, when the card
 * is to be saved, a new one (`customer_creation: always`: a saved card belongs to a customer).
 */
function customerOf(
  request: CheckoutRequest,
): Pick<Stripe.Checkout.SessionCreateParams, 'customer' | 'customer_creation'> {
  if (request.customerId) return { customer: request.customerId }
  return request.saveCard ? { customer_creation: 'always' } : {}
}

/** Where Stripe sends the buyer back: `{SESSION}` is Stripe's own placeholder for the session id. */
function returnUrls(request: { successUrl: string; cancelUrl: string }): {
  success_url: string
  cancel_url: string
} {
  return {
    success_url: request.successUrl.replace('{SESSION}', '{CHECKOUT_SESSION_ID}'),
    cancel_url: request.cancelUrl.replace('{SESSION}', '{CHECKOUT_SESSION_ID}'),
  }
}

function started(session: Stripe.Checkout.Session): CheckoutStarted {
  if (!session.url) throw new Error(`Stripe answered Checkout Session ${session.id} without a url`)
  return { sessionId: session.id, url: session.url }
}
