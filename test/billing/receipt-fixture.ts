import type { ReceiptDocument } from '../../src/billing/receipt-document.ts'

/** Stripe's receipt page of a payment, as its charges link it. */
export const STRIPE_RECEIPT = 'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xTjk?s=ap'

/** A receipt of one 115-credit pack for 15.00 USD from a German seller, with `change` applied. */
export function receiptOf(change: Partial<ReceiptDocument> = {}): ReceiptDocument {
  return {
    number: 42,
    issuedAt: Date.UTC(2026, 11, 3, 9, 30),
    seller: {
      name: 'Atelier Lumière GmbH',
      address: ['Hauptstraße 1', '10115 Berlin', 'Germany'],
      taxId: 'DE123456789',
    },
    buyer: { accountId: 'acct_01JB2ZK5', email: 'ada@example.test' },
    packId: 'starter',
    creditsPerPack: 115,
    quantity: 1,
    credits: 115,
    unitPriceMinor: 1500,
    taxMinor: 0,
    totalMinor: 1500,
    currency: 'USD',
    provider: 'stripe',
    providerReference: 'pi_3QxYz0AbCdEf',
    receiptUrl: STRIPE_RECEIPT,
    ...change,
  }
}
