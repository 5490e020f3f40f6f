import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  CheckoutRequest,
  OffSessionCharge,
  PaymentEvent,
  SubscriptionRequest,
} from '../../src/billing/provider.ts'
import type { StripeCheckout } from '../../src/billing/providers/stripe/index.ts'
import { EVENT_TYPES } from '../../src/billing/providers/stripe/sessions.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { FakeStripe, type StripeEvent } from '../support/fake-stripe.ts'
import { addMonths } from '../support/fake-stripe-recurring.ts'
import {
  checkoutRequest,
  STRIPE_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET,
  stripeCheckoutOn,
} from './stripe-server.ts'

// The Stripe provider for payments without the buyer: a card saved in a Checkout and charged
// later (auto top-up), and monthly subscriptions (paid plans) through their whole life, through the
// official SDK against the local host speaking Stripe's API. No database: what the provider sends
// and what it makes of Stripe's answers and events.

// 31 January: the subscription's months end on the 28th (29th), then the 31st again.
const START = Date.UTC(2026, 0, 31, 12, 0, 0)
const clock = new ManualClock(START)
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

const stripe = () => stripeCheckoutOn(fake, clock)

const savingCheckout = (overrides: Partial<CheckoutRequest> = {}) =>
  checkoutRequest({ saveCard: true, ...overrides })

function subscriptionRequest(overrides: Partial<SubscriptionRequest> = {}): SubscriptionRequest {
  return {
    accountId: 'acct_subscriber',
    reference: `sub_intent_${randomUUID()}`,
    planId: 'pro',
    description: 'Easel Pro — 200 credits a month',
    unitAmountMinor: 2000,
    currency: 'EUR',
    successUrl: 'https://easel.test/plans/return?session_id={SESSION}',
    cancelUrl: 'https://easel.test/plans',
    ...overrides,
  }
}

/** A card saved in a paid checkout: the session, its customer and payment method. */
async function savedCardCheckout(provider: StripeCheckout, overrides: Partial<CheckoutRequest> = {}) {
  const { sessionId } = await provider.startCheckout(savingCheckout(overrides))
  fake.complete(sessionId)
  return {
    sessionId,
    paymentId: fake.paymentIntentOf(sessionId).id,
    customerId: fake.customerOf(sessionId).id,
    paymentMethodId: fake.paymentMethodOf(sessionId).id,
  }
}

function offSession(
  card: { customerId: string; paymentMethodId: string },
  overrides: Partial<OffSessionCharge> = {},
): OffSessionCharge {
  return {
    accountId: 'acct_buyer',
    reference: `topup_${randomUUID()}`,
    packId: 'pack-115',
    customerId: card.customerId,
    paymentMethodId: card.paymentMethodId,
    amountMinor: 1500,
    currency: 'USD',
    description: 'Auto top-up: 115 Easel credits',
    idempotencyKey: `easel-topup-${randomUUID()}`,
    ...overrides,
  }
}

