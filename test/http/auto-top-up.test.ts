import { describe, expect, it } from 'vitest'
import { AutoTopUpBody, AutoTopUpSavedBody } from '../../src/contracts/auto-top-up.ts'
import { JobBody, PurchasesBody } from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { useStripeServer } from '../billing/stripe-server.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import type { StripeEvent } from '../support/fake-stripe.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { type TestServer, type TestUser, useTestServer } from '../support/server.ts'

// Issue 12, auto top-up and the low-balance notice, through HTTP on every backend against a local
// host speaking Stripe's API: the first checkout saves the card; a charge that leaves fewer
// credits than the threshold buys one pack off-session, one at a time per account, at most the
// daily cap; the credits land only with the payment's event, once; two declines in a row turn it
// off and say why; the notice is mailed once per crossing. The ledger verifies after each.

const DAY = 86_400_000
const PACK = 'pack-115'
const PACK_CREDITS = 115

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE'

/** Calls the API with the user's API key, through `inject()`. */
async function call(t: { current: TestServer }, user: TestUser, method: Method, url: string, body?: unknown) {
  return Reply.injected(
    await t.current.server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${user.apiKey}` },
      ...(body === undefined ? {} : { payload: body as object }),
    }),
  )
}

async function settingsOf(t: { current: TestServer }, user: TestUser): Promise<AutoTopUpBody> {
  const res = await call(t, user, 'GET', '/api/billing/auto-top-up')
  expect(res.status, res.text).toBe(200)
  return res.as(AutoTopUpBody)
}

async function available(t: { current: TestServer }, user: TestUser): Promise<number> {
  const balance = await t.current.server.services.ledger.balance(user.user.accountId)
  if (!balance.ok) throw new Error(balance.error.message)
  return balance.value.available
}

/**
 * A job's charge as the studio makes it (a hold, captured), then the studio's after-charge hook,
 * awaited. Resolves to what the hook did.
 */
async function charge(t: { current: TestServer }, user: TestUser, credits: number) {
  const { ledger, autoTopUps } = t.current.server.services
  const hold = await ledger.hold({ accountId: user.user.accountId, amount: credits })
  if (!hold.ok) throw new Error(hold.error.message)
  const captured = await ledger.capture({ holdId: hold.value.holdId })
  if (!captured.ok) throw new Error(captured.error.message)
  return autoTopUps.afterCharge(user.user.accountId)
}

/** How many mails of `kind` were queued to the user. */
async function mails(t: { current: TestServer }, user: TestUser, kind: string): Promise<number> {
  const rows = await t.current.server.services.db.kysely
    .selectFrom('mail_outbox')
    .select('id')
    .where('to_address', '=', user.email)
    .where('kind', '=', kind)
    .execute()
  return rows.length
}

async function expectLedgerClean(t: { current: TestServer }) {
  expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
}

describe.each(BACKENDS)('auto top-up with Stripe (%s)', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 11, 10, 9))
  const t = useStripeServer(backend, { clock })

  /** Delivers an event to the webhook as Stripe would, and says what Easel did with it. */
  async function deliver(event: StripeEvent): Promise<string> {
    const { payload, signature } = t.stripe.sign(event)
    const res = Reply.injected(
      await t.current.server.app.inject({
        method: 'POST',
        url: '/api/billing/stripe/webhook',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
        payload,
      }),
    )
    expect(res.status, res.text).toBe(200)
    return (res.body as { outcome: string }).outcome
  }

  const sessionOf = (checkoutUrl: string) => {
    const session = [...t.stripe.sessions.values()].find((s) => s.url === checkoutUrl)
    if (!session) throw new Error(`no session at ${checkoutUrl}`)
    return session.id
  }

  /**
   * A user with auto top-up on: turned on without a card (the answer's checkout buys the pack and
   * saves the card), the checkout paid. They hold the pack's 115 credits.
   */
  async function cardHolder(options: { threshold: number; lowBalanceNotice?: boolean }) {
    const user = await t.current.user({ credits: 0 })
    const res = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: options.threshold,
      ...(options.lowBalanceNotice === undefined ? {} : { lowBalanceNotice: options.lowBalanceNotice }),
    })
    expect(res.status, res.text).toBe(200)
    const saved = res.as(AutoTopUpSavedBody)
    expect(saved).toMatchObject({ enabled: true, active: false, card: null })
    const sessionId = sessionOf(saved.checkoutUrl!)
    expect(await deliver(t.stripe.complete(sessionId))).toBe('granted')
    expect(await available(t, user)).toBe(PACK_CREDITS)
    return { user, sessionId, paymentMethodId: t.stripe.paymentMethodOf(sessionId).id }
  }

  it('the first checkout buys the pack and saves the card; auto top-up runs from then on', async () => {
    const user = await t.current.user({ credits: 0 })
    expect(await settingsOf(t, user)).toMatchObject({
      offered: true,
      enabled: false,
      active: false,
      card: null,
      todayCount: 0,
      maxPerDay: 3,
    })
    const res = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 20,
    })
    expect(res.status, res.text).toBe(200)
    const saved = res.as(AutoTopUpSavedBody)
    expect(saved).toMatchObject({ enabled: true, active: false, packId: PACK, threshold: 20, card: null })
    const sessionId = sessionOf(saved.checkoutUrl!)
    const request = t.stripe.requests.find(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/checkout/sessions' &&
        JSON.stringify(r.form).includes(user.user.accountId),
    )
    expect(request?.form).toMatchObject({
      mode: 'payment',
      payment_intent_data: { setup_future_usage: 'off_session' },
    })
    const intent = await t.current.server.services.db.kysely
      .selectFrom('purchase_intents')
      .select(['save_card', 'kind', 'quantity'])
      .where('session_id', '=', sessionId)
      .executeTakeFirstOrThrow()
    expect(intent).toEqual({ save_card: 1, kind: 'pack', quantity: 1 })

    expect(await deliver(t.stripe.complete(sessionId))).toBe('granted')
    expect(await available(t, user)).toBe(PACK_CREDITS)
    expect(await settingsOf(t, user)).toMatchObject({
      enabled: true,
      active: true,
      card: { label: 'visa •••• 4242' },
      consecutiveFailures: 0,
      inFlight: null,
    })
    // With the card saved, turning it on again (another threshold) opens no checkout.
    const again = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 30,
    })
    expect(again.as(AutoTopUpSavedBody)).toMatchObject({ active: true, threshold: 30, checkoutUrl: null })
    // Nothing is charged until a charge leaves fewer credits than the threshold.
    expect(
      t.stripe.offSessionPayments().filter((p) => p.customer === t.stripe.customerOf(sessionId).id),
    ).toEqual([])
    await expectLedgerClean(t)
  })

  it('a charge below the threshold buys the pack once; its credits land only with the webhook, once for 10 deliveries', async () => {
    const { user, paymentMethodId } = await cardHolder({ threshold: 50 })
    t.stripe.autoDeliver = false
    try {
      const before = t.stripe.offSessionPayments().length
      const outcome = await charge(t, user, 100)
      expect(outcome?.topUp?.status).toBe('succeeded')
      const payments = t.stripe.offSessionPayments().slice(before)
      expect(payments).toHaveLength(1)
      expect(payments[0]).toMatchObject({
        amount: 1500,
        currency: 'usd',
        payment_method: paymentMethodId,
        metadata: { easel_intent: outcome!.topUp!.reference },
      })
      // Paid, but Easel has not heard it from the webhook: nothing granted yet, one top-up in flight.
      expect(await available(t, user)).toBe(15)
      expect((await settingsOf(t, user)).inFlight?.reference).toBe(outcome!.topUp!.reference)
      expect((await charge(t, user, 1))?.topUp).toBeNull()
      expect(t.stripe.offSessionPayments().length).toBe(before + 1)

      const succeeded = t.stripe.lastEvent('payment_intent.succeeded')
      const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(succeeded)))
      expect(answers.filter((a) => a === 'granted')).toHaveLength(1)
      expect(answers.filter((a) => a !== 'granted').every((a) => a === 'duplicate')).toBe(true)
      expect(await available(t, user)).toBe(14 + PACK_CREDITS)
      expect(await settingsOf(t, user)).toMatchObject({
        inFlight: null,
        todayCount: 1,
        consecutiveFailures: 0,
      })
      const list = (await call(t, user, 'GET', '/api/purchases')).as(PurchasesBody)
      expect(list.purchases).toHaveLength(2)
      expect(list.purchases.find((p) => p.id === outcome!.topUp!.reference)).toMatchObject({
        credits: PACK_CREDITS,
        amountPaidMinor: 1500,
        status: 'paid',
      })
      expect(await mails(t, user, 'purchase-receipt')).toBe(2)
    } finally {
      t.stripe.autoDeliver = true
    }
    await expectLedgerClean(t)
  })

  it('20 charges at once crossing the threshold make exactly one payment', async () => {
    const { user, sessionId } = await cardHolder({ threshold: 50, lowBalanceNotice: true })
    const customer = t.stripe.customerOf(sessionId).id
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => charge(t, user, 4)))
    await t.stripe.delivered()
    await t.current.server.services.autoTopUps.idle()
    expect(t.stripe.offSessionPayments().filter((p) => p.customer === customer)).toHaveLength(1)
    expect(outcomes.filter((o) => o?.topUp)).toHaveLength(1)
    expect(await available(t, user)).toBe(PACK_CREDITS - 80 + PACK_CREDITS)
    expect(await mails(t, user, 'low-balance')).toBe(1)
    expect(await settingsOf(t, user)).toMatchObject({ inFlight: null, todayCount: 1 })
    await expectLedgerClean(t)
  })

  it('at most EASEL_AUTO_TOPUP_MAX_PER_DAY top-ups a (UTC) day', async () => {
    const { user, sessionId } = await cardHolder({ threshold: 50 })
    const customer = t.stripe.customerOf(sessionId).id
    const paymentsOf = () => t.stripe.offSessionPayments().filter((p) => p.customer === customer).length
    for (let n = 1; n <= 3; n++) {
      const outcome = await charge(t, user, (await available(t, user)) - 40)
      expect(outcome?.topUp?.status).toBe('succeeded')
      await t.stripe.delivered()
      expect(await available(t, user)).toBe(40 + PACK_CREDITS)
    }
    expect(await charge(t, user, (await available(t, user)) - 40)).toMatchObject({ topUp: null })
    expect(paymentsOf()).toBe(3)
    expect(await settingsOf(t, user)).toMatchObject({ todayCount: 3, maxPerDay: 3, active: true })
    // The next day counts afresh.
    clock.advance(DAY)
    expect((await charge(t, user, 1))?.topUp?.status).toBe('succeeded')
    await t.stripe.delivered()
    expect(paymentsOf()).toBe(4)
    expect(await available(t, user)).toBe(39 + PACK_CREDITS)
    await expectLedgerClean(t)
  })

  it('two declines in a row turn auto top-up off, say why and mail the user; never retried in a loop', async () => {
    const { user, sessionId, paymentMethodId } = await cardHolder({ threshold: 50 })
    const customer = t.stripe.customerOf(sessionId).id
    t.stripe.cardBehaviour(paymentMethodId, 'decline')
    expect((await charge(t, user, 70))?.topUp?.status).toBe('declined')
    // The payment's failure event is the same failure as the answer: counted once.
    await t.stripe.delivered()
    expect(await settingsOf(t, user)).toMatchObject({
      enabled: true,
      active: true,
      consecutiveFailures: 1,
      inFlight: null,
      disabledReason: null,
    })
    expect((await charge(t, user, 1))?.topUp?.status).toBe('declined')
    await t.stripe.delivered()
    const off = await settingsOf(t, user)
    expect(off).toMatchObject({
      enabled: false,
      active: false,
      consecutiveFailures: 2,
      disabledReason: '2 payments in a row were declined: Your card was declined.',
      todayCount: 2,
    })
    expect(await mails(t, user, 'auto-top-up-off')).toBe(1)
    expect((await charge(t, user, 1))?.topUp).toBeNull()
    expect(t.stripe.offSessionPayments().filter((p) => p.customer === customer)).toHaveLength(2)
    expect(await available(t, user)).toBe(PACK_CREDITS - 72)

    // Turned on again (the card fixed): it runs, its count of declines starts afresh.
    t.stripe.cardBehaviour(paymentMethodId, 'succeed')
    const on = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 50,
    })
    expect(on.as(AutoTopUpSavedBody)).toMatchObject({
      active: true,
      consecutiveFailures: 0,
      disabledReason: null,
      checkoutUrl: null,
    })
    expect((await charge(t, user, 1))?.topUp?.status).toBe('succeeded')
    await t.stripe.delivered()
    expect(await available(t, user)).toBe(PACK_CREDITS - 73 + PACK_CREDITS)
    await expectLedgerClean(t)
  })

  it('a processing payment holds the slot until it settles: paid, its credits land; failed, one decline', async () => {
    const { user, paymentMethodId } = await cardHolder({ threshold: 50 })
    t.stripe.cardBehaviour(paymentMethodId, 'processing')
    const first = await charge(t, user, 70)
    expect(first?.topUp?.status).toBe('processing')
    expect((await charge(t, user, 1))?.topUp).toBeNull()
    const pending = t.stripe.offSessionPayments().at(-1)!
    expect(pending.metadata).toMatchObject({ easel_intent: first!.topUp!.reference })
    expect(await available(t, user)).toBe(44)
    expect(await deliver(t.stripe.settlePayment(pending.id, true))).toBe('granted')
    expect(await available(t, user)).toBe(44 + PACK_CREDITS)
    expect(await settingsOf(t, user)).toMatchObject({ inFlight: null, consecutiveFailures: 0 })

    const second = await charge(t, user, 120)
    expect(second?.topUp?.status).toBe('processing')
    const failing = t.stripe.offSessionPayments().at(-1)!
    const failed = t.stripe.settlePayment(failing.id, false)
    expect(await deliver(failed)).toBe('failed')
    expect(await deliver(failed)).toBe('duplicate')
    expect(await settingsOf(t, user)).toMatchObject({ inFlight: null, consecutiveFailures: 1, enabled: true })
    expect(await available(t, user)).toBe(39)
    await expectLedgerClean(t)
  })

  it('the low-balance notice is mailed once per crossing of the threshold, and shown while below', async () => {
    const user = await t.current.user({ credits: 100 })
    const quiet = await t.current.user({ credits: 100 })
    for (const [who, notice] of [
      [user, true],
      [quiet, false],
    ] as const) {
      const res = await call(t, who, 'PUT', '/api/billing/auto-top-up', {
        enabled: false,
        packId: PACK,
        threshold: 50,
        lowBalanceNotice: notice,
      })
      expect(res.as(AutoTopUpSavedBody)).toMatchObject({
        enabled: false,
        checkoutUrl: null,
        lowBalanceNotice: notice,
      })
    }
    expect((await settingsOf(t, user)).lowBalance).toEqual({ threshold: 50, below: false })
    await charge(t, user, 60)
    await charge(t, quiet, 60)
    expect(await mails(t, user, 'low-balance')).toBe(1)
    expect((await settingsOf(t, user)).lowBalance).toEqual({ threshold: 50, below: true })
    await charge(t, user, 10)
    await charge(t, user, 1)
    expect(await mails(t, user, 'low-balance')).toBe(1)
    // Back above the threshold (credits bought or given), the next crossing is a new one.
    const granted = await t.current.server.services.ledger.grant({
      accountId: user.user.accountId,
      amount: 100,
      source: 'promotional',
    })
    expect(granted.ok).toBe(true)
    expect((await settingsOf(t, user)).lowBalance).toEqual({ threshold: 50, below: false })
    await charge(t, user, 90)
    expect(await mails(t, user, 'low-balance')).toBe(2)
    expect(await mails(t, quiet, 'low-balance')).toBe(0)
    expect((await settingsOf(t, quiet)).lowBalance).toBeNull()
    expect(
      t.stripe.offSessionPayments().filter((p) => p.metadata?.easel_account === user.user.accountId),
    ).toEqual([])
    await expectLedgerClean(t)
  })

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const user = await t.current.user({ credits: 10 })
    const ok = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: false,
      packId: PACK,
      threshold: 5,
      lowBalanceNotice: true,
    })
    expect(ok.status, ok.text).toBe(200)
    const before = await settingsOf(t, user)
    const sessions = t.stripe.sessions.size
    const cases: Array<[unknown, string]> = [
      [{ enabled: true, packId: PACK, threshold: 0 }, 'threshold'],
      [{ enabled: true, packId: PACK, threshold: 2.5 }, 'threshold'],
      [{ enabled: true, packId: PACK, threshold: '10' }, 'threshold'],
      [{ enabled: true, packId: PACK, threshold: 10_000_001 }, 'threshold'],
      [{ enabled: true, packId: PACK }, 'threshold'],
      [{ enabled: true, packId: 'pack-nope', threshold: 10 }, 'packId'],
      [{ enabled: true, packId: '', threshold: 10 }, 'packId'],
      [{ packId: PACK, threshold: 10 }, 'enabled'],
      [{ enabled: 'yes', packId: PACK, threshold: 10 }, 'enabled'],
      [{ enabled: true, packId: PACK, threshold: 10, lowBalanceNotice: 1 }, 'lowBalanceNotice'],
    ]
    for (const [body, field] of cases) {
      const res = await call(t, user, 'PUT', '/api/billing/auto-top-up', body)
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400)
      expect(res.error.field).toBe(field)
      expect(res.error.message).toContain(field)
    }
    const unknown = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 10,
      treshold: 10,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.error.message).toMatch(/treshold/)
    expect(await settingsOf(t, user)).toEqual(before)
    expect(t.stripe.sessions.size).toBe(sessions)
  })

  it("another user's settings and card are never visible nor touched", async () => {
    const { user: owner } = await cardHolder({ threshold: 25, lowBalanceNotice: true })
    const other = await t.current.user({ credits: 0 })
    const mine = await settingsOf(t, owner)
    expect(await settingsOf(t, other)).toMatchObject({
      enabled: false,
      packId: null,
      threshold: null,
      card: null,
      lowBalance: null,
      todayCount: 0,
    })
    const forgot = await call(t, other, 'DELETE', '/api/billing/auto-top-up/card')
    expect(forgot.status, forgot.text).toBe(200)
    expect(forgot.as(AutoTopUpBody).card).toBeNull()
    expect(await settingsOf(t, owner)).toEqual(mine)
    // A session works as the key does, with its CSRF token on writes.
    const browser = await new InjectedBrowser(t).signIn(owner)
    expect((await browser.call('GET', '/api/billing/auto-top-up')).as(AutoTopUpBody)).toEqual(mine)
    const noToken = await t.current.server.app.inject({
      method: 'DELETE',
      url: '/api/billing/auto-top-up/card',
      headers: { cookie: browser.cookie },
    })
    expect(noToken.statusCode).toBe(403)
    expect(await settingsOf(t, owner)).toEqual(mine)
  })

  it('forgetting the card turns auto top-up off: a charge below the threshold then pays nothing', async () => {
    const { user, sessionId } = await cardHolder({ threshold: 50 })
    const forgot = await call(t, user, 'DELETE', '/api/billing/auto-top-up/card')
    expect(forgot.as(AutoTopUpBody)).toMatchObject({ enabled: false, active: false, card: null })
    expect((await charge(t, user, 100))?.topUp).toBeNull()
    expect(
      t.stripe.offSessionPayments().filter((p) => p.customer === t.stripe.customerOf(sessionId).id),
    ).toEqual([])
    // Turned on again, it needs a card again: a checkout that saves one, for the same customer.
    const again = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 50,
    })
    const saved = again.as(AutoTopUpSavedBody)
    expect(saved).toMatchObject({ enabled: true, active: false })
    expect(t.stripe.session(sessionOf(saved.checkoutUrl!)).customer).toBe(t.stripe.customerOf(sessionId).id)
    await expectLedgerClean(t)
  })

  it('a real job’s charge fires the studio hook: the top-up follows the job', async () => {
    const { user, sessionId } = await cardHolder({ threshold: PACK_CREDITS })
    const started = await call(t, user, 'POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a lighthouse in a storm',
      size: '256x256',
    })
    expect(started.status, started.text).toBe(202)
    const job = started.as(JobBody)
    // The job's events end when it finishes.
    const events = await fetch(`${t.current.url}/api/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    await events.text()
    const done = (await call(t, user, 'GET', `/api/jobs/${job.id}`)).as(JobBody)
    expect(done).toMatchObject({ status: 'succeeded', creditsCharged: 1 })
    await t.current.server.services.autoTopUps.idle()
    await t.stripe.delivered()
    expect(
      t.stripe.offSessionPayments().filter((p) => p.customer === t.stripe.customerOf(sessionId).id),
    ).toHaveLength(1)
    expect(await available(t, user)).toBe(PACK_CREDITS - 1 + PACK_CREDITS)
    await expectLedgerClean(t)
  })
})

describe.each(BACKENDS)('auto top-up without Stripe (%s)', (backend) => {
  const t = useTestServer(backend)

  it('turning it on is a 409 that says why; the low-balance notice alone still works', async () => {
    const user = await t.current.user({ credits: 100 })
    expect((await settingsOf(t, user)).offered).toBe(false)
    const refused = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: true,
      packId: PACK,
      threshold: 50,
    })
    expect(refused.status, refused.text).toBe(409)
    expect(refused.error.message).toMatch(/Stripe/)
    expect((await settingsOf(t, user)).threshold).toBeNull()
    const notice = await call(t, user, 'PUT', '/api/billing/auto-top-up', {
      enabled: false,
      packId: PACK,
      threshold: 50,
      lowBalanceNotice: true,
    })
    expect(notice.status, notice.text).toBe(200)
    expect((await charge(t, user, 60))?.topUp).toBeNull()
    expect(await mails(t, user, 'low-balance')).toBe(1)
    expect((await settingsOf(t, user)).lowBalance).toEqual({ threshold: 50, below: true })
    await expectLedgerClean(t)
  })
})
