import type { Config } from '../../config.ts'
import type { PaymentProvider, PaymentProviderDeps, PaymentProviderModule } from '../provider.ts'
import * as stripe from './stripe/index.ts'
import * as testCheckout from './test-checkout/index.ts'

export { TestCheckout } from './test-checkout/index.ts'

/**
 * Every payment provider Easel can take payments through. Adding one is a
 * folder `billing/providers/<name>/` whose index.ts exports `name` and `fromConfig`, and a line
 * here.
 */
export const PAYMENT_PROVIDERS = [
  stripe, // EASEL_STRIPE_SECRET_KEY (first: with Stripe on, the test checkout is not offered)
  testCheckout, // EASEL_TEST_CHECKOUT=on
] as const satisfies readonly PaymentProviderModule[]

export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number]['name']

export const PAYMENT_PROVIDER_NAMES: readonly PaymentProviderName[] = PAYMENT_PROVIDERS.map((p) => p.name)

/** The first listed provider the configuration turns on, or null: packs are shown, not sold. */
export function paymentProviderFromConfig(
  config: Config,
  deps: PaymentProviderDeps,
): PaymentProvider<PaymentProviderName> | null {
  for (const module of PAYMENT_PROVIDERS) {
    const provider = module.fromConfig(config, deps)
    if (provider) return provider
  }
  return null
}
