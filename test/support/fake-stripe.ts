import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'

/**
 * A local server speaking the parts of Stripe's API that Easel calls, with Stripe's own published
 * example objects (`/work/shared/fixtures/stripe/fixtures3.json`) as the shape of what it answers:
 *
 * - `POST /v1/checkout/sessions` (form-encoded, nested keys as `line_items[0][price_data][currency]`),
 *   honouring `Idempotency-Key`: the same key answers the same session, another body with it a 400;
 * - `GET /v1/checkout/sessions/:id`;
 * - `GET /v1/events` with `created[gte]`, `types[]`, `limit` and `starting_after`, newest first;
 * - a hosted payment page at each session's `url` (`GET /pay/:id`), whose "Pay" button completes the
 *   session, delivers the signed `checkout.session.completed` to the webhook, and sends the buyer to
 *   the session's `success_url`, as Stripe does.
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

export type StripeEvent = Record<string, unknown> & { id: string; type: string; created: number }

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
}

export class FakeStripe {
  readonly requests: RecordedStripeRequest[] = []
  readonly sessions = new Map<string, StripeSession>()
  /** Every event made, oldest first. */
  readonly events: StripeEvent[] = []
  /** Where the hosted page delivers events (the app's webhook), once set. */
  webhookUrl: string | null = null
  url = ''
  private readonly idempotent = new Map<string, { body: string; session: StripeSession }>()
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }))
    })
  })

  constructor(private readonly options: FakeStripeOptions) {}

  static async start(options: FakeStripeOptions): Promise<FakeStripe> {
    const fake = new FakeStripe(options)
    fake.server.listen(0, '127.0.0.1')
    await once(fake.server, 'listening')
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`
    return fake
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  /** Moves a session to `complete` with what the buyer paid (default: as asked), and makes its event. */
  complete(
    sessionId: string,
    how: { paymentStatus?: 'paid' | 'unpaid'; amountTotal?: number; currency?: string } = {},
  ): StripeEvent {
    const session = this.session(sessionId)
    Object.assign(session, {
      status: 'complete',
      payment_status: how.paymentStatus ?? 'paid',
      ...(how.amountTotal !== undefined ? { amount_total: how.amountTotal } : {}),
      ...(how.currency !== undefined ? { currency: how.currency } : {}),
    })
    return this.makeEvent('checkout.session.completed', session)
  }

  /** An asynchronous payment (a bank debit) settles: paid, or failed. */
  settleAsync(sessionId: string, paid: boolean): StripeEvent {
    const session = this.session(sessionId)
    session.payment_status = paid ? 'paid' : 'unpaid'
    return this.makeEvent(
      paid ? 'checkout.session.async_payment_succeeded' : 'checkout.session.async_payment_failed',
      session,
    )
  }

  /** An event of `type` about `object` (a snapshot of it), shaped as Stripe's example event. */
  makeEvent(type: string, object: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      ...structuredClone(FIXTURES.resources.event!),
      id: `evt_${randomBytes(12).toString('hex')}`,
      type,
      created: Math.floor(this.now() / 1000),
      data: { object: structuredClone(object) },
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
    if (req.headers.authorization !== `Bearer ${this.options.secretKey}`) {
      return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } })
    }
    const missing = (what: string) =>
      json(404, {
        error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` },
      })
    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const key = req.headers['idempotency-key']
      if (typeof key === 'string') {
        const seen = this.idempotent.get(key)
        if (seen && seen.body !== body) {
          return json(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with.`,
            },
          })
        }
        if (seen) return json(200, seen.session)
      }
      const session = this.openSession(form)
      if (typeof key === 'string') this.idempotent.set(key, { body, session })
      return json(200, session)
    }
    const one = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'GET' && one) {
      const session = this.sessions.get(one[1]!)
      return session ? json(200, session) : missing(`checkout.session: '${one[1]}'`)
    }
    if (req.method === 'GET' && url.pathname === '/v1/events') return json(200, this.listEvents(form))
    return json(404, {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${req.method}: ${url.pathname})`,
      },
    })
  }

  /** Opens a session as `POST /v1/checkout/sessions` does with these (unfolded) parameters. */
  openSession(form: Record<string, unknown>): StripeSession {
    const items = (form.line_items ?? []) as Array<{
      quantity: string
      price_data: { currency: string; unit_amount: string }
    }>
    const total = items.reduce(
      (sum, item) => sum + Number(item.price_data.unit_amount) * Number(item.quantity),
      0,
    )
    const id = `cs_test_${randomBytes(24).toString('hex')}`
    const session: StripeSession = {
      ...structuredClone(FIXTURES.resources['checkout.session']!),
      id,
      object: 'checkout.session',
      mode: form.mode,
      amount_subtotal: total,
      amount_total: total,
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
    const types = (query.types ?? []) as string[]
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
      const event = this.complete(id)
      const delivered = await this.deliver(event)
      if (!delivered.ok)
        throw new Error(`the webhook answered ${delivered.status}: ${await delivered.text()}`)
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
}

/** Form fields with Stripe's nested keys (`a[0][b]=1`) unfolded into objects and arrays. */
function unfold(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of params) {
    const path = key.split(/\[|\]\[|\]/).filter((p, i) => i === 0 || p !== '')
    let node: Record<string, unknown> | unknown[] = root
    path.forEach((part, i) => {
      const last = i === path.length - 1
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!)
      const slot = node as Record<string, unknown>
      if (last) slot[part] = value
      else {
        slot[part] ??= nextIsIndex ? [] : {}
        node = slot[part] as Record<string, unknown>
      }
    })
  }
  return root
}
