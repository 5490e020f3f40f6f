import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { run } from '../../src/cli/main.ts'
import {
  CheckoutBody,
  CheckoutStatusBody,
  ErrorBody,
  PacksBody,
  PurchasesBody,
  SetupBody,
} from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { STRIPE_WEBHOOK_SECRET, useStripeServer } from '../billing/stripe-server.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import type { StripeEvent } from '../support/fake-stripe.ts'
import { type TestUser, testEnv } from '../support/server.ts'

// Issue 12, buying a pack: Stripe Checkout through a local host speaking Stripe's API, events
// signed by the SDK, on every backend. Each purchase grants once per Checkout Session whatever
// arrives, how often, in which order; what is refused changes nothing; the ledger verifies.

const DAY = 86_400_000

describe.each(BACKENDS)('buying a pack with Stripe Checkout (%s)', (backend) => {
  const clock = new ManualClock(Date.now())
  const t = useStripeServer(backend, { clock, env: { EASEL_TEST_CHECKOUT: 'on' }, maxPageSize: 2 })

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    options: { user?: TestUser; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    Reply.injected(
      await t.current.server.app.inject({
        method,
        url,
        headers: {
          ...(options.user ? { authorization: `Bearer ${options.user.apiKey}` } : {}),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { payload: options.body as object }),
      }),
    )

  async function checkout(user: TestUser, quantity = 1, headers: Record<string, string> = {}) {
    const res = await inject('POST', '/api/billing/checkout', {
      user,
      body: { packId: 'pack-115', quantity },
      headers,
    })
    expect(res.status, res.text).toBe(201)
    return res.as(CheckoutBody)
  }

  /** Delivers an event to the webhook, as Stripe would (signed now, on the test's clock). */
  async function deliver(
    event: StripeEvent | string,
    options: { secret?: string; timestamp?: number; body?: string } = {},
  ) {
    const { payload, signature } = t.stripe.sign(event, options)
    return Reply.injected(
      await t.current.server.app.inject({
        method: 'POST',
        url: '/api/billing/stripe/webhook',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
        payload: options.body ?? payload,
      }),
    )
  }

  async function available(user: TestUser): Promise<number> {
    const balance = await t.current.server.services.ledger.balance(user.user.accountId)
    if (!balance.ok) throw new Error(balance.error.message)
    return balance.value.available
  }

  async function status(user: TestUser, sessionId: string) {
    const res = await inject('GET', `/api/billing/checkout/${sessionId}`, { user })
    expect(res.status, res.text).toBe(200)
    return res.as(CheckoutStatusBody)
  }

  async function recorded(eventId: string): Promise<number> {
    const r = await sql<{
      n: string | number
    }>`select count(*) as n from payment_events where event_id = ${eventId}`.execute(
      t.current.server.services.db.kysely,
    )
    return Number(r.rows[0]!.n)
  }

  async function expectLedgerClean() {
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  }

  it('says Stripe takes payments, and does not offer the test checkout even when it is turned on', async () => {
    const packs = (await inject('GET', '/api/packs')).as(PacksBody)
    expect(packs.provider).toBe('stripe')
    expect(packs.testCards).toBeNull()
    expect((await inject('GET', '/api/setup')).as(SetupBody).testCheckout).toBe(false)
    const user = await t.current.user({ credits: 0 })
    const card = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' }
    const bought = await inject('POST', '/api/purchases', { user, body: { packId: 'pack-115', card } })
    expect(bought.status).toBe(409)
    expect(bought.error.message).toMatch(/POST \/api\/billing\/checkout/)
    expect(await available(user)).toBe(0)
  })

  it('opens a Checkout Session priced by the book, with the intent as its idempotency key; a retry with the same Idempotency-Key answers the same session', async () => {
    const user = await t.current.user({ credits: 0 })
    const opened = await checkout(user, 2, { 'idempotency-key': 'buy-two' })
    expect(opened.checkoutUrl).toBe(`${t.stripe.url}/pay/${opened.sessionId}`)
    const created = t.stripe.requests
      .filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')
      .at(-1)!
    expect(created.form).toMatchObject({
      mode: 'payment',
      line_items: [
        {
          quantity: '2',
          price_data: { currency: 'usd', unit_amount: '1500', product_data: { name: '115 Easel credits' } },
        },
      ],
      client_reference_id: user.user.accountId,
      metadata: { easel_account: user.user.accountId, easel_pack: 'pack-115' },
    })
    expect(created.form.success_url).toMatch(/\/credits\/buy\/return\?session_id=\{CHECKOUT_SESSION_ID\}$/)
    expect(created.headers['idempotency-key']).toBe(
      `easel-checkout-${(created.form.metadata as Record<string, string>).easel_intent}`,
    )
    expect(t.stripe.session(opened.sessionId).amount_total).toBe(3000)

    const again = await checkout(user, 2, { 'idempotency-key': 'buy-two' })
    expect(again).toEqual(opened)
    const conflict = await inject('POST', '/api/billing/checkout', {
      user,
      body: { packId: 'pack-115', quantity: 1 },
      headers: { 'idempotency-key': 'buy-two' },
    })
    expect(conflict.status).toBe(409)
    expect(conflict.as(ErrorBody).error.code).toBe('IDEMPOTENCY_CONFLICT')
    expect(await status(user, opened.sessionId)).toEqual({
      sessionId: opened.sessionId,
      status: 'pending',
      purchase: null,
    })
  })

  it('grants once for the same event delivered 10 times at once and again a day later', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    const event = t.stripe.complete(sessionId)
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(event)))
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200))
    expect(answers.filter((a) => (a.body as { outcome: string }).outcome === 'granted')).toHaveLength(1)
    expect(await available(user)).toBe(115)
    clock.advance(DAY)
    const later = await deliver(event)
    expect(later.status).toBe(200)
    expect(later.body).toEqual({ received: true, outcome: 'duplicate' })
    expect(await available(user)).toBe(115)
    expect(await recorded(event.id)).toBe(1)
    const done = await status(user, sessionId)
    expect(done.status).toBe('completed')
    expect(done.purchase).toMatchObject({
      packId: 'pack-115',
      credits: 115,
      amountPaidMinor: 1500,
      currency: 'USD',
    })
    expect((await inject('GET', '/api/purchases', { user })).as(PurchasesBody).purchases).toHaveLength(1)
    await expectLedgerClean()
  })

  it('grants once per session for two different events of it (completed, then async succeeded)', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    const first = t.stripe.complete(sessionId)
    const second = t.stripe.settleAsync(sessionId, true)
    const [a, b] = await Promise.all([deliver(first), deliver(second)])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(await available(user)).toBe(115)
    expect(await recorded(first.id)).toBe(1)
    expect(await recorded(second.id)).toBe(1)
    await expectLedgerClean()
  })

  it('refuses a tampered body, a wrong secret and a stale timestamp with 400, changing nothing', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    const event = t.stripe.complete(sessionId)
    const { payload } = t.stripe.sign(event)
    const tampered = await deliver(event, {
      body: payload.replace('"amount_total": 1500', '"amount_total": 1'),
    })
    const wrongSecret = await deliver(event, { secret: `${STRIPE_WEBHOOK_SECRET}_not` })
    const stale = await deliver(event, { timestamp: Math.floor(clock.now() / 1000) - 301 })
    for (const refused of [tampered, wrongSecret, stale]) {
      expect(refused.status, refused.text).toBe(400)
      expect(refused.error.code).toBe('VALIDATION')
      expect(refused.error.message).toMatch(/signature was not accepted/)
    }
    expect(stale.error.message).toMatch(/tolerance/)
    expect(await recorded(event.id)).toBe(0)
    expect(await available(user)).toBe(0)
    expect((await status(user, sessionId)).status).toBe('pending')
    // The same event, signed as Stripe signs it, still lands.
    expect((await deliver(event)).status).toBe(200)
    expect(await available(user)).toBe(115)
    await expectLedgerClean()
  })

  it('an unpaid completion stays pending until the asynchronous payment succeeds', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    const completed = await deliver(t.stripe.complete(sessionId, { paymentStatus: 'unpaid' }))
    expect(completed.body).toEqual({ received: true, outcome: 'pending' })
    expect(await available(user)).toBe(0)
    expect((await status(user, sessionId)).status).toBe('pending')
    expect((await deliver(t.stripe.settleAsync(sessionId, true))).body).toEqual({
      received: true,
      outcome: 'granted',
    })
    expect(await available(user)).toBe(115)
    expect((await status(user, sessionId)).status).toBe('completed')
    await expectLedgerClean()
  })

  it('an asynchronous payment that fails closes the intent and grants nothing', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    await deliver(t.stripe.complete(sessionId, { paymentStatus: 'unpaid' }))
    expect((await deliver(t.stripe.settleAsync(sessionId, false))).body).toEqual({
      received: true,
      outcome: 'failed',
    })
    expect(await available(user)).toBe(0)
    expect((await status(user, sessionId)).status).toBe('failed')
  })

  it('does not grant a session paid with another amount or currency, and records the event', async () => {
    const user = await t.current.user({ credits: 0 })
    for (const paid of [{ amountTotal: 999 }, { currency: 'eur' }]) {
      const { sessionId } = await checkout(user)
      const event = t.stripe.complete(sessionId, paid)
      const answer = await deliver(event)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({ received: true, outcome: 'amount_mismatch' })
      expect(await recorded(event.id)).toBe(1)
      expect((await status(user, sessionId)).status).toBe('amount_mismatch')
    }
    expect(await available(user)).toBe(0)
    await expectLedgerClean()
  })

  it('fetches the session from Stripe when a completion arrives before Easel stored it', async () => {
    const user = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(user)
    // As if the answer to the checkout request had not been stored yet when the event came.
    await t.current.server.services.db.kysely
      .updateTable('purchase_intents')
      .set({ session_id: null })
      .where('session_id', '=', sessionId)
      .execute()
    const event = t.stripe.complete(sessionId)
    const fetchedBefore = t.stripe.requests.filter(
      (r) => r.path === `/v1/checkout/sessions/${sessionId}`,
    ).length
    expect((await deliver(event)).body).toEqual({ received: true, outcome: 'granted' })
    expect(t.stripe.requests.filter((r) => r.path === `/v1/checkout/sessions/${sessionId}`)).toHaveLength(
      fetchedBefore + 1,
    )
    expect(await available(user)).toBe(115)
    expect((await status(user, sessionId)).status).toBe('completed')
    await expectLedgerClean()
  })

  it('answers 200 to event types it does not act on, and to sessions it did not open, granting nothing', async () => {
    const ignored = await deliver(t.stripe.makeEvent('customer.created', { object: 'customer', id: 'cus_1' }))
    expect(ignored.body).toEqual({ received: true, outcome: 'ignored' })
    // A session another integration on the same Stripe account opened: no intent of Easel's names it.
    const elsewhere = t.stripe.openSession({
      mode: 'payment',
      metadata: {},
      success_url: 'https://example.com/ok',
    })
    const user = await t.current.user({ credits: 0 })
    const foreign = t.stripe.complete(elsewhere.id)
    expect((await deliver(foreign)).body).toEqual({ received: true, outcome: 'not_ours' })
    expect(await recorded(foreign.id)).toBe(1)
    expect(await available(user)).toBe(0)
    await expectLedgerClean()
  })

  it('easel billing reconcile applies the events a webhook outage missed, and a second run applies none', async () => {
    const user = await t.current.user({ credits: 0 })
    const missed = []
    for (let i = 0; i < 3; i++) {
      const { sessionId } = await checkout(user)
      missed.push(t.stripe.complete(sessionId))
    }
    const env = {
      ...testEnv(t.current.testDb, t.current.dataDir),
      EASEL_STRIPE_SECRET_KEY: 'sk_test_easel_fake',
      EASEL_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      EASEL_STRIPE_API_URL: t.stripe.url,
    }
    const reconcile = async () => {
      const out: string[] = []
      const code = await run(['billing', 'reconcile', '--since', '72h'], {
        env,
        clock,
        out: (l) => out.push(l),
        err: (l) => out.push(l),
      })
      expect(code, out.join('\n')).toBe(0)
      return out.join('\n')
    }
    const first = await reconcile()
    for (const event of missed) expect(first).toContain(`${event.id}  checkout.session.completed  granted`)
    expect(await available(user)).toBe(345)
    expect(await reconcile()).toMatch(/^Applied 0 events not recorded before/)
    expect(await available(user)).toBe(345)
    await expectLedgerClean()
  })

  it('shows a checkout only to its account', async () => {
    const owner = await t.current.user({ credits: 0 })
    const other = await t.current.user({ credits: 0 })
    const { sessionId } = await checkout(owner)
    const seen = await inject('GET', `/api/billing/checkout/${sessionId}`, { user: other })
    expect(seen.status).toBe(404)
    expect(seen.error).toMatchObject({ code: 'NOT_FOUND', message: `no checkout ${sessionId}` })
  })
})
