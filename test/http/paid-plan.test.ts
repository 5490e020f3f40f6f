import { beforeAll, describe, expect, it } from 'vitest'
import { CheckoutBody, ErrorBody } from '../../src/contracts/index.ts'
import { PlanBody, SubscribeBody } from '../../src/contracts/plans.ts'
import { type Balance, LABS_2022, validateBook } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { useStripeServer } from '../billing/stripe-server.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import type { StripeEvent } from '../support/fake-stripe.ts'
import type { TestUser } from '../support/server.ts'

// Issue 12, a paid plan: subscribing goes through Stripe Checkout (`mode=subscription`), each paid
// invoice grants the plan's credits for its period (once, however often it is delivered), the
// free allowance stops while the plan lasts, cancelling keeps the plan to the period's end, a
// failed renewal keeps it while Stripe retries and lapses it when Stripe gives up. Purchased
// credits are never touched; the ledger verifies after each. Against the fake Stripe, on every backend.

const PAID_BOOK = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'labs-2022-paid-plan',
    effectiveFrom: undefined,
    allowances: {
      ...LABS_2022.allowances,
      plans: { free: { monthlyCredits: 15 }, pro: { monthlyCredits: 200, priceMinor: 2000 } },
    },
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe.each(BACKENDS)('a paid plan through Stripe subscriptions (%s)', (backend) => {
  const clock = new ManualClock(Date.now())
  const t = useStripeServer(backend, { clock })

  beforeAll(async () => {
    const activated = await t.current.server.services.pricing.activate(PAID_BOOK, 'now')
    if (!activated.ok) throw new Error(activated.error.message)
  })

  const inject = async (method: 'GET' | 'POST', url: string, user?: TestUser, body?: unknown) =>
    Reply.injected(
      await t.current.server.app.inject({
        method,
        url,
        headers: user ? { authorization: `Bearer ${user.apiKey}` } : {},
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    )

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

  const plan = async (user: TestUser) => (await inject('GET', '/api/billing/plan', user)).as(PlanBody)

  async function balance(user: TestUser): Promise<Balance> {
    const read = await t.current.server.services.ledger.balance(user.user.accountId)
    if (!read.ok) throw new Error(read.error.message)
    return read.value
  }

  /** The account's live lots by source, as [source, remaining, expiresAt]. */
  const lots = async (user: TestUser) =>
    (await balance(user)).lots.map((l) => [l.source, l.remaining, l.expiresAt] as const)

  const purchased = async (user: TestUser) =>
    (await balance(user)).lots.filter((l) => l.source === 'purchase').map((l) => l.remaining)

  const owedMonthly = async (user: TestUser) =>
    ((await balance(user)).owed ?? []).filter((o) => o.source === 'monthly').map((o) => o.amount)

  async function expectLedgerClean() {
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  }

  /** A user who bought one 115-credit pack through Stripe Checkout. */
  async function buyer(): Promise<TestUser> {
    const user = await t.current.user()
    const res = await inject('POST', '/api/billing/checkout', user, { packId: 'pack-115' })
    expect(res.status, res.text).toBe(201)
    expect(await deliver(t.stripe.complete(res.as(CheckoutBody).sessionId))).toBe('granted')
    return user
  }

  /** `user` subscribes to pro and pays: the subscription, its first invoice's event, its period's end. */
  async function subscribe(user: TestUser) {
    const res = await inject('POST', '/api/billing/plan/subscribe', user, { planId: 'pro' })
    expect(res.status, res.text).toBe(201)
    const { sessionId, checkoutUrl } = res.as(SubscribeBody)
    expect(checkoutUrl).toContain(sessionId)
    const completed = t.stripe.complete(sessionId)
    const subscription = t.stripe.subscriptionOf(sessionId)
    return {
      sessionId,
      completed,
      subscriptionId: subscription.id,
      firstInvoice: t.stripe.lastEvent('invoice.paid'),
      created: t.stripe.lastEvent('customer.subscription.created'),
      periodEnd: () => t.stripe.subscriptionOf(sessionId).items.data[0].current_period_end * 1000,
    }
  }

  it('grants nothing at checkout; the first paid invoice grants the 200 credits once (10 deliveries), expiring at its period’s end', async () => {
    const user = await buyer()
    expect(await plan(user)).toMatchObject({
      plan: 'free',
      priceMinor: null,
      status: null,
      renewsAt: null,
      canSubscribe: true,
      plans: [
        { id: 'pro', name: 'Pro', monthlyCredits: 200, priceMinor: 2000, currency: 'USD', price: '20.00' },
      ],
    })
    expect(await owedMonthly(user)).toEqual([15])
    // Asking twice before paying answers the same checkout.
    const first = await inject('POST', '/api/billing/plan/subscribe', user, { planId: 'pro' })
    const again = await inject('POST', '/api/billing/plan/subscribe', user, { planId: 'pro' })
    expect(again.as(SubscribeBody).sessionId).toBe(first.as(SubscribeBody).sessionId)
    const sessionId = first.as(SubscribeBody).sessionId
    const completed = t.stripe.complete(sessionId)
    const end = t.stripe.subscriptionOf(sessionId).items.data[0].current_period_end * 1000
    const before = await balance(user)
    expect(await deliver(completed)).toBe('pending')
    expect(await deliver(t.stripe.lastEvent('customer.subscription.created'))).toBe('already_applied')
    // The checkout granted nothing: the plan starts with its paid invoice.
    expect((await balance(user)).available).toBe(before.available)
    expect((await plan(user)).plan).toBe('free')
    // One plan at a time.
    const refused = await inject('POST', '/api/billing/plan/subscribe', user, { planId: 'pro' })
    expect(refused.status).toBe(409)
    expect(refused.as(ErrorBody).error).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_SUBSCRIBED' })

    const invoicePaid = t.stripe.lastEvent('invoice.paid')
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(invoicePaid)))
    expect(answers.filter((a) => a === 'granted')).toHaveLength(1)
    expect(answers.filter((a) => a !== 'granted').every((a) => a === 'duplicate')).toBe(true)
    // The free period's 15 owed before the plan began are granted with it; the plan's 200 expire
    // at the paid period's end; the pack is as it was.
    expect(await lots(user)).toEqual(
      expect.arrayContaining([
        ['monthly', 200, end],
        ['monthly', 15, expect.any(Number)],
        ['purchase', 115, expect.any(Number)],
      ]),
    )
    expect((await balance(user)).available).toBe(330)
    expect(await owedMonthly(user)).toEqual([])
    // The invoice's money is in the operator's report, once.
    const invoiceId = (invoicePaid.data as { object: { id: string } }).object.id
    const moved = await t.current.server.services.db.kysely
      .selectFrom('payment_movements')
      .select(['kind', 'amount_minor', 'currency'])
      .where('reference', '=', `invoice:${invoiceId}`)
      .execute()
    expect(moved.map((m) => [m.kind, Number(m.amount_minor), m.currency])).toEqual([['payment', 2000, 'USD']])
    expect(await plan(user)).toMatchObject({
      plan: 'pro',
      planName: 'Pro',
      monthlyCredits: 200,
      priceMinor: 2000,
      price: '20.00',
      status: 'active',
      cancelAtPeriodEnd: false,
      renewsAt: end,
      endsAt: null,
    })
    await expectLedgerClean()
  })

  it('renews: the next invoice grants the next period’s 200, expiring at its end; no free allowance while on the plan', async () => {
    const user = await buyer()
    const s = await subscribe(user)
    // The invoice overtakes the checkout's event: it finds its intent through the subscription.
    expect(await deliver(s.firstInvoice)).toBe('granted')
    expect(await deliver(s.completed)).toBe('pending')
    expect(await deliver(s.firstInvoice)).toBe('duplicate')
    const firstEnd = s.periodEnd()
    // A moment past the period's end (Stripe's periods are whole seconds; the account's sign-up
    // period, whose free 15 were granted with the plan, ends a fraction of a second after).
    clock.set(firstEnd + 1000)
    // The paid period is over and not renewed yet: nothing is owed (the plan has no free allowance).
    expect(await owedMonthly(user)).toEqual([])
    expect(await lots(user)).toEqual([['purchase', 115, expect.any(Number)]])
    const renewed = t.stripe.renew(s.subscriptionId)
    expect(await deliver(t.stripe.lastEvent('customer.subscription.updated'))).toBe('already_applied')
    expect(await deliver(renewed)).toBe('granted')
    expect(await deliver(renewed)).toBe('duplicate')
    const secondEnd = s.periodEnd()
    expect(secondEnd).toBeGreaterThan(firstEnd)
    expect(await lots(user)).toEqual([
      ['monthly', 200, secondEnd],
      ['purchase', 115, expect.any(Number)],
    ])
    expect(await owedMonthly(user)).toEqual([])
    expect(await plan(user)).toMatchObject({ plan: 'pro', status: 'active', renewsAt: secondEnd })
    await expectLedgerClean()
  })

  it('cancels at the period’s end: the plan lasts to then (resume takes it back), then the account is on the free plan again', async () => {
    const user = await buyer()
    const s = await subscribe(user)
    expect(await deliver(s.completed)).toBe('pending')
    expect(await deliver(s.firstInvoice)).toBe('granted')
    const end = s.periodEnd()
    const cancelled = await inject('POST', '/api/billing/plan/cancel', user)
    expect(cancelled.status, cancelled.text).toBe(202)
    expect(cancelled.as(PlanBody)).toMatchObject({
      plan: 'pro',
      cancelAtPeriodEnd: true,
      renewsAt: null,
      endsAt: end,
    })
    await t.stripe.delivered()
    expect(await plan(user)).toMatchObject({
      plan: 'pro',
      status: 'active',
      cancelAtPeriodEnd: true,
      endsAt: end,
    })
    const resumed = await inject('POST', '/api/billing/plan/resume', user)
    expect(resumed.as(PlanBody)).toMatchObject({ cancelAtPeriodEnd: false, renewsAt: end, endsAt: null })
    await t.stripe.delivered()
    expect((await inject('POST', '/api/billing/plan/cancel', user)).status).toBe(202)
    await t.stripe.delivered()
    expect(t.stripe.subscriptionOf(s.sessionId).cancel_at_period_end).toBe(true)

    clock.set(end)
    const deleted = t.stripe.endPeriod(s.subscriptionId)
    expect(deleted.type).toBe('customer.subscription.deleted')
    expect(await deliver(deleted)).toBe('expired')
    expect(await deliver(deleted)).toBe('duplicate')
    expect(await plan(user)).toMatchObject({
      plan: 'free',
      priceMinor: null,
      status: null,
      cancelAtPeriodEnd: false,
      renewsAt: null,
      endsAt: null,
    })
    // Back on the free plan: this sign-up period's allowance is owed again; the pack is untouched.
    expect(await owedMonthly(user)).toEqual([15])
    expect(await purchased(user)).toEqual([115])
    const nothing = await inject('POST', '/api/billing/plan/cancel', user)
    expect(nothing.status).toBe(409)
    expect(nothing.as(ErrorBody).error).toMatchObject({ reason: 'NOT_SUBSCRIBED' })
    // And may subscribe again.
    expect((await inject('POST', '/api/billing/plan/subscribe', user, { planId: 'pro' })).status).toBe(201)
    await expectLedgerClean()
  })

  it('a failed renewal keeps the plan while Stripe retries (past_due); when Stripe gives up the plan lapses to free', async () => {
    const user = await buyer()
    const s = await subscribe(user)
    expect(await deliver(s.completed)).toBe('pending')
    expect(await deliver(s.firstInvoice)).toBe('granted')
    clock.set(s.periodEnd())
    const [failed, pastDue] = t.stripe.failRenewal(s.subscriptionId)
    expect(await deliver(failed)).toBe('failed')
    expect(await deliver(pastDue)).toBe('already_applied')
    expect(await plan(user)).toMatchObject({ plan: 'pro', status: 'past_due' })
    // Nothing granted for the unpaid period, and no free allowance either while the plan holds.
    expect(await owedMonthly(user)).toEqual([])
    expect(await lots(user)).toEqual([['purchase', 115, expect.any(Number)]])

    expect(await deliver(t.stripe.lapse(s.subscriptionId))).toBe('expired')
    expect(await plan(user)).toMatchObject({ plan: 'free', status: null })
    expect(await owedMonthly(user)).toEqual([15])
    expect(await purchased(user)).toEqual([115])
    await expectLedgerClean()
  })

  it('refuses what cannot be subscribed to, naming the field, and changes nothing', async () => {
    const user = await t.current.user()
    for (const body of [{ planId: 'free' }, { planId: 'gold' }, {}, { planId: '' }]) {
      const res = await inject('POST', '/api/billing/plan/subscribe', user, body)
      expect(res.status, res.text).toBe(400)
      expect(res.as(ErrorBody).error).toMatchObject({ code: 'VALIDATION', field: 'planId' })
    }
    expect((await inject('POST', '/api/billing/plan/resume', user)).status).toBe(409)
    expect((await inject('GET', '/api/billing/plan')).status).toBe(401)
    expect(await plan(user)).toMatchObject({ plan: 'free', status: null })
  })
})
