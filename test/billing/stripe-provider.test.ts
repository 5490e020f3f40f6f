import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckoutRequest, PaymentEvent } from '../../src/billing/provider.ts'
import { RefundRefused } from '../../src/billing/providers/refund-refused.ts'
import { disputeOutcome } from '../../src/billing/providers/stripe/charges.ts'
import type { StripeCheckout } from '../../src/billing/providers/stripe/index.ts'
import type { StripeConfig } from '../../src/config-billing.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { FakeStripe, type StripeEvent } from '../support/fake-stripe.ts'
import {
  checkoutRequest,
  STRIPE_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET,
  stripeCheckoutOn,
} from './stripe-server.ts'

// The Stripe provider after the checkout: the session's payment (PaymentIntent, charge, receipt),
// refunds Easel asks for and the ones Stripe refuses, and the events about charges and disputes,
// through the official SDK against the local host speaking Stripe's API. No database: what the
// provider sends and what it makes of Stripe's answers.

const clock = new ManualClock(Date.now())
let fake: FakeStripe

beforeAll(async () => {
  fake = await FakeStripe.start({
    secretKey: STRIPE_SECRET_KEY,
    webhookSecret: STRIPE_WEBHOOK_SECRET,
    now: () => clock.now(),
  })
})
afterAll(async () => {
  await fake?.close()
})

const stripe = (config: Partial<StripeConfig> = {}) => stripeCheckoutOn(fake, clock, config)

/** A checkout opened through the provider and paid on the fake's page. */
async function paidCheckout(provider: StripeCheckout, overrides: Partial<CheckoutRequest> = {}) {
  const request = checkoutRequest(overrides)
  const { sessionId } = await provider.startCheckout(request)
  fake.complete(sessionId)
  return { request, sessionId, paymentId: fake.paymentIntentOf(sessionId).id }
}

/** The event as the provider reads a signed delivery of it. */
function verified(provider: StripeCheckout, event: StripeEvent | string): PaymentEvent {
  const { payload, signature } = fake.sign(event)
  const result = provider.verifyEvent(Buffer.from(payload), signature)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

const sessionCreations = () =>
  fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')

async function refused(promise: Promise<unknown>): Promise<RefundRefused> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RefundRefused)
  return error as RefundRefused
}

describe('Stripe provider: starting a checkout', () => {
  it('names the intent on the PaymentIntent too, and asks for no tax when automatic tax is off', async () => {
    const request = checkoutRequest()
    const { sessionId } = await stripe().startCheckout(request)
    const created = sessionCreations().at(-1)!
    expect(created.form.payment_intent_data).toEqual({
      metadata: { easel_intent: request.reference, easel_account: 'acct_buyer' },
    })
    expect(created.form).not.toHaveProperty('automatic_tax')
    expect(created.headers['idempotency-key']).toBe(`easel-checkout-${request.reference}`)
    fake.complete(sessionId)
    expect(fake.paymentIntentOf(sessionId).metadata).toEqual({
      easel_intent: request.reference,
      easel_account: 'acct_buyer',
    })
    const session = await stripe().retrieveCheckout(sessionId)
    expect(session).toMatchObject({ amountTotalMinor: 1500, taxMinor: 0, currency: 'USD' })
    expect(session.paymentId).toBe(fake.paymentIntentOf(sessionId).id)
  })

  it('turns on Stripe Tax when configured; the session says the tax it added to the total', async () => {
    const provider = stripe({ automaticTax: true })
    const { sessionId } = await provider.startCheckout(checkoutRequest({ quantity: 2 }))
    expect(sessionCreations().at(-1)!.form.automatic_tax).toEqual({ enabled: 'true' })
    // The fake's Stripe Tax: 10% on top of tax-exclusive prices.
    expect(await provider.retrieveCheckout(sessionId)).toMatchObject({
      amountTotalMinor: 3300,
      taxMinor: 300,
      paymentId: null,
      status: 'open',
    })
    const completed = verified(provider, fake.complete(sessionId))
    expect(completed.subject).toEqual({
      kind: 'checkout',
      session: expect.objectContaining({
        amountTotalMinor: 3300,
        taxMinor: 300,
        paymentId: fake.paymentIntentOf(sessionId).id,
      }),
    })
  })
})

