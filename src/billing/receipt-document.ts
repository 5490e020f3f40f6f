import type { SellerConfig } from '../config-billing.ts'

/**
 * A receipt as issued for a completed purchase: everything its PDF and its mail say, fixed when
 * the purchase was granted (the seller's details as configured then). Money in integer minor units
 * of `currency` (ISO 4217); the total includes the tax.
 */
export interface ReceiptDocument {
  /** Gapless per installation, from 1. */
  number: number
  issuedAt: number
  seller: SellerConfig
  buyer: { accountId: string; email: string | null }
  packId: string
  /** Credits in one pack, and how many packs. */
  creditsPerPack: number
  quantity: number
  /** Credits granted in all. */
  credits: number
  unitPriceMinor: number
  /** What was paid, tax included. */
  totalMinor: number
  taxMinor: number
  currency: string
  /** Which checkout took the payment (`stripe`, `test`) and its reference for it. */
  provider: string
  providerReference: string
  /** The provider's own receipt page (Stripe's), when there is one. */
  receiptUrl: string | null
}
