import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { run } from '../../src/cli/main.ts'
import {
  AdminPurchasesBody,
  CheckoutBody,
  ErrorBody,
  type PurchaseBody,
  PurchasesBody,
  RefundBody,
  ReportBody,
} from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { stripeEnv, useStripeServer } from '../billing/stripe-server.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import type { StripeEvent } from '../support/fake-stripe.ts'
import { pdfText } from '../support/pdf-text.ts'
import { type TestUser, testEnv } from '../support/server.ts'

// Issue 12, after the payment: refunds (from Stripe's dashboard or the admin area, in full or in
// part, before the payment's own event arrives), disputes won and lost, receipts and the
// operator's view, against a local host speaking Stripe's API, on every backend. Every event is
// applied once; credits already spent are reported, never taken from other lots; the ledger verifies.

const DAY = 86_400_000

/** What an event is about: its `data.object`, a snapshot as it was when the event was made. */
const objectOf = (event: StripeEvent) =>
  (event.data as { object: Record<string, unknown> & { id: string } }).object

describe.each(BACKENDS)('refunds, disputes and receipts with Stripe (%s)', (backend) => {
  const clock = new ManualClock(Date.now())
  const t = useStripeServer(backend, {
    clock,
    env: {
      EASEL_SELLER_NAME: 'Easel Studio Ltd',
      EASEL_SELLER_ADDRESS: '1 Canvas Row;London N1 1AA',
      EASEL_SELLER_TAX_ID: 'GB123456789',
    },
  })

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    options: { user?: TestUser; body?: unknown } = {},
  ) =>
    Reply.injected(
      await t.current.server.app.inject({
        method,
        url,
        headers: options.user ? { authorization: `Bearer ${options.user.apiKey}` } : {},
        ...(options.body === undefined ? {} : { payload: options.body as object }),
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

  /** A user who bought one 115-credit pack for 15.00 USD, paid and granted; its session id. */
  async function buyer(): Promise<{ user: TestUser; sessionId: string; purchase: PurchaseBody }> {
    const user = await t.current.user({ credits: 0 })
    const res = await inject('POST', '/api/billing/checkout', { user, body: { packId: 'pack-115' } })
    expect(res.status, res.text).toBe(201)
    const { sessionId } = res.as(CheckoutBody)
    expect(await deliver(t.stripe.complete(sessionId))).toBe('granted')
    return { user, sessionId, purchase: await only(user) }
  }

  async function only(user: TestUser): Promise<PurchaseBody> {
    const list = (await inject('GET', '/api/purchases', { user })).as(PurchasesBody)
    expect(list.purchases).toHaveLength(1)
    return list.purchases[0]!
  }

  async function available(user: TestUser): Promise<number> {
    const balance = await t.current.server.services.ledger.balance(user.user.accountId)
    if (!balance.ok) throw new Error(balance.error.message)
    return balance.value.available
  }

  /** Spends `credits` of the account's credits (a job's hold, captured). */
  async function spend(user: TestUser, credits: number) {
    const { ledger } = t.current.server.services
    const hold = await ledger.hold({ accountId: user.user.accountId, amount: credits })
    if (!hold.ok) throw new Error(hold.error.message)
    const captured = await ledger.capture({ holdId: hold.value.holdId })
    if (!captured.ok) throw new Error(captured.error.message)
  }

  async function expectLedgerClean() {
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  }

  it('a partial refund takes back ⌈credits × refunded ÷ paid⌉; a second one only the difference; an older total arriving late changes nothing', async () => {
    const { user, sessionId, purchase } = await buyer()
    expect(purchase).toMatchObject({ status: 'paid', amountRefundedMinor: 0, creditsRevoked: 0 })
    const first = t.stripe.refundCharge(sessionId, 500)
    expect(await deliver(first)).toBe('revoked')
    // ⌈115 × 500 ÷ 1500⌉ = ⌈38.3⌉ = 39
    expect(await available(user)).toBe(115 - 39)
    const second = t.stripe.refundCharge(sessionId, 500)
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(second)))
    expect(answers.filter((a) => a === 'revoked')).toHaveLength(1)
    expect(answers.filter((a) => a !== 'revoked').every((a) => a === 'duplicate')).toBe(true)
    // ⌈115 × 1000 ÷ 1500⌉ = ⌈76.7⌉ = 77 in total: 38 more.
    expect(await available(user)).toBe(115 - 77)
    expect(await deliver(first)).toBe('duplicate')
    // The first refund's event again under another id (as a resend would be): its total is older.
    const older = t.stripe.makeEvent('charge.refunded', objectOf(first))
    expect(await deliver(older)).toBe('already_applied')
    expect(await available(user)).toBe(115 - 77)
    expect(await only(user)).toMatchObject({
      status: 'partly_refunded',
      amountRefundedMinor: 1000,
      creditsRevoked: 77,
      creditsUnrecovered: 0,
      remaining: 38,
    })
    await expectLedgerClean()
  })

  it('a refund of credits already spent takes back only what is left and reports the rest', async () => {
    const { user, sessionId } = await buyer()
    await spend(user, 100)
    expect(await deliver(t.stripe.refundCharge(sessionId))).toBe('revoked')
    expect(await available(user)).toBe(0)
    expect(await only(user)).toMatchObject({
      status: 'refunded',
      amountRefundedMinor: 1500,
      creditsRevoked: 15,
      creditsUnrecovered: 100,
      remaining: 0,
    })
    await expectLedgerClean()
  })

  it('a refund that arrives before the payment’s own event grants the pack first, then takes it back; the late completion changes nothing', async () => {
    const user = await t.current.user({ credits: 0 })
    const res = await inject('POST', '/api/billing/checkout', { user, body: { packId: 'pack-115' } })
    const { sessionId } = res.as(CheckoutBody)
    const completed = t.stripe.complete(sessionId)
    const refunded = t.stripe.refundCharge(sessionId)
    expect(await deliver(refunded)).toBe('revoked')
    expect(await available(user)).toBe(0)
    expect(await deliver(completed)).toBe('already_granted')
    expect(await available(user)).toBe(0)
    expect(await only(user)).toMatchObject({ status: 'refunded', creditsRevoked: 115 })
    await expectLedgerClean()
  })

  it('a dispute takes the unspent credits at once; won, they come back with the same expiry', async () => {
    const { user, sessionId, purchase } = await buyer()
    await spend(user, 15)
    const opened = t.stripe.openDispute(sessionId)
    expect(await deliver(opened)).toBe('revoked')
    expect(await available(user)).toBe(0)
    expect(await only(user)).toMatchObject({ status: 'disputed', disputeStatus: 'open', creditsRevoked: 100 })
    clock.advance(DAY)
    const disputeId = objectOf(opened).id
    expect(await deliver(t.stripe.closeDispute(disputeId, true))).toBe('reinstated')
    expect(await available(user)).toBe(100)
    const after = await only(user)
    expect(after).toMatchObject({ status: 'paid', disputeStatus: 'won', creditsRevoked: 0, remaining: 100 })
    expect(after.expiresAt).toBe(purchase.expiresAt)
    expect(await deliver(opened)).toBe('duplicate')
    await expectLedgerClean()
  })

  it('a lost dispute leaves the credits revoked; a closing that overtakes the opening applies once', async () => {
    const lost = await buyer()
    const opened = t.stripe.openDispute(lost.sessionId)
    expect(await deliver(opened)).toBe('revoked')
    const disputeId = objectOf(opened).id
    expect(await deliver(t.stripe.closeDispute(disputeId, false))).toBe('dispute_lost')
    expect(await available(lost.user)).toBe(0)
    expect(await only(lost.user)).toMatchObject({
      status: 'disputed',
      disputeStatus: 'lost',
      creditsRevoked: 115,
    })

    const won = await buyer()
    const early = t.stripe.openDispute(won.sessionId)
    const closed = t.stripe.closeDispute(objectOf(early).id, true)
    expect(await deliver(closed)).toBe('reinstated')
    expect(await deliver(early)).toBe('already_applied')
    expect(await available(won.user)).toBe(115)
    expect(await only(won.user)).toMatchObject({ status: 'paid', disputeStatus: 'won' })
    await expectLedgerClean()
  })

  it('an admin refunds part, then the rest, through Stripe; the webhook takes the credits back; a third is refused', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const { user, purchase } = await buyer()
    const url = `/api/admin/purchases/${purchase.id}/refund`
    expect((await inject('POST', url, { user, body: {} })).status).toBe(403)
    const tooMuch = await inject('POST', url, { user: admin, body: { amountMinor: 1501 } })
    expect(tooMuch.status).toBe(400)
    expect(tooMuch.as(ErrorBody).error).toMatchObject({ code: 'VALIDATION', field: 'amountMinor' })
    const part = await inject('POST', url, {
      user: admin,
      body: { amountMinor: 300, reason: 'one image failed' },
    })
    expect(part.status, part.text).toBe(202)
    expect(part.as(RefundBody)).toMatchObject({ amountMinor: 300, currency: 'USD', status: 'succeeded' })
    await t.stripe.delivered()
    // ⌈115 × 300 ÷ 1500⌉ = 23
    expect(await available(user)).toBe(92)
    const asked = t.stripe.requests.filter((r) => r.path === '/v1/refunds')
    expect(asked.at(-1)!.headers['idempotency-key']).toBe(`easel-refund-${purchase.id}-0-300`)
    const rest = await inject('POST', url, { user: admin, body: {} })
    expect(rest.as(RefundBody).amountMinor).toBe(1200)
    await t.stripe.delivered()
    expect(await available(user)).toBe(0)
    const again = await inject('POST', url, { user: admin, body: {} })
    expect(again.status).toBe(409)
    expect(again.as(ErrorBody).error).toMatchObject({ code: 'CONFLICT', reason: 'REFUND_REFUSED' })
    const listed = (await inject('GET', '/api/admin/purchases', { user: admin })).as(AdminPurchasesBody)
    expect(listed.purchases.find((p) => p.id === purchase.id)).toMatchObject({
      status: 'refunded',
      amountRefundedMinor: 1500,
      email: user.user.email,
      provider: 'stripe',
    })
    const audit = await sql<{ reason: string | null }>`select reason from audit_log
      where action = 'purchase.refund' and subject = ${purchase.id} order by id`.execute(
      t.current.server.services.db.kysely,
    )
    expect(audit.rows.map((r) => r.reason)).toEqual(['one image failed', null])
    expect(
      (await inject('POST', '/api/admin/purchases/pur_nope/refund', { user: admin, body: {} })).status,
    ).toBe(404)
    await expectLedgerClean()
  })

  it('each purchase has a receipt: numbered without gaps, a PDF for its buyer only, mailed', async () => {
    const a = await buyer()
    const b = await buyer()
    expect(a.purchase.receiptNumber).not.toBeNull()
    expect(b.purchase.receiptNumber).toBe(a.purchase.receiptNumber! + 1)
    const pdf = await t.current.server.app.inject({
      method: 'GET',
      url: `/api/purchases/${a.purchase.id}/receipt`,
      headers: { authorization: `Bearer ${a.user.apiKey}` },
    })
    expect(pdf.statusCode).toBe(200)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    const text = pdfText(pdf.rawPayload)
    expect(text).toContain(String(a.purchase.receiptNumber).padStart(6, '0'))
    expect(text).toContain('Easel Studio Ltd')
    expect(text).toContain('GB123456789')
    expect(text).toContain('15.00')
    expect(text).toContain(t.stripe.paymentIntentOf(a.sessionId).id)
    expect((await inject('GET', `/api/purchases/${a.purchase.id}/receipt`, { user: b.user })).status).toBe(
      404,
    )
    const mails = await sql<{
      to_address: string
      subject: string
    }>`select to_address, subject from mail_outbox
      where kind = 'purchase-receipt' and to_address = ${a.user.user.email}`.execute(
      t.current.server.services.db.kysely,
    )
    expect(mails.rows).toHaveLength(1)
    expect(mails.rows[0]!.subject).toContain(String(a.purchase.receiptNumber).padStart(6, '0'))
  })

  it('easel billing reconcile applies a refund whose webhook never arrived', async () => {
    const { user, sessionId } = await buyer()
    const missed = t.stripe.refundCharge(sessionId)
    expect(missed.type).toBe('charge.refunded')
    const out: string[] = []
    const code = await run(['billing', 'reconcile', '--since', '1h'], {
      env: { ...testEnv(t.current.testDb, t.current.dataDir), ...stripeEnv(t.stripe) },
      clock,
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    })
    expect(code, out.join('\n')).toBe(0)
    expect(out.join('\n')).toContain(`${missed.id}  charge.refunded  revoked`)
    expect(await available(user)).toBe(0)
    await expectLedgerClean()
  })

  it('the admin report shows cash received, refunds and disputes per currency', async () => {
    const admin = await t.current.user({ role: 'admin' })
    // The suite's clock stands still: what the other tests moved stays before this period.
    clock.advance(DAY)
    const from = clock.now()
    const refunded = await buyer()
    expect(await deliver(t.stripe.refundCharge(refunded.sessionId, 400))).toBe('revoked')
    const disputed = await buyer()
    expect(await deliver(t.stripe.openDispute(disputed.sessionId))).toBe('revoked')
    clock.advance(1)
    const report = (
      await inject('GET', `/api/admin/report?from=${from}&to=${clock.now()}`, { user: admin })
    ).as(ReportBody)
    expect(report.payments).toEqual([
      {
        currency: 'USD',
        receivedMinor: 3000,
        refundedMinor: 400,
        disputedMinor: 1500,
        disputesWonMinor: 0,
        netMinor: 1100,
      },
    ])
  })
})