describe('Stripe provider: the payment behind a session', () => {
  it('finds the session a payment was made in, and null for a payment of none', async () => {
    const provider = stripe()
    const { request, sessionId, paymentId } = await paidCheckout(provider)
    expect(await provider.findCheckoutByPayment(paymentId)).toEqual({
      id: sessionId,
      reference: request.reference,
      status: 'complete',
      paymentStatus: 'paid',
      amountTotalMinor: 1500,
      currency: 'USD',
      paymentId,
      mode: 'payment',
      customerId: null,
      subscriptionId: null,
      taxMinor: 0,
    })
    expect(await provider.findCheckoutByPayment('pi_not_a_payment_of_ours')).toBeNull()
  })

  it("reads the payment's charge and receipt page in one request (the latest charge expanded)", async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    const before = fake.requests.length
    const details = await provider.paymentDetails(paymentId)
    const charge = fake.chargeOf(sessionId)
    expect(details).toEqual({ chargeId: charge.id, receiptUrl: charge.receipt_url })
    expect(details.receiptUrl).toMatch(new RegExp(`^${fake.url}/receipts/payment/ch_`))
    const asked = fake.requests.slice(before)
    expect(asked.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/payment_intents/${paymentId}`])
    expect(asked[0]!.form.expand).toEqual(['latest_charge'])
    const receipt = await fetch(details.receiptUrl!)
    expect(receipt.status).toBe(200)
    expect(await receipt.text()).toContain('1500 USD')
  })

  it('a payment not settled yet (a bank debit) has no charge until it succeeds', async () => {
    const provider = stripe()
    const { sessionId } = await provider.startCheckout(checkoutRequest())
    fake.complete(sessionId, { paymentStatus: 'unpaid' })
    const paymentId = fake.paymentIntentOf(sessionId).id
    expect(fake.paymentIntentOf(sessionId).status).toBe('processing')
    expect(await provider.paymentDetails(paymentId)).toEqual({ chargeId: null, receiptUrl: null })
    expect((await provider.findCheckoutByPayment(paymentId))?.paymentStatus).toBe('unpaid')
    fake.settleAsync(sessionId, true)
    expect((await provider.paymentDetails(paymentId)).chargeId).toBe(fake.chargeOf(sessionId).id)
  })
})

describe('Stripe provider: refunds', () => {
  it('refunds part, then the rest; the charge keeps the total refunded', async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    const part = await provider.refund({
      paymentId,
      amountMinor: 500,
      currency: 'USD',
      idempotencyKey: randomUUID(),
    })
    expect(part.refundId).toMatch(/^re_/)
    expect(part.status).toBe('succeeded')
    const asked = fake.requests.filter((r) => r.path === '/v1/refunds').at(-1)!
    expect(asked.form).toEqual({ payment_intent: paymentId, amount: '500' })
    expect(fake.chargeOf(sessionId)).toMatchObject({ amount_refunded: 500, refunded: false })
    const rest = await provider.refund({
      paymentId,
      amountMinor: 1000,
      currency: 'USD',
      idempotencyKey: randomUUID(),
    })
    expect(rest.refundId).not.toBe(part.refundId)
    expect(fake.chargeOf(sessionId)).toMatchObject({ amount_refunded: 1500, refunded: true })
  })

  it('the same key is one refund: asked twice, refunded once; the key with another amount is an error, not a refusal', async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    const request = { paymentId, amountMinor: 700, currency: 'USD', idempotencyKey: randomUUID() }
    const [first, second] = await Promise.all([provider.refund(request), provider.refund(request)])
    const third = await provider.refund(request)
    expect(new Set([first.refundId, second.refundId, third.refundId]).size).toBe(1)
    expect(fake.chargeOf(sessionId).amount_refunded).toBe(700)
    const misused = await provider.refund({ ...request, amountMinor: 100 }).catch((e: unknown) => e)
    expect(misused).toBeInstanceOf(Error)
    expect(misused).not.toBeInstanceOf(RefundRefused)
    expect((misused as Error).message).toMatch(/same parameters/)
    expect(fake.chargeOf(sessionId).amount_refunded).toBe(700)
  })

  it("refuses, as RefundRefused with Stripe's words, more than is left and a charge refunded in full", async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    fake.refundCharge(sessionId, 1000) // the operator, in the Dashboard
    const tooMuch = await refused(
      provider.refund({ paymentId, amountMinor: 501, currency: 'USD', idempotencyKey: randomUUID() }),
    )
    // The SDK puts Stripe's request id first: what Stripe's support asks for.
    expect(tooMuch.message).toMatch(
      /^\[req_\w+\] Refund amount \(\$5\.01\) is greater than unrefunded amount on charge \(\$5\.00\)$/,
    )
    expect(tooMuch.code).toBe('invalid_request_error')
    await provider.refund({ paymentId, amountMinor: 500, currency: 'USD', idempotencyKey: randomUUID() })
    const again = await refused(
      provider.refund({ paymentId, amountMinor: 1, currency: 'USD', idempotencyKey: randomUUID() }),
    )
    expect(again.code).toBe('charge_already_refunded')
    expect(again.message).toMatch(/has already been refunded/)
    expect(fake.chargeOf(sessionId).amount_refunded).toBe(1500)
  })

  it('refuses a charged-back payment and one Stripe does not know; a failure to ask is no refusal', async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    fake.openDispute(sessionId)
    const disputed = await refused(
      provider.refund({ paymentId, amountMinor: 100, currency: 'USD', idempotencyKey: randomUUID() }),
    )
    expect(disputed.code).toBe('charge_disputed')
    const unknown = await refused(
      provider.refund({
        paymentId: 'pi_nobody',
        amountMinor: 100,
        currency: 'USD',
        idempotencyKey: randomUUID(),
      }),
    )
    expect(unknown.code).toBe('resource_missing')
    const wrongKey = await stripe({ secretKey: 'sk_test_not_this_one' })
      .refund({ paymentId, amountMinor: 100, currency: 'USD', idempotencyKey: randomUUID() })
      .catch((e: unknown) => e)
    expect(wrongKey).toBeInstanceOf(Error)
    expect(wrongKey).not.toBeInstanceOf(RefundRefused)
    expect(fake.chargeOf(sessionId).amount_refunded).toBe(0)
  })
})

describe('Stripe provider: events about charges and disputes', () => {
  it('reads charge.refunded as the charge, with the total refunded so far', async () => {
    const provider = stripe()
    const { sessionId, paymentId } = await paidCheckout(provider)
    const charge = fake.chargeOf(sessionId)
    const first = verified(provider, fake.refundCharge(sessionId, 400))
    expect(first.type).toBe('charge.refunded')
    expect(first.subject).toEqual({
      kind: 'charge',
      charge: {
        id: charge.id,
        paymentId,
        amountMinor: 1500,
        amountRefundedMinor: 400,
        currency: 'USD',
        receiptUrl: charge.receipt_url,
      },
    })
    const second = verified(provider, fake.refundCharge(sessionId))
    expect(second.subject).toMatchObject({ kind: 'charge', charge: { amountRefundedMinor: 1500 } })
  })

  it('reads a chargeback opened, then won or lost', async () => {
    const provider = stripe()
    for (const won of [true, false]) {
      const { sessionId, paymentId } = await paidCheckout(provider)
      const created = verified(provider, fake.openDispute(sessionId))
      expect(created.type).toBe('charge.dispute.created')
      if (created.subject.kind !== 'dispute') throw new Error(`not a dispute: ${created.subject.kind}`)
      expect(created.subject.dispute).toEqual({
        id: expect.stringMatching(/^dp_/),
        chargeId: fake.chargeOf(sessionId).id,
        paymentId,
        amountMinor: 1500,
        currency: 'USD',
        status: 'open',
      })
      const closed = verified(provider, fake.closeDispute(created.subject.dispute.id, won))
      expect(closed.type).toBe('charge.dispute.closed')
      expect(closed.subject).toEqual({
        kind: 'dispute',
        dispute: { ...created.subject.dispute, status: won ? 'won' : 'lost' },
      })
    }
  })

  it('an inquiry is open until it closes without a chargeback (warning_closed), which keeps the money', async () => {
    const provider = stripe()
    const { sessionId } = await paidCheckout(provider)
    const opened = fake.openDispute(sessionId, { status: 'warning_needs_response' })
    const read = verified(provider, opened)
    if (read.subject.kind !== 'dispute') throw new Error(`not a dispute: ${read.subject.kind}`)
    expect(read.subject.dispute.status).toBe('open')
    const closed = fake.closeDispute(read.subject.dispute.id, true)
    expect(fake.dispute(read.subject.dispute.id).status).toBe('warning_closed')
    expect(verified(provider, closed).subject).toMatchObject({ kind: 'dispute', dispute: { status: 'won' } })
  })

  it("maps each of Stripe's dispute statuses to open, won or lost", () => {
    const expected = {
      warning_needs_response: 'open',
      warning_under_review: 'open',
      warning_closed: 'won',
      needs_response: 'open',
      under_review: 'open',
      won: 'won',
      lost: 'lost',
      prevented: 'won',
      appeal_needs_response: 'open',
      a_status_stripe_adds_later: 'open',
    }
    expect(Object.fromEntries(Object.keys(expected).map((s) => [s, disputeOutcome(s)]))).toEqual(expected)
  })

  it('lists the charge and dispute events with the checkout ones, oldest first (reconcile)', async () => {
    const provider = stripe()
    // Past the events of the tests before (listed from the second `since` falls in).
    clock.advance(60_000)
    const since = clock.now()
    const { sessionId } = await paidCheckout(provider)
    const completed = fake.events.at(-1)!
    clock.advance(1000)
    const refunded = fake.refundCharge(sessionId, 100)
    clock.advance(1000)
    const disputed = fake.openDispute(sessionId)
    fake.makeEvent('customer.created', { object: 'customer', id: 'cus_1' })
    const listed: PaymentEvent[] = []
    for await (const event of provider.listEvents(since)) listed.push(event)
    expect(listed.map((e) => e.id)).toEqual([completed.id, refunded.id, disputed.id])
    expect(listed.map((e) => e.subject.kind)).toEqual(['checkout', 'charge', 'dispute'])
  })

  it('refuses a signed charge or dispute that is not shaped as one, as it refuses any such body', async () => {
    const provider = stripe()
    const event = fake.makeEvent('charge.refunded', { object: 'charge', id: 'ch_x', amount: 100 })
    const { payload, signature } = fake.sign(event)
    const result = provider.verifyEvent(Buffer.from(payload), signature)
    expect(result).toEqual({ ok: false, error: { message: expect.stringMatching(/not a Stripe event/) } })
    // An amount that is no whole number of minor units reads as unknown (null), never rounded.
    const odd = fake.makeEvent('charge.refunded', {
      object: 'charge',
      id: 'ch_y',
      amount: 150_050,
      amount_refunded: 1.5,
      currency: 'isk',
    })
    expect(verified(provider, odd).subject).toMatchObject({
      kind: 'charge',
      charge: { amountMinor: null, amountRefundedMinor: null, currency: 'ISK', paymentId: null },
    })
  })
})

describe('Stripe provider: currencies Stripe counts differently', () => {
  it('JPY (zero-decimal) goes as it is: the session, the charge, a refund', async () => {
    const provider = stripe({ automaticTax: true })
    const { sessionId, paymentId } = await paidCheckout(provider, {
      unitAmountMinor: 500,
      quantity: 2,
      currency: 'JPY',
    })
    expect(fake.session(sessionId)).toMatchObject({
      amount_subtotal: 1000,
      amount_total: 1100,
      currency: 'jpy',
    })
    expect(await provider.findCheckoutByPayment(paymentId)).toMatchObject({
      amountTotalMinor: 1100,
      taxMinor: 100,
      currency: 'JPY',
    })
    await provider.refund({ paymentId, amountMinor: 300, currency: 'JPY', idempotencyKey: randomUUID() })
    expect(fake.requests.filter((r) => r.path === '/v1/refunds').at(-1)!.form.amount).toBe('300')
    const event = verified(provider, fake.refundCharge(sessionId, 200))
    expect(event.subject).toMatchObject({
      kind: 'charge',
      charge: { amountMinor: 1100, amountRefundedMinor: 500, currency: 'JPY' },
    })
  })

  it('ISK (whole krónur counted in hundredths) is scaled both ways', async () => {
    const provider = stripe({ automaticTax: true })
    const { sessionId, paymentId } = await paidCheckout(provider, { unitAmountMinor: 1500, currency: 'ISK' })
    expect(fake.session(sessionId)).toMatchObject({ amount_total: 165_000, currency: 'isk' })
    expect(await provider.findCheckoutByPayment(paymentId)).toMatchObject({
      amountTotalMinor: 1650,
      taxMinor: 150,
    })
    await provider.refund({ paymentId, amountMinor: 500, currency: 'ISK', idempotencyKey: randomUUID() })
    expect(fake.chargeOf(sessionId).amount_refunded).toBe(50_000)
  })
})

describe('the fake delivers the events of API calls to the webhook', () => {
  it('delivers charge.refunded after answering a refund, signed; the Dashboard refund is left to the test', async () => {
    const received: Array<{ body: Buffer; signature: string | undefined }> = []
    const webhook = http.createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const signature = req.headers['stripe-signature']
      received.push({
        body: Buffer.concat(chunks),
        signature: typeof signature === 'string' ? signature : undefined,
      })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}')
    })
    webhook.listen(0, '127.0.0.1')
    await once(webhook, 'listening')
    fake.webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhook`
    try {
      const provider = stripe()
      const { sessionId, paymentId } = await paidCheckout(provider)
      await provider.refund({ paymentId, amountMinor: 300, currency: 'USD', idempotencyKey: randomUUID() })
      await fake.delivered()
      expect(received).toHaveLength(1)
      const event = provider.verifyEvent(received[0]!.body, received[0]!.signature)
      expect(event).toMatchObject({
        ok: true,
        value: { type: 'charge.refunded', subject: { kind: 'charge', charge: { amountRefundedMinor: 300 } } },
      })
      fake.refundCharge(sessionId, 100)
      fake.autoDeliver = false
      await provider.refund({ paymentId, amountMinor: 100, currency: 'USD', idempotencyKey: randomUUID() })
      await fake.delivered()
      expect(received).toHaveLength(1)
    } finally {
      fake.webhookUrl = null
      fake.autoDeliver = true
      webhook.closeAllConnections()
      await new Promise<void>((resolve) => webhook.close(() => resolve()))
    }
  })
})
