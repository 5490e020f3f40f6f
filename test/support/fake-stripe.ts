import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { listParam, positiveInteger, unfold, unrecognized } from './fake-stripe-form.ts'
import {
  FakePayments,
  StripeApiError,
  type StripeCharge,
  type StripeDispute,
  type StripeDisputeStatus,
  type StripeEvent,
  type StripePaymentIntent,
} from './fake-stripe-payments.ts'
import {
  type CardBehaviour,
  FakeRecurring,
  type StripeCustomer,
  type StripePaymentMethod,
  type StripeSubscription,
} from './fake-stripe-recurring.ts'

export type {
  StripeCharge,
  StripeDispute,
  StripeDisputeStatus,
  StripeEvent,
  StripePaymentIntent,
  StripeRefund,
} from './fake-stripe-payments.ts'
export type {
  CardBehaviour,
  StripeCustomer,
  StripeInvoice,
  StripePaymentMethod,
  StripeSubscription,
} from './fake-stripe-recurring.ts'

/**
 * A local server speaking the parts of Stripe's API that Easel calls, with Stripe's own published
 * example objects (`/work/shared/fixtures/stripe/fixtures3.json`) as the shape of what it answers:
 *
 * - `POST /v1/checkout/sessions` (form-encoded, nested keys as `line_items[0][price_data][currency]`),
 *   keeping `payment_intent_data[metadata]` for the session's PaymentIntent. With
 *   `automatic_tax[enabled]=true` the fake plays Stripe Tax with tax-exclusive prices and a flat 10%:
 *   `total_details.amount_tax` = round(subtotal / 10) (half up) and `amount_total` = subtotal + tax,
 *   fixed when the session opens (Stripe computes it once the buyer's address is known);
 * - `GET /v1/checkout/sessions/:id`, and `GET /v1/checkout/sessions?payment_intent=…` (a list);
 * - `GET /v1/payment_intents/:id` (`expand[]=latest_charge` answers the charge in place of its id),
 *   `GET /v1/charges/:id`, `GET /v1/refunds/:id`, `GET /v1/disputes/:id`;
 * - `POST /v1/refunds` with `payment_intent` or `charge` and `amount` (default: what is left), and
 *   Stripe's refusals as 400 `invalid_request_error` (see `fake-stripe-payments.ts`);
 * - `GET /v1/events` with `created[gte]`, `types[]`, `limit` and `starting_after`, newest first;
 * - saved cards and off-session payments (auto top-up): a session with
 *   `payment_intent_data[setup_future_usage]=off_session` saves its card on a customer when paid
 *   (`customerOf`, `paymentMethodOf`); `POST /v1/payment_intents` (`confirm`, `off_session`) charges
 *   it as `cardBehaviour` says (a decline is Stripe's 402 `card_error`), `settlePayment` settles a
 *   `processing` one; `GET /v1/customers/:id`, `GET /v1/payment_methods/:id`;
 * - subscriptions (paid plans): a `mode=subscription` session makes, when paid, the subscription
 *   and its first invoice (`subscriptionOf`); `renew`, `failRenewal`, `lapse` and `endPeriod` are
 *   time passing at Stripe; `POST /v1/subscriptions/:id` (`cancel_at_period_end`),
 *   `GET /v1/subscriptions/:id`, `GET /v1/invoices/:id` (see `fake-stripe-recurring.ts`);
 * - a hosted payment page at each session's `url` (`GET /pay/:id`), whose "Pay" button completes the
 *   session, delivers the signed `checkout.session.completed` (after a subscription's
 *   `customer.subscription.created` and `invoice.paid`) to the webhook, and sends the buyer to
 *   the session's `success_url`, as Stripe does; a receipt page at each charge's `receipt_url`.
 *
 * Every POST honours `Idempotency-Key` as Stripe does: the same key and body answer the first
 * answer again (a success, or a card's refusal: the request ran), another request with the key is
 * a 400 `idempotency_error`; a request refused as invalid is not kept (it never ran).
 *
 * Paying a session (`complete`, the Pay button, `settleAsync(…, true)`) makes its PaymentIntent and
 * Charge (`paymentIntentOf`, `chargeOf`). A refund through the API makes `charge.refunded` and, when
 * `autoDeliver` is on and `webhookUrl` set, delivers it once the refund's answer has been sent, as
 * Stripe does (after, never inside, the API call): a test awaits `delivered()` before looking at
 * what the webhook did; so do off-session payments and subscription updates. The operator's own
 * doings in the Dashboard (`refundCharge`, `openDispute`, `closeDispute`) and the bank's or time's
 * (`complete`, `settlePayment`, `renew`, `failRenewal`, `lapse`, `endPeriod`) only make their
 * events: the test delivers them (`deliver`, `lastEvent`) when it wants.
 *
 * Events are signed with the SDK's `generateTestHeaderString` and the webhook secret given. Requests
 * need `Authorization: Bearer <secretKey>`.
 */

