import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { positiveInteger } from './fake-stripe-form.ts'
import {
  type FakePayments,
  type PaymentsHost,
  StripeApiError,
  type StripeEvent,
  type StripePaymentIntent,
} from './fake-stripe-payments.ts'

/**
 * What the fake Stripe keeps for payments made without the buyer, shaped as Stripe's published
 * example objects (`fixtures3.json`) with the fields Easel reads true to the API version the SDK
 * pins (2025-03-31.basil onwards: an invoice's subscription under `parent.subscription_details`, a
 * subscription's period on its item):
 *
 * - saved cards: a Checkout Session with `payment_intent_data[setup_future_usage]=off_session` (or
 *   `customer`, or `customer_creation=always`) makes, when paid, a customer `cus_…` (unless given)
 *   and a card payment method `pm_…` (visa 4242) attached to it, set on the session and on its
 *   PaymentIntent (`customer`, `payment_method`, `setup_future_usage`);
 * - off-session payments (`POST /v1/payment_intents`, `confirm` + `off_session`) go as the test set
 *   the card to go ({@link CardBehaviour}), answering as Stripe does: 200 `succeeded` (a charge) or
 *   `processing`, or a 402 `card_error` carrying the failed PaymentIntent;
 * - subscriptions: a `mode=subscription` session makes, when paid, a customer, a subscription
 *   `sub_…` (monthly, periods by calendar month from its start, day clamped to the month's end as
 *   Stripe does) and its first invoice `in_…`; then the test moves time on with `renew`,
 *   `failRenewal`, `lapse`, `endPeriod`, and Easel cancels at the period's end through the API.
 *
 * Methods return the events they make; which ones are delivered, and when, is the host's business.
 */

const FIXTURES = JSON.parse(fs.readFileSync('/work/shared/fixtures/stripe/fixtures3.json', 'utf8')) as {
  resources: Record<string, Record<string, unknown>>
}

type StripeObject = Record<string, unknown> & { id: string }

export type StripeCustomer = StripeObject & { object: 'customer' }

export type StripePaymentMethod = StripeObject & {
  object: 'payment_method'
  type: 'card'
  customer: string | null
  card: Record<string, unknown> & { brand: string; last4: string }
}

export type StripeSubscriptionItem = StripeObject & {
  object: 'subscription_item'
  current_period_start: number
  current_period_end: number
}

export type StripeSubscription = StripeObject & {
  object: 'subscription'
  customer: string
  status: 'active' | 'past_due' | 'canceled'
  cancel_at_period_end: boolean
  cancel_at: number | null
  canceled_at: number | null
  ended_at: number | null
  metadata: Record<string, string>
  latest_invoice: string | null
  items: { object: 'list'; data: [StripeSubscriptionItem]; has_more: false; url: string }
}

export type StripeInvoice = StripeObject & {
  object: 'invoice'
  customer: string
  status: 'paid' | 'open' | 'uncollectible'
  amount_due: number
  amount_paid: number
  billing_reason: 'subscription_create' | 'subscription_cycle'
}

/** How off-session payments with a payment method go (what Stripe's test cards do). */
export type CardBehaviour = 'succeed' | 'decline' | 'processing' | 'authentication_required'

/** What the recurring part needs of the host: the payments' store besides clock, address, events. */
export interface RecurringHost extends PaymentsHost {
  readonly payments: FakePayments
}

/** What a Checkout Session was opened with, for what its payment makes. */
interface SessionRequest {
  mode: string
  customer: string | null
  saveCard: boolean
  createCustomer: boolean
  subscriptionMetadata: Record<string, string>
  productName: string
  unitAmount: number
  currency: string
}