/** The event as the provider reads a signed delivery of it. */
function verified(provider: StripeCheckout, event: StripeEvent): PaymentEvent {
  const { payload, signature } = fake.sign(event)
  const result = provider.verifyEvent(Buffer.from(payload), signature)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

const posts = (path: string) => fake.requests.filter((r) => r.method === 'POST' && r.path === path)

describe('Stripe provider: saving the card in a checkout', () => {
  it('asks Stripe to keep the card off-session on a new customer; the paid payment names the saved card', async () => {
    const provider = stripe()
    const request = savingCheckout()
    const { sessionId } = await provider.startCheckout(request)
    const created = posts('/v1/checkout/sessions').at(-1)!
    expect(created.form.payment_intent_data).toEqual({
      metadata: { easel_intent: request.reference, easel_account: 'acct_buyer' },
      setup_future_usage: 'off_session',
    })
    expect(created.form.customer_creation).toBe('always')
    expect(created.form).not.toHaveProperty('customer')
    const completed = verified(provider, fake.complete(sessionId))
    const customerId = fake.customerOf(sessionId).id
    expect(customerId).toMatch(/^cus_/)
    expect(completed.subject).toEqual({
      kind: 'checkout',
      session: expect.objectContaining({ mode: 'payment', customerId, subscriptionId: null }),
    })
    const paymentId = fake.paymentIntentOf(sessionId).id
    const before = fake.requests.length
    expect(await provider.savedCard(paymentId)).toEqual({
      customerId,
      paymentMethodId: fake.paymentMethodOf(sessionId).id,
      label: 'visa •••• 4242',
    })
    // One request: the payment method expanded in place.
    const asked = fake.requests.slice(before)
    expect(asked.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/payment_intents/${paymentId}`])
    expect(asked[0]!.form.expand).toEqual(['payment_method'])
  })

  it("uses the account's customer when it has one (no second customer)", async () => {
    const provider = stripe()
    const first = await savedCardCheckout(provider)
    const { sessionId } = await provider.startCheckout(savingCheckout({ customerId: first.customerId }))
    const created = posts('/v1/checkout/sessions').at(-1)!
    expect(created.form.customer).toBe(first.customerId)
    expect(created.form).not.toHaveProperty('customer_creation')
    fake.complete(sessionId)
    const saved = await provider.savedCard(fake.paymentIntentOf(sessionId).id)
    expect(saved?.customerId).toBe(first.customerId)
    expect(saved?.paymentMethodId).not.toBe(first.paymentMethodId)
    expect((await provider.retrieveCheckout(sessionId)).customerId).toBe(first.customerId)
  })

  it('a checkout that did not ask to save the card has none to charge later', async () => {
    const provider = stripe()
    const { sessionId } = await provider.startCheckout(savingCheckout({ saveCard: false }))
    const created = posts('/v1/checkout/sessions').at(-1)!
    expect(created.form).not.toHaveProperty('customer_creation')
    expect(created.form.payment_intent_data).not.toHaveProperty('setup_future_usage')
    fake.complete(sessionId)
    expect(await provider.savedCard(fake.paymentIntentOf(sessionId).id)).toBeNull()
    // A customer given without saving: the payment has a customer but no card kept for later.
    const { customerId } = await savedCardCheckout(provider)
    const again = await provider.startCheckout(savingCheckout({ saveCard: false, customerId }))
    fake.complete(again.sessionId)
    expect(fake.paymentIntentOf(again.sessionId).customer).toBe(customerId)
    expect(await provider.savedCard(fake.paymentIntentOf(again.sessionId).id)).toBeNull()
  })
})

describe('Stripe provider: charging a saved card off-session', () => {
  it("charges the card once per key, naming the intent on the payment; its event is the payment's state", async () => {
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    const request = offSession(card)
    const result = await provider.chargeSavedCard(request)
    expect(result).toEqual({ status: 'succeeded', paymentId: expect.stringMatching(/^pi_/) })
    const asked = posts('/v1/payment_intents').at(-1)!
    expect(asked.headers['idempotency-key']).toBe(request.idempotencyKey)
    expect(asked.form).toEqual({
      amount: '1500',
      currency: 'usd',
      customer: card.customerId,
      payment_method: card.paymentMethodId,
      off_session: 'true',
      confirm: 'true',
      description: 'Auto top-up: 115 Easel credits',
      metadata: { easel_intent: request.reference, easel_account: 'acct_buyer', easel_pack: 'pack-115' },
    })
    const made = fake.offSessionPayments().length
    const events = fake.events.length
    // A retry (the SDK's, or Easel's after a crash) is the same payment, charged once.
    expect(await provider.chargeSavedCard(request)).toEqual(result)
    expect(fake.offSessionPayments()).toHaveLength(made)
    expect(fake.events).toHaveLength(events)

    const succeeded = verified(provider, fake.lastEvent('payment_intent.succeeded'))
    expect(succeeded).toMatchObject({ type: 'payment_intent.succeeded' })
    expect(succeeded.subject).toEqual({
      kind: 'payment',
      payment: {
        id: result.paymentId,
        status: 'succeeded',
        amountMinor: 1500,
        currency: 'USD',
        reference: request.reference,
        customerId: card.customerId,
        paymentMethodId: card.paymentMethodId,
        failureMessage: null,
      },
    })
    expect((await provider.paymentDetails(result.paymentId!)).chargeId).toMatch(/^ch_/)
  })

  it("a decline is an answer, not an error: the failed payment and Stripe's words, once per key", async () => {
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    fake.cardBehaviour(card.paymentMethodId, 'decline')
    const request = offSession(card)
    const result = await provider.chargeSavedCard(request)
    expect(result).toEqual({
      status: 'declined',
      paymentId: expect.stringMatching(/^pi_/),
      reason: 'Your card was declined.',
    })
    const intent = fake.offSessionPayments().at(-1)!
    expect(intent).toMatchObject({ id: result.paymentId, status: 'requires_payment_method' })
    const made = fake.offSessionPayments().length
    expect(await provider.chargeSavedCard(request)).toEqual(result)
    expect(fake.offSessionPayments()).toHaveLength(made)

    const failed = verified(provider, fake.lastEvent('payment_intent.payment_failed'))
    expect(failed.subject).toEqual({
      kind: 'payment',
      payment: expect.objectContaining({
        id: result.paymentId,
        status: 'failed',
        reference: request.reference,
        failureMessage: 'Your card was declined.',
      }),
    })
    expect(await provider.paymentDetails(result.paymentId!)).toEqual({ chargeId: null, receiptUrl: null })
  })

  it('a bank asking for authentication the buyer is not there to give is a decline too', async () => {
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    fake.cardBehaviour(card.paymentMethodId, 'authentication_required')
    expect(await provider.chargeSavedCard(offSession(card))).toMatchObject({
      status: 'declined',
      reason: expect.stringMatching(/requires authentication/),
    })
  })

  it('a payment still processing settles later, by event: succeeded or failed', async () => {
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    fake.cardBehaviour(card.paymentMethodId, 'processing')
    const events = fake.events.length
    const first = await provider.chargeSavedCard(offSession(card))
    expect(first).toEqual({ status: 'processing', paymentId: expect.stringMatching(/^pi_/) })
    expect(fake.events).toHaveLength(events)
    const paid = verified(provider, fake.settlePayment(first.paymentId!, true))
    expect(paid.subject).toMatchObject({
      kind: 'payment',
      payment: { id: first.paymentId, status: 'succeeded' },
    })

    const second = await provider.chargeSavedCard(offSession(card))
    const failed = verified(provider, fake.settlePayment(second.paymentId!, false))
    expect(failed).toMatchObject({
      type: 'payment_intent.payment_failed',
      subject: { kind: 'payment', payment: { status: 'failed', failureMessage: 'Your card was declined.' } },
    })
  })

  it('anything but a card refused is thrown: a card not saved on the customer, a key reused for another payment', async () => {
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    const other = await savedCardCheckout(provider)
    const wrongCustomer = provider.chargeSavedCard(offSession({ ...card, customerId: other.customerId }))
    await expect(wrongCustomer).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    const request = offSession(card)
    await provider.chargeSavedCard(request)
    await expect(provider.chargeSavedCard({ ...request, amountMinor: 3000 })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    )
  })

  it('delivers the payment events of API calls after the answer, a decline included', async () => {
    const received: StripeEvent[] = []
    const webhook = http.createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StripeEvent)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}')
    })
    webhook.listen(0, '127.0.0.1')
    await once(webhook, 'listening')
    const provider = stripe()
    const card = await savedCardCheckout(provider)
    fake.webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhook`
    try {
      const paid = await provider.chargeSavedCard(offSession(card))
      fake.cardBehaviour(card.paymentMethodId, 'decline')
      const declined = await provider.chargeSavedCard(offSession(card))
      await fake.delivered()
      expect(received.map((e) => [e.type, (e.data as { object: { id: string } }).object.id])).toEqual([
        ['payment_intent.succeeded', paid.paymentId],
        ['payment_intent.payment_failed', declined.paymentId],
      ])
    } finally {
      fake.webhookUrl = null
      webhook.closeAllConnections()
      await new Promise<void>((resolve) => webhook.close(() => resolve()))
    }
  })
})

describe('Stripe provider: subscriptions', () => {
  it('opens a monthly subscription checkout priced inline, the intent and plan on the subscription too; once per reference', async () => {
    const provider = stripe()
    const request = subscriptionRequest()
    const started = await provider.startSubscription(request)
    const created = posts('/v1/checkout/sessions').at(-1)!
    const metadata = { easel_intent: request.reference, easel_account: 'acct_subscriber', easel_plan: 'pro' }
    expect(created.headers['idempotency-key']).toBe(`easel-subscription-${request.reference}`)
    expect(created.form).toEqual({
      mode: 'subscription',
      line_items: [
        {
          quantity: '1',
          price_data: {
            currency: 'eur',
            unit_amount: '2000',
            recurring: { interval: 'month' },
            product_data: { name: 'Easel Pro — 200 credits a month' },
          },
        },
      ],
      client_reference_id: 'acct_subscriber',
      metadata,
      subscription_data: { metadata },
      success_url: 'https://easel.test/plans/return?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://easel.test/plans',
    })
    expect(started.url).toBe(`${fake.url}/pay/${started.sessionId}`)
    expect(await provider.startSubscription(request)).toEqual(started)
    expect(fake.sessions.has(started.sessionId)).toBe(true)
    // With the account's customer: named, never made again.
    const { customerId } = await savedCardCheckout(provider)
    await provider.startSubscription(subscriptionRequest({ customerId }))
    expect(posts('/v1/checkout/sessions').at(-1)!.form.customer).toBe(customerId)
  })

  it('lives: paid → invoice.paid for the first month; renewed; a renewal failing, then paid; cancelled at the period end', async () => {
    const provider = stripe()
    const request = subscriptionRequest()
    const { sessionId } = await provider.startSubscription(request)
    const completed = verified(provider, fake.complete(sessionId))
    const subscriptionId = fake.subscriptionOf(sessionId).id
    const customerId = fake.customerOf(sessionId).id
    expect(completed.subject).toEqual({
      kind: 'checkout',
      session: expect.objectContaining({
        mode: 'subscription',
        reference: request.reference,
        status: 'complete',
        paymentStatus: 'paid',
        amountTotalMinor: 2000,
        currency: 'EUR',
        paymentId: null,
        customerId,
        subscriptionId,
      }),
    })
    const february = Date.UTC(2026, 1, 28, 12, 0, 0)
    const state = {
      id: subscriptionId,
      customerId,
      status: 'active',
      cancelAtPeriodEnd: false,
      currentPeriodEnd: february,
      reference: request.reference,
      planId: 'pro',
    }
    expect(verified(provider, fake.lastEvent('customer.subscription.created')).subject).toEqual({
      kind: 'subscription',
      subscription: state,
    })
    const first = verified(provider, fake.lastEvent('invoice.paid'))
    expect(first.subject).toEqual({
      kind: 'invoice',
      invoice: {
        id: expect.stringMatching(/^in_/),
        subscriptionId,
        customerId,
        status: 'paid',
        amountPaidMinor: 2000,
        currency: 'EUR',
        periodStart: START,
        periodEnd: february,
        billingReason: 'subscription_create',
      },
    })
    expect(await provider.retrieveSubscription(subscriptionId)).toEqual(state)

    clock.set(february)
    const march = Date.UTC(2026, 2, 31, 12, 0, 0)
    const renewed = verified(provider, fake.renew(subscriptionId))
    expect(renewed.subject).toMatchObject({
      kind: 'invoice',
      invoice: {
        status: 'paid',
        periodStart: february,
        periodEnd: march,
        billingReason: 'subscription_cycle',
      },
    })
    expect(verified(provider, fake.lastEvent('customer.subscription.updated')).subject).toMatchObject({
      subscription: { status: 'active', currentPeriodEnd: march },
    })

    clock.set(march)
    const april = Date.UTC(2026, 3, 30, 12, 0, 0)
    const [invoiceFailed, pastDue] = fake.failRenewal(subscriptionId).map((e) => verified(provider, e))
    expect(invoiceFailed).toMatchObject({
      type: 'invoice.payment_failed',
      subject: {
        kind: 'invoice',
        invoice: { status: 'open', amountPaidMinor: 0, periodStart: march, periodEnd: april },
      },
    })
    expect(pastDue!.subject).toMatchObject({
      subscription: { status: 'past_due', currentPeriodEnd: april },
    })
    // Stripe's retry goes through: the same invoice, for the same period, is paid.
    const retried = verified(provider, fake.renew(subscriptionId))
    expect(retried.subject).toMatchObject({
      invoice: {
        id: (invoiceFailed!.subject as { invoice: { id: string } }).invoice.id,
        status: 'paid',
        periodEnd: april,
      },
    })
    expect((await provider.retrieveSubscription(subscriptionId)).status).toBe('active')

    const events = fake.events.length
    expect(await provider.setCancelAtPeriodEnd(subscriptionId, true)).toMatchObject({
      status: 'active',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: april,
    })
    expect(posts(`/v1/subscriptions/${subscriptionId}`).at(-1)!.form).toEqual({
      cancel_at_period_end: 'true',
    })
    expect(fake.events.slice(events).map((e) => e.type)).toEqual(['customer.subscription.updated'])
    expect((await provider.setCancelAtPeriodEnd(subscriptionId, false)).cancelAtPeriodEnd).toBe(false)
    await provider.setCancelAtPeriodEnd(subscriptionId, true)

    clock.set(april)
    const ended = verified(provider, fake.endPeriod(subscriptionId))
    expect(ended).toMatchObject({
      type: 'customer.subscription.deleted',
      subject: { kind: 'subscription', subscription: { status: 'canceled', reference: request.reference } },
    })
    // A subscription that ended cannot be resumed.
    await expect(provider.setCancelAtPeriodEnd(subscriptionId, false)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    )
  })

  it('lapses when Stripe gives up on a renewal; a period ending uncancelled renews', async () => {
    const provider = stripe()
    const { sessionId } = await provider.startSubscription(subscriptionRequest())
    fake.complete(sessionId)
    const subscriptionId = fake.subscriptionOf(sessionId).id
    expect(verified(provider, fake.endPeriod(subscriptionId))).toMatchObject({
      type: 'invoice.paid',
      subject: { invoice: { billingReason: 'subscription_cycle' } },
    })
    fake.failRenewal(subscriptionId)
    const lapsed = verified(provider, fake.lapse(subscriptionId))
    expect(lapsed).toMatchObject({
      type: 'customer.subscription.deleted',
      subject: { subscription: { id: subscriptionId, status: 'canceled', cancelAtPeriodEnd: false } },
    })
    expect((await provider.retrieveSubscription(subscriptionId)).status).toBe('canceled')
  })

  it("the hosted page's Pay button delivers the subscription's events, then the checkout's", async () => {
    const received: string[] = []
    const webhook = http.createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as StripeEvent).type)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}')
    })
    webhook.listen(0, '127.0.0.1')
    await once(webhook, 'listening')
    fake.webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhook`
    try {
      const { sessionId, url } = await stripe().startSubscription(subscriptionRequest())
      const paid = await fetch(url, { method: 'POST', redirect: 'manual' })
      expect(paid.status).toBe(303)
      expect(paid.headers.get('location')).toBe(`https://easel.test/plans/return?session_id=${sessionId}`)
      expect(received).toEqual([
        'customer.subscription.created',
        'invoice.paid',
        'checkout.session.completed',
      ])
      expect(fake.subscriptionOf(sessionId).status).toBe('active')
    } finally {
      fake.webhookUrl = null
      webhook.closeAllConnections()
      await new Promise<void>((resolve) => webhook.close(() => resolve()))
    }
  })

  it("reads events of API versions before 2025-03-31.basil: the invoice's subscription and the period at the top", () => {
    const provider = stripe()
    const invoice = verified(
      provider,
      fake.makeEvent('invoice.paid', {
        object: 'invoice',
        id: 'in_legacy',
        subscription: 'sub_legacy',
        customer: 'cus_legacy',
        status: 'paid',
        amount_paid: 2000,
        currency: 'usd',
        billing_reason: 'subscription_cycle',
        lines: { object: 'list', data: [{ period: { start: 1_700_000_000, end: 1_702_592_000 } }] },
      }),
    )
    expect(invoice.subject).toEqual({
      kind: 'invoice',
      invoice: {
        id: 'in_legacy',
        subscriptionId: 'sub_legacy',
        customerId: 'cus_legacy',
        status: 'paid',
        amountPaidMinor: 2000,
        currency: 'USD',
        periodStart: 1_700_000_000_000,
        periodEnd: 1_702_592_000_000,
        billingReason: 'subscription_cycle',
      },
    })
    const subscription = verified(
      provider,
      fake.makeEvent('customer.subscription.updated', {
        object: 'subscription',
        id: 'sub_legacy',
        customer: 'cus_legacy',
        status: 'past_due',
        cancel_at_period_end: false,
        current_period_end: 1_702_592_000,
        metadata: {},
        items: { object: 'list', data: [{ id: 'si_legacy' }] },
      }),
    )
    expect(subscription.subject).toEqual({
      kind: 'subscription',
      subscription: {
        id: 'sub_legacy',
        customerId: 'cus_legacy',
        status: 'past_due',
        cancelAtPeriodEnd: false,
        currentPeriodEnd: 1_702_592_000_000,
        reference: null,
        planId: null,
      },
    })
  })
})