const FIXTURES = JSON.parse(fs.readFileSync('/work/shared/fixtures/stripe/fixtures3.json', 'utf8')) as {
  resources: Record<string, Record<string, unknown>>
}

export type StripeSession = Record<string, unknown> & {
  id: string
  amount_total: number | null
  currency: string | null
  payment_status: string
  status: string
  url: string
  success_url: string
  cancel_url: string
  metadata: Record<string, string>
}

export interface RecordedStripeRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  /** The form body, as Stripe's parser reads it (nested keys unfolded). */
  form: Record<string, unknown>
}

export interface FakeStripeOptions {
  secretKey: string
  webhookSecret: string
  /** The time of the events made and signed (ms); the test's clock. */
  now?: () => number
  /** The largest page `GET /v1/events` answers, to make a client page through a list. */
  maxPageSize?: number
  /** Whether events made by API calls (`POST /v1/refunds`) are delivered to `webhookUrl`; default true. */
  autoDeliver?: boolean
}

export class FakeStripe {
  readonly requests: RecordedStripeRequest[] = []
  readonly sessions = new Map<string, StripeSession>()
  /** Every event made, oldest first. */
  readonly events: StripeEvent[] = []
  /** Where the hosted page delivers events (the app's webhook), once set. */
  webhookUrl: string | null = null
  /** Whether API calls deliver the events they make to `webhookUrl` (see the class comment). */
  autoDeliver: boolean
  url = ''
  /** PaymentIntents, Charges, Refunds and Disputes, by id. */
  readonly payments = new FakePayments(this)
  /** Customers, saved cards, off-session payments, subscriptions and their invoices. */
  readonly recurring = new FakeRecurring(this)
  /** Each session's `payment_intent_data[metadata]`, for its PaymentIntent. */
  private readonly intentMetadata = new Map<string, Record<string, string>>()
  private readonly idempotent = new Map<string, { request: string; status: number; value: unknown }>()
  private readonly deliveries = new Set<Promise<void>>()
  private readonly deliveryFailures: Error[] = []
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }))
    })
  })

  constructor(private readonly options: FakeStripeOptions) {
    this.autoDeliver = options.autoDeliver ?? true
  }

  static async start(options: FakeStripeOptions): Promise<FakeStripe> {
    const fake = new FakeStripe(options)
    fake.server.listen(0, '127.0.0.1')
    await once(fake.server, 'listening')
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`
    return fake
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deliveries])
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  now(): number {
    return (this.options.now ?? Date.now)()
  }

  /**
   * Moves a session to `complete` with what the buyer paid (default: as asked), and makes its event.
   * A card saved for later is saved on the customer; a subscription session makes the subscription
   * and its first invoice, whose events (`customer.subscription.created`, `invoice.paid`) are made
   * just before `checkout.session.completed` (see `lastEvent`).
   */
  complete(
    sessionId: string,
    how: { paymentStatus?: 'paid' | 'unpaid'; amountTotal?: number; currency?: string } = {},
  ): StripeEvent {
    const session = this.session(sessionId)
    if (session.mode === 'subscription') {
      if (how.paymentStatus === 'unpaid')
        throw new Error('the fake pays subscription checkouts by card, at once')
      if (session.status !== 'open') throw new Error(`session ${sessionId} is ${session.status}`)
      Object.assign(session, { status: 'complete', payment_status: 'paid' })
      this.recurring.subscribed(session)
      return this.makeEvent('checkout.session.completed', session)
    }
    Object.assign(session, {
      status: 'complete',
      payment_status: how.paymentStatus ?? 'paid',
      ...(how.amountTotal !== undefined ? { amount_total: how.amountTotal } : {}),
      ...(how.currency !== undefined ? { currency: how.currency } : {}),
    })
    const intent = this.payments.settle(
      session,
      this.intentMetadata.get(sessionId) ?? {},
      session.payment_status === 'paid' ? 'succeeded' : 'processing',
    )
    this.recurring.paid(session, intent)
    return this.makeEvent('checkout.session.completed', session)
  }

  /** An asynchronous payment (a bank debit) settles: paid, or failed. */
  settleAsync(sessionId: string, paid: boolean): StripeEvent {
    const session = this.session(sessionId)
    session.payment_status = paid ? 'paid' : 'unpaid'
    this.payments.settle(session, this.intentMetadata.get(sessionId) ?? {}, paid ? 'succeeded' : 'failed')
    return this.makeEvent(
      paid ? 'checkout.session.async_payment_succeeded' : 'checkout.session.async_payment_failed',
      session,
    )
  }

  /**
   * An event of `type` about `object` (a snapshot of it), shaped as Stripe's example event;
   * `previous` is `data.previous_attributes`, the values of the fields the change set.
   */
  makeEvent(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      ...structuredClone(FIXTURES.resources.event!),
      id: `evt_${randomBytes(12).toString('hex')}`,
      type,
      created: Math.floor(this.now() / 1000),
      data: {
        object: structuredClone(object),
        ...(previous ? { previous_attributes: structuredClone(previous) } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
    }
    this.events.push(event)
    return event
  }

  /** The body and Stripe-Signature header of a delivery of `event`, signed now (or at `timestamp`, s). */
  sign(event: StripeEvent | string, options: { secret?: string; timestamp?: number } = {}) {
    const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2)
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? this.options.webhookSecret,
      timestamp: options.timestamp ?? Math.floor(this.now() / 1000),
    })
    return { payload, signature }
  }

  /** Delivers `event` to the webhook as Stripe does: a signed POST. */
  async deliver(event: StripeEvent): Promise<Response> {
    if (!this.webhookUrl) throw new Error('FakeStripe.webhookUrl is not set')
    const { payload, signature } = this.sign(event)
    return fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body: payload,
    })
  }

  session(id: string): StripeSession {
    const session = this.sessions.get(id)
    if (!session) throw new Error(`no session ${id}`)
    return session
  }

  /** The PaymentIntent of a session that was completed (paid or not). */
  paymentIntentOf(sessionId: string): StripePaymentIntent {
    const intent = this.session(sessionId).payment_intent
    if (typeof intent !== 'string') throw new Error(`session ${sessionId} has no payment yet`)
    return this.payments.paymentIntents.get(intent)!
  }

  /** The charge of a paid session. */
  chargeOf(sessionId: string): StripeCharge {
    const charge = this.paymentIntentOf(sessionId).latest_charge
    if (charge === null) throw new Error(`session ${sessionId} has not been paid`)
    return this.payments.charges.get(charge)!
  }

  /** The customer a session made or used (a saved card's, a subscription's). */
  customerOf(sessionId: string): StripeCustomer {
    const customer = this.session(sessionId).customer
    const found = typeof customer === 'string' ? this.recurring.customers.get(customer) : undefined
    if (!found) throw new Error(`session ${sessionId} has no customer`)
    return found
  }

  /** The card a completed session was paid with (saved on its customer when asked). */
  paymentMethodOf(sessionId: string): StripePaymentMethod {
    return this.recurring.paymentMethodOfSession(this.session(sessionId))
  }

  /** The subscription a paid `mode=subscription` session started. */
  subscriptionOf(sessionId: string): StripeSubscription {
    const subscription = this.session(sessionId).subscription
    if (typeof subscription !== 'string') throw new Error(`session ${sessionId} has no subscription`)
    return this.recurring.subscription(subscription)
  }

  /** How later off-session payments with this payment method go (default `succeed`). */
  cardBehaviour(paymentMethodId: string, behaviour: CardBehaviour): void {
    this.recurring.cardBehaviour(paymentMethodId, behaviour)
  }

  /** The PaymentIntents made by `POST /v1/payment_intents` (off-session payments), oldest first. */
  offSessionPayments(): StripePaymentIntent[] {
    return [...this.recurring.offSession]
  }

  /** A `processing` off-session payment settles: returns `payment_intent.succeeded` or `…payment_failed`. */
  settlePayment(paymentIntentId: string, paid: boolean): StripeEvent {
    return this.recurring.settlePayment(paymentIntentId, paid)
  }

  /** The next period is paid: returns `invoice.paid` (`customer.subscription.updated` made too). */
  renew(subscriptionId: string): StripeEvent {
    return this.recurring.renew(subscriptionId)
  }

  /** The next period's payment fails: returns `[invoice.payment_failed, customer.subscription.updated]` (past_due). */
  failRenewal(subscriptionId: string): [StripeEvent, StripeEvent] {
    return this.recurring.failRenewal(subscriptionId)
  }

  /** Stripe gives up on an unpaid subscription: returns `customer.subscription.deleted`. */
  lapse(subscriptionId: string): StripeEvent {
    return this.recurring.lapse(subscriptionId)
  }

  /** The period ends: `customer.subscription.deleted` when set to cancel at its end, else as `renew`. */
  endPeriod(subscriptionId: string): StripeEvent {
    return this.recurring.endPeriod(subscriptionId)
  }

  /** The newest event of `type`. */
  lastEvent(type: string): StripeEvent {
    const event = this.events.findLast((e) => e.type === type)
    if (!event) throw new Error(`no ${type} event was made`)
    return event
  }

  /** A customer, payment method, subscription or invoice, for `expand[]`. */
  lookup(objectId: string): Record<string, unknown> | undefined {
    return this.recurring.lookup(objectId)
  }

  dispute(id: string): StripeDispute {
    const dispute = this.payments.disputes.get(id)
    if (!dispute) throw new Error(`no dispute ${id}`)
    return dispute
  }

  /**
   * The operator refunds a session's charge in the Dashboard: `amount` in Stripe's units (default:
   * all that is left). Returns `charge.refunded` undelivered; Stripe's refusals are thrown.
   */
  refundCharge(sessionId: string, amount?: number): StripeEvent {
    return this.payments.refund(this.chargeOf(sessionId), amount).event
  }

  /**
   * The buyer disputes a session's charge: `charge.dispute.created` (undelivered) about a chargeback
   * (`needs_response`) for the whole charge, or as `how` says (an inquiry: `warning_needs_response`).
   */
  openDispute(sessionId: string, how: { status?: StripeDisputeStatus; amount?: number } = {}): StripeEvent {
    return this.payments.openDispute(this.chargeOf(sessionId), how).event
  }

  /**
   * The dispute is decided: `charge.dispute.closed` (undelivered). `true` is won (`warning_closed`
   * for an inquiry, which closes without a chargeback), `false` lost; or Stripe's closed status.
   */
  closeDispute(
    disputeId: string,
    won: boolean | 'won' | 'lost' | 'warning_closed' | 'prevented',
  ): StripeEvent {
    const inquiry = this.dispute(disputeId).status.startsWith('warning_')
    const status = typeof won === 'string' ? won : won ? (inquiry ? 'warning_closed' : 'won') : 'lost'
    return this.payments.closeDispute(disputeId, status).event
  }

  /**
   * Waits until every event the fake delivered on its own (`autoDeliver`) has been answered, and
   * throws if the webhook refused one (Stripe would retry it; a test wants to know).
   */
  async delivered(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries])
    const failures = this.deliveryFailures.splice(0)
    if (failures.length > 0) throw new AggregateError(failures, failures.map((f) => f.message).join('; '))
  }

  private deliverInBackground(event: StripeEvent): void {
    if (!this.autoDeliver || !this.webhookUrl) return
    const delivery: Promise<void> = this.deliver(event)
      .then(async (answer) => {
        if (!answer.ok)
          throw new Error(`the webhook answered ${answer.status} to ${event.type}: ${await answer.text()}`)
      })
      .catch((error: unknown) => {
        this.deliveryFailures.push(error instanceof Error ? error : new Error(String(error)))
      })
      .finally(() => this.deliveries.delete(delivery))
    this.deliveries.add(delivery)
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const form = unfold(new URLSearchParams(req.method === 'GET' ? url.search : body))
    this.requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, form })
    const json = (status: number, value: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${randomBytes(6).toString('hex')}`,
      })
      res.end(JSON.stringify(value))
    }
    const page = /^\/pay\/(cs_test_\w+)$/.exec(url.pathname)
    if (page) return this.hostedPage(req.method ?? 'GET', page[1]!, res)
    const receipt = /^\/receipts\/payment\/(ch_\w+)$/.exec(url.pathname)
    if (req.method === 'GET' && receipt) return this.receiptPage(receipt[1]!, res)
    if (req.headers.authorization !== `Bearer ${this.options.secretKey}`) {
      return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } })
    }
    try {
      if (req.method === 'POST') {
        const key = req.headers['idempotency-key']
        const request = `${url.pathname}\n${body}`
        const seen = typeof key === 'string' ? this.idempotent.get(key) : undefined
        if (seen && seen.request !== request) {
          throw new StripeApiError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          })
        }
        if (seen) return json(seen.status, seen.value)
        const { status = 200, value, event } = this.post(url.pathname, form)
        if (typeof key === 'string')
          this.idempotent.set(key, { request, status, value: structuredClone(value) })
        json(status, value)
        if (event) this.deliverInBackground(event)
        return
      }
      if (req.method === 'GET') return json(200, this.get(url.pathname, form))
      throw unrecognized(req.method ?? '', url.pathname)
    } catch (error) {
      if (error instanceof StripeApiError) return json(error.status, { error: error.error })
      throw error
    }
  }

  /**
   * A POST of the API: its answer (a status other than 200 when the request ran but was refused,
   * a card's 402), and the event it made (delivered after the answer).
   */
  private post(
    path: string,
    form: Record<string, unknown>,
  ): { status?: number; value: unknown; event?: StripeEvent } {
    if (path === '/v1/checkout/sessions') return { value: this.openSession(form) }
    if (path === '/v1/payment_intents') return this.recurring.createPaymentIntent(form)
    const subscription = /^\/v1\/subscriptions\/([^/]+)$/.exec(path)
    if (subscription) return this.recurring.update(subscription[1]!, form)
    if (path === '/v1/refunds') {
      const charge = this.payments.refundable({
        ...(typeof form.payment_intent === 'string' ? { paymentIntent: form.payment_intent } : {}),
        ...(typeof form.charge === 'string' ? { charge: form.charge } : {}),
      })
      const amount = form.amount === undefined ? undefined : positiveInteger(form.amount, 'amount')
      const { refund, event } = this.payments.refund(charge, amount)
      return { value: refund, event }
    }
    throw unrecognized('POST', path)
  }

  private get(path: string, query: Record<string, unknown>): unknown {
    const expand = listParam(query.expand)
    if (path === '/v1/events') return this.listEvents(query)
    if (path === '/v1/checkout/sessions') {
      const limit = query.limit === undefined ? 10 : positiveInteger(query.limit, 'limit')
      const found = [...this.sessions.values()]
        .reverse()
        .filter((s) => query.payment_intent === undefined || s.payment_intent === query.payment_intent)
      return {
        object: 'list',
        url: '/v1/checkout/sessions',
        has_more: found.length > limit,
        data: found.slice(0, limit).map((s) => this.payments.expand(s, expand)),
      }
    }
    const one = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)
    if (one) {
      const session = this.sessions.get(one[1]!)
      if (!session) {
        throw new StripeApiError(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'session',
          message: `No such checkout.session: '${one[1]}'`,
        })
      }
      return this.payments.expand(session, expand)
    }
    const object = /^\/v1\/(payment_intents|charges|refunds|disputes)\/([^/]+)$/.exec(path)
    if (object) return this.payments.expand(this.payments.find(object[1]!, object[2]!), expand)
    const recurring = /^\/v1\/(customers|payment_methods|subscriptions|invoices)\/([^/]+)$/.exec(path)
    if (recurring) return this.payments.expand(this.recurring.find(recurring[1]!, recurring[2]!)!, expand)
    throw unrecognized('GET', path)
  }

  /** Opens a session as `POST /v1/checkout/sessions` does with these (unfolded) parameters. */
  openSession(form: Record<string, unknown>): StripeSession {
    const items = (form.line_items ?? []) as Array<{
      quantity: string
      price_data: { currency: string; unit_amount: string }
    }>
    const subtotal = items.reduce(
      (sum, item) => sum + Number(item.price_data.unit_amount) * Number(item.quantity),
      0,
    )
    const taxed = (form.automatic_tax as { enabled?: unknown } | undefined)?.enabled === 'true'
    // 10% of the subtotal, rounded half up, in integers (the class comment says why 10%).
    const tax = taxed ? Math.floor((subtotal + 5) / 10) : 0
    const id = `cs_test_${randomBytes(24).toString('hex')}`
    const customerFields = this.recurring.opened(id, form)
    const intentData = (form.payment_intent_data ?? {}) as { metadata?: Record<string, string> }
    this.intentMetadata.set(id, { ...intentData.metadata })
    const session: StripeSession = {
      ...structuredClone(FIXTURES.resources['checkout.session']!),
      id,
      object: 'checkout.session',
      mode: form.mode,
      amount_subtotal: subtotal,
      amount_total: subtotal + tax,
      automatic_tax: taxed
        ? { enabled: true, liability: { type: 'self' }, provider: 'stripe', status: 'complete' }
        : { enabled: false, liability: null, provider: null, status: null },
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: tax },
      ...customerFields,
      payment_intent: null,
      currency: items[0]?.price_data.currency ?? null,
      client_reference_id: form.client_reference_id ?? null,
      metadata: (form.metadata ?? {}) as Record<string, string>,
      success_url: String(form.success_url),
      cancel_url: String(form.cancel_url),
      created: Math.floor(this.now() / 1000),
      expires_at: Math.floor(this.now() / 1000) + 86_400,
      status: 'open',
      payment_status: 'unpaid',
      livemode: false,
      url: `${this.url}/pay/${id}`,
    }
    this.sessions.set(id, session)
    return structuredClone(session)
  }

  private listEvents(query: Record<string, unknown>) {
    const created = (query.created ?? {}) as { gte?: string }
    const types = listParam(query.types)
    const limit = Math.min(Number(query.limit ?? 10), this.options.maxPageSize ?? 100)
    let newestFirst = [...this.events]
      .reverse()
      .filter((e) => created.gte === undefined || e.created >= Number(created.gte))
      .filter((e) => types.length === 0 || types.includes(e.type))
    if (typeof query.starting_after === 'string') {
      const at = newestFirst.findIndex((e) => e.id === query.starting_after)
      newestFirst = newestFirst.slice(at + 1)
    }
    return {
      object: 'list',
      url: '/v1/events',
      has_more: newestFirst.length > limit,
      data: newestFirst.slice(0, limit),
    }
  }

  private async hostedPage(method: string, id: string, res: http.ServerResponse): Promise<void> {
    const session = this.sessions.get(id)
    if (!session) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return void res.end('no such checkout')
    }
    if (method === 'POST') {
      // Paying makes the checkout's event, and a subscription's own before it: all are delivered.
      const made = this.events.length
      this.complete(id)
      for (const event of this.events.slice(made)) {
        const delivered = await this.deliver(event)
        if (!delivered.ok)
          throw new Error(
            `the webhook answered ${delivered.status} to ${event.type}: ${await delivered.text()}`,
          )
      }
      res.writeHead(303, { location: session.success_url.replace('{CHECKOUT_SESSION_ID}', id) })
      return void res.end()
    }
    const amount = `${((session.amount_total ?? 0) / 100).toFixed(2)} ${String(session.currency).toUpperCase()}`
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html><head><title>Fake Stripe Checkout</title><link rel="icon" href="data:,"></head><body>
<h1>Fake Stripe Checkout</h1><p>Pay <strong id="amount">${amount}</strong></p>
<form method="post" action="/pay/${id}"><button type="submit">Pay</button></form>
<a href="${session.cancel_url}">Cancel</a></body></html>`)
  }

  /** The page at a charge's `receipt_url`: what was paid and what was refunded of it. */
  private receiptPage(chargeId: string, res: http.ServerResponse): void {
    const charge = this.payments.charges.get(chargeId)
    if (!charge) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return void res.end('no such receipt')
    }
    const currency = charge.currency.toUpperCase()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html><head><title>Fake Stripe receipt</title></head><body>
<h1>Receipt</h1><p>Paid <strong id="amount">${charge.amount} ${currency}</strong> (Stripe's units)</p>
<p>Refunded <strong id="refunded">${charge.amount_refunded} ${currency}</strong></p></body></html>`)
  }
}
