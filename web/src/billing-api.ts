import type { CheckoutBody, CheckoutRequest, CheckoutStatusBody } from '../../src/contracts/index.ts'
import { call } from './api.ts'

/** The hosted checkout (Stripe Checkout): open one for packs, and see where one stands. */
export const billingApi = {
  checkout: (packId: string, quantity: number) =>
    call<CheckoutBody>('POST', '/api/billing/checkout', { packId, quantity } satisfies CheckoutRequest),
  checkoutStatus: (sessionId: string) =>
    call<CheckoutStatusBody>('GET', `/api/billing/checkout/${encodeURIComponent(sessionId)}`),
}