describe('Stripe provider: reading payments, invoices and subscriptions', () => {
  it('a PaymentIntent is failed only after an attempt failed; one waiting for the buyer is other', () => {
    const provider = stripe()
    const intent = (fields: Record<string, unknown>) =>
      verified(
        provider,
        fake.makeEvent('payment_intent.canceled', {
          object: 'payment_intent',
          id: 'pi_x',
          currency: 'usd',
          amount: 100,
          ...fields,
        }),
      ).subject as { payment: { status: string } }
    expect(intent({ status: 'requires_payment_method', last_payment_error: null }).payment.status).toBe(
      'other',
    )
    expect(
      intent({ status: 'canceled', last_payment_error: { message: 'Your card was declined.' } }).payment
        .status,
    ).toBe('failed')
    expect(intent({ status: 'requires_action' }).payment.status).toBe('other')
    expect(intent({ status: 'processing' }).payment.status).toBe('processing')
  })

  it('refuses a signed invoice, subscription or payment that is not shaped as one', () => {
    const provider = stripe()
    for (const object of [
      { object: 'invoice', id: 'in_x' },
      { object: 'subscription', id: 'sub_x' },
      { object: 'payment_intent', id: 'pi_x' },
    ]) {
      const { payload, signature } = fake.sign(fake.makeEvent('invoice.paid', object))
      expect(provider.verifyEvent(Buffer.from(payload), signature)).toMatchObject({ ok: false })
    }
  })

  it('lists the payment, invoice and subscription events with the others, oldest first (reconcile)', async () => {
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'payment_intent.succeeded',
        'payment_intent.payment_failed',
        'invoice.paid',
        'invoice.payment_failed',
        'customer.subscription.created',
        'customer.subscription.updated',
        'customer.subscription.deleted',
      ]),
    )
    const provider = stripe()
    clock.advance(3_600_000)
    const since = clock.now()
    const card = await savedCardCheckout(provider)
    clock.advance(1000)
    await provider.chargeSavedCard(offSession(card))
    clock.advance(1000)
    const { sessionId } = await provider.startSubscription(subscriptionRequest())
    fake.complete(sessionId)
    const listed: PaymentEvent[] = []
    for await (const event of provider.listEvents(since)) listed.push(event)
    // The subscription's events share a second with its checkout's, and keep Stripe's order.
    expect(listed.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
      'customer.subscription.created',
      'invoice.paid',
      'checkout.session.completed',
    ])
  })
})

describe('the fake bills by calendar month, as Stripe does', () => {
  it('keeps the anchor day, clamped to the end of shorter months', () => {
    const at = (ms: number) => new Date(addMonths(START / 1000, ms) * 1000).toISOString()
    expect([1, 2, 3, 12, 13].map(at)).toEqual([
      '2026-02-28T12:00:00.000Z',
      '2026-03-31T12:00:00.000Z',
      '2026-04-30T12:00:00.000Z',
      '2027-01-31T12:00:00.000Z',
      '2027-02-28T12:00:00.000Z',
    ])
    expect(new Date(addMonths(Date.UTC(2027, 11, 31) / 1000, 2) * 1000).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    )
  })
})
