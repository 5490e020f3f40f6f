import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import type { CheckoutRequest } from '../../src/billing/provider.ts'
import { StripeCheckout } from '../../src/billing/providers/stripe/index.ts'
import type { StripeConfig } from '../../src/config-billing.ts'
import type { Clock } from '../../src/util/clock.ts'
import type { Backend } from '../support/backends.ts'
import { FakeStripe } from '../support/fake-stripe.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

export const STRIPE_SECRET_KEY = 'sk_test_easel_fake'
export const STRIPE_WEBHOOK_SECRET = 'whsec_easel_fake'

/** The environment that turns Stripe on, pointed at `fake`. */
export function stripeEnv(fake: FakeStripe): Record<string, string> {
  return {
    EASEL_STRIPE_SECRET_KEY: STRIPE_SECRET_KEY,
    EASEL_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
    EASEL_STRIPE_API_URL: fake.url,
  }
}

/**
 * A fake Stripe host and an Easel server using it, for the suite: the fake starts first (the
 * server's configuration names its address), and delivers its hosted page's events to the server.
 */
export function useStripeServer(
  backend: Backend,
  options: { clock?: Clock; env?: Record<string, string>; maxPageSize?: number } = {},
): { readonly current: TestServer; readonly stripe: FakeStripe } {
  const holder = {} as { current: TestServer; stripe: FakeStripe }
  beforeAll(async () => {
    const clock = options.clock
    holder.stripe = await FakeStripe.start({
      secretKey: STRIPE_SECRET_KEY,
      webhookSecret: STRIPE_WEBHOOK_SECRET,
      ...(clock ? { now: () => clock.now() } : {}),
      ...(options.maxPageSize ? { maxPageSize: options.maxPageSize } : {}),
    })
    holder.current = await startTestServer(backend, {
      env: { ...stripeEnv(holder.stripe), EASEL_RATE_LIMIT_PER_IP: '100000', ...options.env },
      ...(clock ? { clock } : {}),
    })
    holder.stripe.webhookUrl = `${holder.current.url}/api/billing/stripe/webhook`
  }, 60_000)
  afterAll(async () => {
    await holder.current?.close()
    await holder.stripe?.close()
  })
  return holder
}

/** Easel's Stripe provider pointed at `fake`, on `clock`, with `config` changed. */
export function stripeCheckoutOn(
  fake: FakeStripe,
  clock: Clock,
  config: Partial<StripeConfig> = {},
): StripeCheckout {
  return new StripeCheckout(
    {
      secretKey: STRIPE_SECRET_KEY,
      webhookSecret: STRIPE_WEBHOOK_SECRET,
      apiUrl: fake.url,
      automaticTax: false,
      ...config,
    },
    clock,
  )
}

/** A checkout of one 115-credit pack for 15.00 USD under a fresh intent, with `overrides`. */
export function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    accountId: 'acct_buyer',
    reference: `intent_${randomUUID()}`,
    packId: 'pack-115',
    description: '115 Easel credits',
    quantity: 1,
    unitAmountMinor: 1500,
    currency: 'USD',
    successUrl: 'https://easel.test/credits/buy/return?session_id={SESSION}',
    cancelUrl: 'https://easel.test/credits/buy',
    ...overrides,
  }
}
