import type { InjectOptions } from 'fastify'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { STRIPE_WEBHOOK_SECRET, useStripeServer } from '../../billing/stripe-server.ts'
import { BACKENDS } from '../../support/backends.ts'
import type { FakeStripe } from '../../support/fake-stripe.ts'
import type { TestServer, TestUser } from '../../support/server.ts'
import { post, send, signIn } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep of Stripe Checkout: /api/billing/checkout (open one, read one) and Stripe's
// webhook. On the shared sweep's server (test checkout, no Stripe) the routes refuse as they must;
// on a server with Stripe on, every bad request is a 4xx that names what is wrong and changes
// nothing (no intent, no event, no lot, the same balance, a ledger that verifies).

const CHECKOUT = { packId: 'pack-115', quantity: 1 }

sweep((s) => {
  s.refuses('hosted checkout routes without Stripe configured', [
    {
      name: 'POST /api/billing/checkout on an installation with the test checkout',
      request: post('/api/billing/checkout', CHECKOUT),
      status: 409,
      message: /not a hosted one: buy with POST \/api\/purchases/,
      code: 'CONFLICT',
    },
    {
      name: 'POST /api/billing/stripe/webhook on an installation without Stripe',
      request: send({ method: 'POST', url: '/api/billing/stripe/webhook', raw: '{}', as: 'nobody' }),
      status: 404,
      message: /no hosted checkout is configured here/,
    },
  ])
})

/** A request built from a fresh caller, the suite's other user (with a checkout) and the fake Stripe. */
interface StripeCase {
  name: string
  request: (c: {
    me: TestUser
    t: TestServer
    stripe: FakeStripe
    otherSession: string
    /** A paid purchase of the other account's, and an administrator. */
    otherPurchase: string
    admin: TestUser
  }) => Promise<InjectOptions>
  status: number
  message: RegExp
  code?: string
}

