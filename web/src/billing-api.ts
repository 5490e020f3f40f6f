import type {
  AdminPurchasesBody,
  CheckoutBody,
  CheckoutRequest,
  CheckoutStatusBody,
  PurchasesBody,
  RefundBody,
  RefundRequest,
} from '../../src/contracts/index.ts'
import { call } from './api.ts'

/** The hosted checkout (Stripe Checkout): open one for packs, and see where one stands. */
export const billingApi = {
  checkout: (packId: string, quantity: number) =>
    call<CheckoutBody>('POST', '/api/billing/checkout', { packId, quantity } satisfies CheckoutRequest),
  checkoutStatus: (sessionId: string) =>
    call<CheckoutStatusBody>('GET', `/api/billing/checkout/${encodeURIComponent(sessionId)}`),
  /** The account's purchases, and its hosted checkouts still waiting for their payment or failed. */
  purchases: () => call<PurchasesBody>('GET', '/api/purchases'),
}

/**
 * Where a purchase's receipt is (a PDF the server renders; a link opens it, the browser's cookie
 * signs the request): the buyer's own, or any purchase's for an administrator.
 */
export const receiptUrl = (purchaseId: string, admin = false) =>
  `/api/${admin ? 'admin/' : ''}purchases/${encodeURIComponent(purchaseId)}/receipt`

/** Everyone's purchases, and refunds, for administrators. */
export const adminBillingApi = {
  purchases: (limit = 100) => call<AdminPurchasesBody>('GET', `/api/admin/purchases?limit=${limit}`),
  /**
   * Asks the payment provider to refund (all that is left when `amountMinor` is absent). The answer
   * is the provider's acceptance: the credits are taken back when its event arrives.
   */
  refund: (purchaseId: string, request: RefundRequest) =>
    call<RefundBody>('POST', `/api/admin/purchases/${encodeURIComponent(purchaseId)}/refund`, request),
}