/** The failures Stripe's test cards give, as `last_payment_error` and the 402's `error`. */
const DECLINES = {
  decline: {
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
    doc_url: 'https://stripe.com/docs/error-codes/card-declined',
  },
  authentication_required: {
    code: 'authentication_required',
    decline_code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
    doc_url: 'https://stripe.com/docs/error-codes/authentication-required',
  },
} as const

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`

/**
 * `months` calendar months after `anchor` (s), on the anchor's day of the month or the month's last
 * day when it has fewer (Jan 31 → Feb 28 → Mar 31), at the anchor's time of day, as Stripe bills.
 */
export function addMonths(anchor: number, months: number): number {
  const at = new Date(anchor * 1000)
  const year = at.getUTCFullYear()
  const month = at.getUTCMonth() + months
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const day = Math.min(at.getUTCDate(), last)
  return Date.UTC(year, month, day, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds()) / 1000
}

export class FakeRecurring {
  readonly customers = new Map<string, StripeCustomer>()
  readonly paymentMethods = new Map<string, StripePaymentMethod>()
  readonly subscriptions = new Map<string, StripeSubscription>()
  readonly invoices = new Map<string, StripeInvoice>()
  /** The PaymentIntents made by `POST /v1/payment_intents`, oldest first. */
  readonly offSession: StripePaymentIntent[] = []
  private readonly behaviours = new Map<string, CardBehaviour>()
  private readonly requests = new Map<string, SessionRequest>()
  /**
   * Each subscription's billing cycle anchor (s), the index of its current period, what each period
   * costs (Stripe's units) and the product's name.
   */
  private readonly cycles = new Map<
    string,
    { anchor: number; period: number; amount: number; name: string }
  >()

  constructor(private readonly host: RecurringHost) {}

  private seconds(): number {
    return Math.floor(this.host.now() / 1000)
  }

  /**
   * Checks the customer parameters of `POST /v1/checkout/sessions` as Stripe does, and keeps what
   * the session's payment will make. Returns the session's own fields about them.
   */
  opened(sessionId: string, form: Record<string, unknown>): Record<string, unknown> {
    const mode = typeof form.mode === 'string' ? form.mode : 'payment'
    const customer = typeof form.customer === 'string' ? form.customer : null
    const creation = typeof form.customer_creation === 'string' ? form.customer_creation : null
    if (customer !== null && creation !== null) {
      throw invalid(
        'customer_creation',
        'You may only specify one of these parameters: customer, customer_creation.',
      )
    }
    if (creation !== null && mode === 'subscription') {
      throw invalid(
        'customer_creation',
        '`customer_creation` can only be used in `payment` and `setup` mode.',
      )
    }
    if (customer !== null) this.customer(customer, 'customer')
    const intentData = (form.payment_intent_data ?? {}) as { setup_future_usage?: unknown }
    const item = ((form.line_items ?? []) as Array<Record<string, unknown>>)[0] ?? {}
    const price = (item.price_data ?? {}) as Record<string, unknown>
    if (mode === 'subscription') {
      const recurring = (price.recurring ?? {}) as { interval?: unknown }
      if (recurring.interval !== 'month') {
        throw invalid(
          'line_items[0][price_data][recurring][interval]',
          'The fake bills monthly prices only: line_items[0][price_data][recurring][interval] must be month.',
        )
      }
    }
    const subscriptionData = (form.subscription_data ?? {}) as { metadata?: Record<string, string> }
    this.requests.set(sessionId, {
      mode,
      customer,
      saveCard: intentData.setup_future_usage === 'off_session',
      createCustomer: creation === 'always',
      subscriptionMetadata: { ...subscriptionData.metadata },
      productName: String((price.product_data as { name?: unknown } | undefined)?.name ?? ''),
      unitAmount: Number(price.unit_amount ?? 0),
      currency: String(price.currency ?? 'usd'),
    })
    return {
      customer,
      customer_creation: mode === 'payment' ? (creation ?? 'if_required') : null,
      subscription: null,
      invoice: null,
    }
  }

  /**
   * A payment-mode session's payment was made: the customer it names or makes, and the card,
   * saved on the customer when asked (`setup_future_usage`), set on the session and PaymentIntent.
   */
  paid(session: Record<string, unknown> & { id: string }, intent: StripePaymentIntent): void {
    const request = this.requests.get(session.id)
    if (!request || !(request.customer || request.saveCard || request.createCustomer)) return
    const customer = request.customer ?? this.newCustomer(session).id
    const method = this.newCard(request.saveCard ? customer : null)
    session.customer = customer
    Object.assign(intent, {
      customer,
      payment_method: method.id,
      setup_future_usage: request.saveCard ? 'off_session' : null,
    })
  }

  /**
   * A subscription-mode session was paid: its customer, card, subscription (active, the first
   * period from now) and first invoice (paid). Returns `customer.subscription.created` and
   * `invoice.paid`, in that order.
   */
  subscribed(session: Record<string, unknown> & { id: string }): StripeEvent[] {
    const request = this.requests.get(session.id)
    if (request?.mode !== 'subscription') throw new Error(`session ${session.id} is no subscription`)
    const customer = request.customer ?? this.newCustomer(session).id
    const method = this.newCard(customer)
    const customerObject = this.customers.get(customer)!
    ;(customerObject.invoice_settings as Record<string, unknown>).default_payment_method = method.id
    const now = this.seconds()
    const subscriptionId = id('sub')
    const priceId = id('price')
    const productId = id('prod')
    const fixtureItem = (FIXTURES.resources.subscription!.items as { data: Array<Record<string, unknown>> })
      .data[0]!
    const recurring = {
      interval: 'month',
      interval_count: 1,
      meter: null,
      usage_type: 'licensed',
      trial_period_days: null,
    }
    const price = {
      ...(fixtureItem.price as Record<string, unknown>),
      id: priceId,
      created: now,
      currency: request.currency,
      product: productId,
      recurring,
      transform_quantity: null,
      custom_unit_amount: null,
      unit_amount: request.unitAmount,
      unit_amount_decimal: String(request.unitAmount),
    }
    const item: StripeSubscriptionItem = {
      ...structuredClone(fixtureItem),
      id: id('si'),
      object: 'subscription_item',
      created: now,
      metadata: {},
      price,
      plan: {
        ...(fixtureItem.plan as Record<string, unknown>),
        id: priceId,
        object: 'plan',
        active: true,
        amount: request.unitAmount,
        amount_decimal: String(request.unitAmount),
        billing_scheme: 'per_unit',
        created: now,
        currency: request.currency,
        interval: 'month',
        interval_count: 1,
        livemode: false,
        metadata: {},
        product: productId,
        transform_usage: null,
      },
      quantity: 1,
      subscription: subscriptionId,
      billing_thresholds: null,
      current_period_start: now,
      current_period_end: addMonths(now, 1),
    }
    const subscription: StripeSubscription = {
      ...structuredClone(FIXTURES.resources.subscription!),
      id: subscriptionId,
      object: 'subscription',
      billing_cycle_anchor: now,
      billing_cycle_anchor_config: null,
      billing_schedules: [],
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      created: now,
      currency: request.currency,
      customer,
      default_payment_method: method.id,
      ended_at: null,
      items: {
        object: 'list',
        data: [item],
        has_more: false,
        url: `/v1/subscription_items?subscription=${subscriptionId}`,
      },
      latest_invoice: null,
      livemode: false,
      metadata: { ...request.subscriptionMetadata },
      next_pending_invoice_item_invoice: null,
      pause_collection: null,
      pending_invoice_item_interval: null,
      pending_update: null,
      start_date: now,
      status: 'active',
      transfer_data: null,
      trial_end: null,
      trial_start: null,
    }
    this.subscriptions.set(subscriptionId, subscription)
    // What the buyer paid in the session (the price, and Stripe Tax's share when on) each month.
    const amount = typeof session.amount_total === 'number' ? session.amount_total : request.unitAmount
    this.cycles.set(subscriptionId, { anchor: now, period: 0, amount, name: request.productName })
    const invoice = this.newInvoice(subscription, 'subscription_create', true)
    Object.assign(session, { customer, subscription: subscriptionId, invoice: invoice.id })
    return [
      this.host.makeEvent('customer.subscription.created', subscription),
      this.host.makeEvent('invoice.paid', invoice),
    ]
  }

  /** The card of a session's payment (saved or not), or of the subscription it started. */
  paymentMethodOfSession(session: Record<string, unknown>): StripePaymentMethod {
    const subscription =
      typeof session.subscription === 'string' ? this.subscriptions.get(session.subscription) : undefined
    const intent =
      typeof session.payment_intent === 'string'
        ? this.host.payments.paymentIntents.get(session.payment_intent)
        : undefined
    const method = subscription?.default_payment_method ?? intent?.payment_method
    const found = typeof method === 'string' ? this.paymentMethods.get(method) : undefined
    if (!found) throw new Error(`session ${String(session.id)} has no payment method`)
    return found
  }

  cardBehaviour(paymentMethodId: string, behaviour: CardBehaviour): void {
    if (!this.paymentMethods.has(paymentMethodId)) throw new Error(`no payment method ${paymentMethodId}`)
    this.behaviours.set(paymentMethodId, behaviour)
  }

  /**
   * `POST /v1/payment_intents`: the customer's saved card charged as the test set it to go. A
   * refusal is Stripe's 402 `card_error` with the PaymentIntent it made (`requires_payment_method`),
   * and `payment_intent.payment_failed`; `processing` makes no event until `settlePayment`.
   */
  createPaymentIntent(form: Record<string, unknown>): {
    status: number
    value: unknown
    event?: StripeEvent
  } {
    const amount = positiveInteger(form.amount, 'amount')
    if (typeof form.currency !== 'string' || !/^[a-z]{3}$/.test(form.currency)) {
      throw invalid('currency', `Invalid currency: ${String(form.currency)}`)
    }
    const customer = typeof form.customer === 'string' ? this.customer(form.customer, 'customer') : null
    const methodId = typeof form.payment_method === 'string' ? form.payment_method : null
    const method = methodId === null ? null : this.paymentMethods.get(methodId)
    if (methodId !== null && !method) throw missing('payment_method', methodId)
    if (form.off_session === 'true' && (!method || !customer || method.customer !== customer.id)) {
      throw invalid(
        'payment_method',
        `The provided PaymentMethod ${methodId} is not attached to the customer ${String(form.customer)}: off-session payments need a payment method saved on the customer.`,
      )
    }
    const intent = this.host.payments.intent(amount, form.currency, {
      ...((form.metadata ?? {}) as Record<string, string>),
    })
    Object.assign(intent, {
      customer: customer?.id ?? null,
      description: typeof form.description === 'string' ? form.description : null,
      payment_method: methodId,
      setup_future_usage: null,
    })
    this.offSession.push(intent)
    if (form.confirm !== 'true' || !method) {
      intent.status = method ? 'requires_confirmation' : 'requires_payment_method'
      return { status: 200, value: intent }
    }
    const behaviour = this.behaviours.get(method.id) ?? 'succeed'
    if (behaviour === 'processing') return { status: 200, value: intent }
    if (behaviour === 'succeed') {
      this.host.payments.capture(intent)
      return { status: 200, value: intent, event: this.host.makeEvent('payment_intent.succeeded', intent) }
    }
    const event = this.fail(intent, behaviour)
    const error = { ...(intent.last_payment_error as Record<string, unknown>), payment_intent: intent }
    return { status: 402, value: { error }, event }
  }

  /** A `processing` off-session payment settles: `payment_intent.succeeded`, or `…payment_failed`. */
  settlePayment(paymentIntentId: string, paid: boolean): StripeEvent {
    const intent = this.offSession.find((i) => i.id === paymentIntentId)
    if (!intent) throw new Error(`no off-session payment ${paymentIntentId}`)
    if (intent.status !== 'processing')
      throw new Error(`payment ${paymentIntentId} is ${intent.status}, not processing`)
    if (!paid) return this.fail(intent, 'decline')
    this.host.payments.capture(intent)
    return this.host.makeEvent('payment_intent.succeeded', intent)
  }

  private fail(intent: StripePaymentIntent, how: keyof typeof DECLINES): StripeEvent {
    const method =
      typeof intent.payment_method === 'string' ? this.paymentMethods.get(intent.payment_method) : undefined
    intent.status = 'requires_payment_method'
    intent.last_payment_error = {
      type: 'card_error',
      ...DECLINES[how],
      payment_method: structuredClone(method),
    }
    return this.host.makeEvent('payment_intent.payment_failed', intent)
  }

  subscription(subscriptionId: string): StripeSubscription {
    const subscription = this.subscriptions.get(subscriptionId)
    if (!subscription) throw missing('subscription', subscriptionId)
    return subscription
  }

  /**
   * The next period's invoice is paid: the period moves on (`customer.subscription.updated`) and
   * `invoice.paid` is returned. A subscription `past_due` is instead Stripe's retry of the open
   * invoice succeeding: that invoice is paid for the period it was for, and the subscription is active.
   */
  renew(subscriptionId: string): StripeEvent {
    const subscription = this.live(subscriptionId)
    const open = this.openInvoice(subscription)
    if (subscription.status === 'past_due' && open) {
      const previous = { status: subscription.status }
      subscription.status = 'active'
      Object.assign(open, {
        status: 'paid',
        amount_paid: open.amount_due,
        amount_remaining: 0,
        attempt_count: Number(open.attempt_count) + 1,
        next_payment_attempt: null,
      })
      ;(open.status_transitions as Record<string, unknown>).paid_at = this.seconds()
      this.host.makeEvent('customer.subscription.updated', subscription, previous)
      return this.host.makeEvent('invoice.paid', open)
    }
    const previous = this.nextPeriod(subscription)
    const invoice = this.newInvoice(subscription, 'subscription_cycle', true)
    this.host.makeEvent('customer.subscription.updated', subscription, previous)
    return this.host.makeEvent('invoice.paid', invoice)
  }

  /**
   * The next period's payment fails: the period moves on all the same (Stripe bills in arrears of
   * nothing: the invoice stays open and is retried), the subscription is `past_due`. Returns
   * `[invoice.payment_failed, customer.subscription.updated]`.
   */
  failRenewal(subscriptionId: string): [StripeEvent, StripeEvent] {
    const subscription = this.live(subscriptionId)
    if (subscription.status !== 'active') {
      throw new Error(`subscription ${subscriptionId} is ${subscription.status}: renew() or lapse() it`)
    }
    const previous = { ...this.nextPeriod(subscription), status: subscription.status }
    const invoice = this.newInvoice(subscription, 'subscription_cycle', false)
    subscription.status = 'past_due'
    return [
      this.host.makeEvent('invoice.payment_failed', invoice),
      this.host.makeEvent('customer.subscription.updated', subscription, previous),
    ]
  }

  /** Stripe gives up on a subscription (its retries failed): `canceled`, `customer.subscription.deleted`. */
  lapse(subscriptionId: string): StripeEvent {
    return this.cancelNow(this.live(subscriptionId), 'payment_failed')
  }

  /**
   * The current period ends: a subscription set to cancel at its end is `canceled`
   * (`customer.subscription.deleted`); any other renews (see {@link renew}).
   */
  endPeriod(subscriptionId: string): StripeEvent {
    const subscription = this.live(subscriptionId)
    if (!subscription.cancel_at_period_end) return this.renew(subscriptionId)
    return this.cancelNow(subscription, 'cancellation_requested')
  }

  /** `POST /v1/subscriptions/:id` with `cancel_at_period_end` (and `metadata`). */
  update(subscriptionId: string, form: Record<string, unknown>): { value: unknown; event?: StripeEvent } {
    const subscription = this.subscription(subscriptionId)
    if (subscription.status === 'canceled') {
      throw invalid(
        'cancel_at_period_end',
        'A canceled subscription can only update its cancellation_details and metadata.',
      )
    }
    const previous: Record<string, unknown> = {}
    const cancel = form.cancel_at_period_end
    if (cancel !== undefined) {
      if (cancel !== 'true' && cancel !== 'false') {
        throw invalid('cancel_at_period_end', `Invalid boolean: ${String(cancel)}`)
      }
      if ((cancel === 'true') !== subscription.cancel_at_period_end) {
        Object.assign(previous, {
          cancel_at_period_end: subscription.cancel_at_period_end,
          cancel_at: subscription.cancel_at,
          canceled_at: subscription.canceled_at,
          cancellation_details: structuredClone(subscription.cancellation_details),
        })
        const on = cancel === 'true'
        Object.assign(subscription, {
          cancel_at_period_end: on,
          cancel_at: on ? subscription.items.data[0].current_period_end : null,
          // Stripe: the time of the request that set it, not the period's end.
          canceled_at: on ? this.seconds() : null,
          cancellation_details: {
            comment: null,
            feedback: null,
            reason: on ? 'cancellation_requested' : null,
          },
        })
      }
    }
    if (typeof form.metadata === 'object' && form.metadata !== null) {
      previous.metadata = { ...subscription.metadata }
      subscription.metadata = { ...subscription.metadata, ...(form.metadata as Record<string, string>) }
    }
    const changed = Object.keys(previous).length > 0
    return {
      value: subscription,
      ...(changed
        ? { event: this.host.makeEvent('customer.subscription.updated', subscription, previous) }
        : {}),
    }
  }

  /** Any object held here, by id: `GET /v1/<kind>/:id` and `expand[]`. */
  lookup(objectId: string): StripeObject | undefined {
    return (
      this.customers.get(objectId) ??
      this.paymentMethods.get(objectId) ??
      this.subscriptions.get(objectId) ??
      this.invoices.get(objectId)
    )
  }

  /** An object of `kind` (`customers`, `payment_methods`, …), or Stripe's 404; undefined for other kinds. */
  find(kind: string, objectId: string): StripeObject | undefined {
    const table = {
      customers: this.customers,
      payment_methods: this.paymentMethods,
      subscriptions: this.subscriptions,
      invoices: this.invoices,
    }[kind]
    if (!table) return undefined
    const found = table.get(objectId)
    if (!found) throw missing(kind.replace(/s$/, ''), objectId)
    return found
  }

  private customer(customerId: string, param: string): StripeCustomer {
    const customer = this.customers.get(customerId)
    if (!customer) throw missing(param, customerId)
    return customer
  }

  private live(subscriptionId: string): StripeSubscription {
    const subscription = this.subscription(subscriptionId)
    if (subscription.status === 'canceled') throw new Error(`subscription ${subscriptionId} is canceled`)
    return subscription
  }

  private openInvoice(subscription: StripeSubscription): StripeInvoice | undefined {
    const latest = subscription.latest_invoice ? this.invoices.get(subscription.latest_invoice) : undefined
    return latest?.status === 'open' ? latest : undefined
  }

  /** Moves the subscription's item to its next period; returns `previous_attributes` of the change. */
  private nextPeriod(subscription: StripeSubscription): Record<string, unknown> {
    const cycle = this.cycles.get(subscription.id)!
    const item = subscription.items.data[0]
    const previous = structuredClone({
      items: subscription.items,
      latest_invoice: subscription.latest_invoice,
    })
    cycle.period += 1
    item.current_period_start = addMonths(cycle.anchor, cycle.period)
    item.current_period_end = addMonths(cycle.anchor, cycle.period + 1)
    return previous
  }

  private cancelNow(subscription: StripeSubscription, reason: string): StripeEvent {
    const now = this.seconds()
    const previous = { status: subscription.status }
    Object.assign(subscription, {
      status: 'canceled',
      ended_at: now,
      canceled_at: subscription.canceled_at ?? now,
      cancellation_details: { ...(subscription.cancellation_details as object), reason },
    })
    return this.host.makeEvent('customer.subscription.deleted', subscription, previous)
  }

  private newCustomer(session: Record<string, unknown>): StripeCustomer {
    const details = (session.customer_details ?? {}) as { email?: unknown }
    const customer: StripeCustomer = {
      ...structuredClone(FIXTURES.resources.customer!),
      id: id('cus'),
      object: 'customer',
      created: this.seconds(),
      currency: null,
      discount: null,
      email: typeof details.email === 'string' ? details.email : null,
      livemode: false,
      metadata: {},
    }
    this.customers.set(customer.id, customer)
    return customer
  }

  /** A visa ending 4242 (Stripe's test card), attached to `customer` when saved. */
  private newCard(customer: string | null): StripePaymentMethod {
    const fixture = FIXTURES.resources.payment_method!
    const method: StripePaymentMethod = {
      ...structuredClone(fixture),
      id: id('pm'),
      object: 'payment_method',
      type: 'card',
      card: {
        ...structuredClone(fixture.card as Record<string, unknown>),
        brand: 'visa',
        display_brand: 'visa',
        last4: '4242',
        wallet: null,
      },
      created: this.seconds(),
      customer,
      livemode: false,
      metadata: {},
    }
    this.paymentMethods.set(method.id, method)
    return method
  }

  /** The invoice of the subscription's current period, paid or left open (a failed attempt). */
  private newInvoice(
    subscription: StripeSubscription,
    reason: StripeInvoice['billing_reason'],
    paid: boolean,
  ): StripeInvoice {
    const now = this.seconds()
    const cycle = this.cycles.get(subscription.id)!
    const item = subscription.items.data[0]
    const invoiceId = id('in')
    const fixture = FIXTURES.resources.invoice!
    const fixtureLine = (fixture.lines as { data: Array<Record<string, unknown>> }).data[0]!
    const period = { start: item.current_period_start, end: item.current_period_end }
    const price = item.price as { id: string; product: string; unit_amount: number }
    const line = {
      ...structuredClone(fixtureLine),
      id: id('il'),
      object: 'line_item',
      amount: cycle.amount,
      currency: subscription.currency,
      description: `1 × ${cycle.name}`,
      invoice: invoiceId,
      metadata: { ...subscription.metadata },
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: subscription.id,
          subscription_item: item.id,
        },
      },
      period,
      pricing: {
        type: 'price_details',
        price_details: { price: price.id, product: price.product },
        unit_amount_decimal: String(price.unit_amount),
      },
      quantity: 1,
      subtotal: cycle.amount,
    }
    const invoice: StripeInvoice = {
      ...structuredClone(fixture),
      id: invoiceId,
      object: 'invoice',
      amount_due: cycle.amount,
      amount_overpaid: 0,
      amount_paid: paid ? cycle.amount : 0,
      amount_remaining: paid ? 0 : cycle.amount,
      amount_shipping: 0,
      attempt_count: 1,
      attempted: true,
      auto_advance: !paid,
      billing_reason: reason,
      created: now,
      currency: subscription.currency,
      customer: subscription.customer,
      default_payment_method: null,
      due_date: null,
      effective_at: now,
      from_invoice: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      last_finalization_error: null,
      lines: { object: 'list', data: [line], has_more: false, url: `/v1/invoices/${invoiceId}/lines` },
      livemode: false,
      metadata: {},
      next_payment_attempt: paid ? null : now + 3 * 86_400,
      number: `${randomBytes(4).toString('hex').toUpperCase()}-${String(this.invoices.size + 1).padStart(4, '0')}`,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id },
      },
      // The invoice's own period is the one before the line's (nothing before the first).
      period_start: reason === 'subscription_create' ? now : addMonths(cycle.anchor, cycle.period - 1),
      period_end: reason === 'subscription_create' ? now : period.start,
      shipping_cost: null,
      status: paid ? 'paid' : 'open',
      status_transitions: {
        finalized_at: now,
        marked_uncollectible_at: null,
        paid_at: paid ? now : null,
        voided_at: null,
      },
      subtotal: cycle.amount,
      subtotal_excluding_tax: cycle.amount,
      total: cycle.amount,
      total_excluding_tax: cycle.amount,
      webhooks_delivered_at: now,
    }
    this.invoices.set(invoiceId, invoice)
    subscription.latest_invoice = invoiceId
    return invoice
  }
}

function invalid(param: string, message: string): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', param, message })
}

function missing(what: string, objectId: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: what,
    message: `No such ${what}: '${objectId}'`,
  })
}