const asMe =
  (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): StripeCase['request'] =>
  async ({ me }) => ({
    method,
    url,
    headers: {
      authorization: `Bearer ${me.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })

/** The same request, sent by the suite's administrator. */
const asAdmin =
  (
    method: 'GET' | 'POST',
    url: string | ((c: Parameters<StripeCase['request']>[0]) => string),
    body?: unknown,
  ): StripeCase['request'] =>
  async (c) => ({
    method,
    url: typeof url === 'string' ? url : url(c),
    headers: {
      authorization: `Bearer ${c.admin.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })

const refundOfOther = (c: Parameters<StripeCase['request']>[0]) =>
  `/api/admin/purchases/${c.otherPurchase}/refund`

const webhook = (payload: string | Buffer, signature: string | null, type = 'application/json') =>
  ({
    method: 'POST',
    url: '/api/billing/stripe/webhook',
    headers: { 'content-type': type, ...(signature === null ? {} : { 'stripe-signature': signature }) },
    payload,
  }) satisfies InjectOptions

/** A signed delivery of a completion of a fresh checkout of the caller's (nothing is done with it). */
async function signedCompletion(
  c: Parameters<StripeCase['request']>[0],
  how: { secret?: string; timestamp?: number } = {},
) {
  const opened = await c.t.server.app.inject(await asMe('POST', '/api/billing/checkout', CHECKOUT)(c))
  const event = c.stripe.complete(opened.json().sessionId)
  return c.stripe.sign(event, how)
}

const CASES: StripeCase[] = [
  {
    name: 'POST /api/billing/checkout signed out',
    request: async () => ({ method: 'POST', url: '/api/billing/checkout', payload: CHECKOUT }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /api/billing/checkout with the session cookie and no x-csrf-token',
    request: async ({ me, t }) => ({
      method: 'POST',
      url: '/api/billing/checkout',
      headers: { cookie: (await signIn(t, me)).cookie },
      payload: CHECKOUT,
    }),
    status: 403,
    message: /this request needs the x-csrf-token header/,
    code: 'CSRF',
  },
  {
    name: 'no pack',
    request: asMe('POST', '/api/billing/checkout', { quantity: 1 }),
    status: 400,
    message: /^packId: /,
  },
  {
    name: 'an unknown pack',
    request: asMe('POST', '/api/billing/checkout', { packId: 'pack-999' }),
    status: 400,
    message: /packId: "pack-999" is not a pack/,
  },
  {
    name: 'a pack id of 101 characters',
    request: asMe('POST', '/api/billing/checkout', { packId: 'p'.repeat(101) }),
    status: 400,
    message: /^packId: /,
  },
  ...[0, 101, '2', 1.5].map(
    (quantity): StripeCase => ({
      name: `quantity ${JSON.stringify(quantity)}`,
      request: asMe('POST', '/api/billing/checkout', { ...CHECKOUT, quantity }),
      status: 400,
      message: /^quantity: /,
    }),
  ),
  {
    name: 'an Idempotency-Key of 256 characters',
    request: asMe('POST', '/api/billing/checkout', CHECKOUT, { 'idempotency-key': 'k'.repeat(256) }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
  },
  {
    name: 'GET /api/billing/checkout/:id of a session that does not exist',
    request: asMe('GET', '/api/billing/checkout/cs_test_nothing'),
    status: 404,
    message: /no checkout cs_test_nothing/,
    code: 'NOT_FOUND',
  },
  {
    name: "GET /api/billing/checkout/:id of another account's session",
    request: async (c) => asMe('GET', `/api/billing/checkout/${c.otherSession}`)(c),
    status: 404,
    message: /no checkout cs_test_/,
    code: 'NOT_FOUND',
  },
  {
    name: 'GET /api/billing/checkout/:id with a session id that is not one',
    request: asMe('GET', '/api/billing/checkout/cs_test%3B%20drop'),
    status: 400,
    message: /sessionId: must be a checkout session id/,
  },
  {
    name: 'GET /api/billing/checkout/:id with a session id of 256 characters',
    request: asMe('GET', `/api/billing/checkout/cs_${'a'.repeat(253)}`),
    status: 400,
    message: /is exceeding the max param length/,
  },
  {
    name: 'GET /api/purchases/:id/receipt of a purchase that does not exist',
    request: asMe('GET', '/api/purchases/pur_nothing/receipt'),
    status: 404,
    message: /no receipt for purchase pur_nothing/,
    code: 'NOT_FOUND',
  },
  {
    name: "GET /api/purchases/:id/receipt of another account's purchase",
    request: async (c) => asMe('GET', `/api/purchases/${c.otherPurchase}/receipt`)(c),
    status: 404,
    message: /no receipt for purchase/,
    code: 'NOT_FOUND',
  },
  {
    name: 'GET /api/purchases/:id/receipt with an id that is not one',
    request: asMe('GET', '/api/purchases/pur%3Bdrop%20table/receipt'),
    status: 400,
    message: /id: must be a purchase id/,
  },
  {
    name: 'GET /api/admin/purchases as a user who is not an admin',
    request: asMe('GET', '/api/admin/purchases'),
    status: 403,
    message: /admin/,
    code: 'FORBIDDEN',
  },
  ...['0', '501', 'ten'].map(
    (limit): StripeCase => ({
      name: `GET /api/admin/purchases?limit=${limit}`,
      request: asAdmin('GET', `/api/admin/purchases?limit=${limit}`),
      status: 400,
      message: /limit/,
    }),
  ),
  {
    name: "GET /api/admin/purchases/:id/receipt as a user who is not an admin (another's purchase)",
    request: async (c) => asMe('GET', `/api/admin/purchases/${c.otherPurchase}/receipt`)(c),
    status: 403,
    message: /admin/,
    code: 'FORBIDDEN',
  },
  {
    name: 'POST /api/admin/purchases/:id/refund as a user who is not an admin',
    request: async (c) => asMe('POST', refundOfOther(c), {})(c),
    status: 403,
    message: /admin/,
    code: 'FORBIDDEN',
  },
  {
    name: 'POST /api/admin/purchases/:id/refund of a purchase that does not exist',
    request: asAdmin('POST', '/api/admin/purchases/pur_nothing/refund', {}),
    status: 404,
    message: /no paid purchase pur_nothing/,
    code: 'NOT_FOUND',
  },
  ...[0, -5, 1.5, '300', 1501, 2 ** 60].map(
    (amountMinor): StripeCase => ({
      name: `POST /api/admin/purchases/:id/refund of amountMinor ${JSON.stringify(amountMinor)}`,
      request: asAdmin('POST', refundOfOther, { amountMinor }),
      status: 400,
      message: /amountMinor/,
    }),
  ),
  {
    name: 'POST /api/admin/purchases/:id/refund with a reason of 401 characters',
    request: asAdmin('POST', refundOfOther, { reason: 'r'.repeat(401) }),
    status: 400,
    message: /reason/,
  },
  {
    name: 'POST /api/admin/purchases/:id/refund with a field it does not take',
    request: asAdmin('POST', refundOfOther, { amount: 300 }),
    status: 400,
    message: /amount/,
  },
  {
    name: 'PUT /api/billing/auto-top-up signed out',
    request: async () => ({
      method: 'PUT',
      url: '/api/billing/auto-top-up',
      payload: { enabled: true, packId: 'pack-115', threshold: 10 },
    }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  ...(
    [
      [{ enabled: true, packId: 'pack-115', threshold: 0 }, /threshold/],
      [{ enabled: true, packId: 'pack-115', threshold: 2.5 }, /threshold/],
      [{ enabled: true, packId: 'pack-999', threshold: 10 }, /packId/],
      [{ enabled: 'yes', packId: 'pack-115', threshold: 10 }, /enabled/],
      [{ packId: 'pack-115', threshold: 10 }, /enabled/],
    ] as const
  ).map(
    ([body, message]): StripeCase => ({
      name: `PUT /api/billing/auto-top-up ${JSON.stringify(body)}`,
      request: asMe('PUT', '/api/billing/auto-top-up', body),
      status: 400,
      message,
    }),
  ),
  ...([{ planId: 'free' }, { planId: 'gold' }, {}, { planId: 'x'.repeat(101) }] as const).map(
    (body): StripeCase => ({
      name: `POST /api/billing/plan/subscribe ${JSON.stringify(body).slice(0, 40)}`,
      request: asMe('POST', '/api/billing/plan/subscribe', body),
      status: 400,
      message: /planId/,
    }),
  ),
  {
    name: 'POST /api/billing/plan/cancel without a subscription',
    request: asMe('POST', '/api/billing/plan/cancel', {}),
    status: 409,
    message: /./,
    code: 'CONFLICT',
  },
  {
    name: 'a webhook delivery without Stripe-Signature',
    request: async (c) => webhook((await signedCompletion(c)).payload, null),
    status: 400,
    message: /the Stripe-Signature header is missing/,
  },
  {
    name: 'a webhook delivery with a signature header that is not one',
    request: async (c) => webhook((await signedCompletion(c)).payload, 'nonsense'),
    status: 400,
    message: /signature was not accepted/,
  },
  {
    name: 'a webhook delivery signed with another secret',
    request: async (c) => {
      const signed = await signedCompletion(c, { secret: `${STRIPE_WEBHOOK_SECRET}x` })
      return webhook(signed.payload, signed.signature)
    },
    status: 400,
    message: /signature was not accepted: No signatures found matching the expected signature/,
  },
  {
    name: 'a webhook delivery signed six minutes ago (past Stripe’s tolerance)',
    request: async (c) => {
      const signed = await signedCompletion(c, { timestamp: Math.floor(Date.now() / 1000) - 360 })
      return webhook(signed.payload, signed.signature)
    },
    status: 400,
    message: /Timestamp outside the tolerance zone/,
  },
  {
    name: 'a webhook delivery whose body was changed after signing',
    request: async (c) => {
      const signed = await signedCompletion(c)
      return webhook(signed.payload.replace('"paid"', '"unpaid"'), signed.signature)
    },
    status: 400,
    message: /signature was not accepted/,
  },
  {
    name: 'a webhook delivery with an empty body',
    request: async ({ stripe }) => webhook('', stripe.sign('').signature),
    status: 400,
    message: /the body must be the Stripe event/,
  },
  {
    name: 'a signed webhook body that is not JSON',
    request: async ({ stripe }) => webhook('not json', stripe.sign('not json').signature),
    status: 400,
    message: /the event is not JSON/,
  },
  {
    name: 'a signed webhook body that is JSON but not an event',
    request: async ({ stripe }) => webhook('{"id": 1}', stripe.sign('{"id": 1}').signature),
    status: 400,
    message: /the body is not a Stripe event/,
  },
  {
    name: 'a signed webhook body nested 7000 levels deep',
    request: async ({ stripe }) => {
      const deep = `${'['.repeat(7000)}${']'.repeat(7000)}`
      return webhook(deep, stripe.sign(deep).signature)
    },
    status: 400,
    message: /the body is not a Stripe event/,
  },
  {
    name: 'a webhook body over 512 KiB',
    request: async ({ stripe }) => {
      const big = JSON.stringify({ id: 'evt_big', pad: 'x'.repeat(600 * 1024) })
      return webhook(big, stripe.sign(big).signature)
    },
    status: 413,
    message: /./,
    code: 'PAYLOAD_TOO_LARGE',
  },
]

describe.each(BACKENDS)('bad input to Stripe Checkout is refused and changes nothing (%s)', (backend) => {
  const t = useStripeServer(backend)
  let otherSession = ''
  let otherPurchase = ''
  let admin: TestUser

  async function credits(me: TestUser) {
    const balance = await t.current.server.services.ledger.balance(me.user.accountId)
    if (!balance.ok) throw new Error(balance.error.message)
    return { available: balance.value.available, held: balance.value.held }
  }

  async function counts() {
    const rows: Record<string, number> = {}
    for (const table of [
      'payment_events',
      'purchase_intents',
      'lots',
      'journal_transactions',
      'purchase_payments',
      'payment_movements',
      'receipts',
      'audit_log',
      'auto_top_ups',
      'subscriptions',
    ]) {
      const r = await sql<{ n: string | number }>`select count(*) as n from ${sql.raw(table)}`.execute(
        t.current.server.services.db.kysely,
      )
      rows[table] = Number(r.rows[0]!.n)
    }
    return rows
  }

  it.each(CASES)('$name', async (c) => {
    if (!otherSession) {
      const other = await t.current.user({ credits: 0 })
      const opened = await t.current.server.app.inject({
        method: 'POST',
        url: '/api/billing/checkout',
        headers: { authorization: `Bearer ${other.apiKey}` },
        payload: CHECKOUT,
      })
      otherSession = opened.json().sessionId
      const { payload, signature } = t.stripe.sign(t.stripe.complete(otherSession))
      const granted = await t.current.server.app.inject(webhook(payload, signature))
      expect(granted.json().outcome).toBe('granted')
      const bought = await t.current.server.app.inject({
        method: 'GET',
        url: '/api/purchases',
        headers: { authorization: `Bearer ${other.apiKey}` },
      })
      otherPurchase = bought.json().purchases[0].id
      admin = await t.current.user({ role: 'admin' })
    }
    const me = await t.current.user({ credits: 5 })
    const request = await c.request({
      me,
      t: t.current,
      stripe: t.stripe,
      otherSession,
      otherPurchase,
      admin,
    })
    const before = {
      rows: await counts(),
      credits: await credits(me),
    }
    const res = await t.current.server.app.inject(request)
    const seen = `${request.method} ${request.url} → ${res.statusCode} ${res.body.slice(0, 300)}`
    expect(res.statusCode, seen).toBe(c.status)
    expect(res.headers['content-type'], seen).toMatch(/^application\/json/)
    const error = res.json().error as { code: string; message: string }
    expect(error.code, seen).toMatch(/^[A-Z_]+$/)
    if (c.code) expect(error.code, seen).toBe(c.code)
    expect(error.message, seen).toMatch(c.message)
    expect({
      rows: await counts(),
      credits: await credits(me),
    }).toEqual(before)
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  })
})
