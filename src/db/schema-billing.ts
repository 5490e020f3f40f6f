import type { Generated } from 'kysely'

// The tables of buying credits (see `billing/`), apart from the rest of the schema for its size.

export interface PurchaseIntentsTable {
  reference: string
  account_id: string
  request_hash: string
  /** Card checkouts: pending → completed | declined. Hosted ones: pending → completed | failed | expired | amount_mismatch. */
  status: 'pending' | 'completed' | 'declined' | 'failed' | 'expired' | 'amount_mismatch'
  outcome: string | null
  created_at: number
  updated_at: number
  /** Set for a hosted checkout (`stripe`); null for the card checkouts of before. */
  provider: string | null
  pack_id: string | null
  quantity: number | null
  amount_minor: number | null
  currency: string | null
  /** The provider's checkout session, once it exists. */
  session_id: string | null
  checkout_url: string | null
  /** `pack` (a checkout), `auto_top_up` (a saved card, no buyer), `subscription` (a plan). */
  kind: Generated<'pack' | 'auto_top_up' | 'subscription'>
  plan_id: string | null
  /** An auto top-up's payment (Stripe's PaymentIntent), made without a checkout. */
  payment_id: string | null
  /** 1: keep the card of this checkout for auto top-ups. */
  save_card: Generated<number>
}

/** What a payment provider told Easel, recorded in the transaction of its effect (see `billing/payment-events.ts`). */
export interface PaymentEventsTable {
  provider: string
  event_id: string
  type: string
  object_id: string | null
  account_id: string | null
  outcome: string
  created_at: number
  received_at: number
}

/** A paid purchase's payment, its refunds and dispute (see `billing/purchase-payments.ts`). */
export interface PurchasePaymentsTable {
  reference: string
  account_id: string
  provider: string
  payment_id: string | null
  charge_id: string | null
  credits: number
  amount_paid_minor: number
  tax_minor: Generated<number>
  currency: string
  amount_refunded_minor: Generated<number>
  credits_refunded: Generated<number>
  credits_unrecovered: Generated<number>
  dispute_id: string | null
  dispute_status: 'open' | 'won' | 'lost' | null
  dispute_amount_minor: Generated<number>
  credits_disputed: Generated<number>
  receipt_url: string | null
  paid_at: number
  updated_at: number
}

/** Money as it moved: a payment, a refund, a dispute's withdrawal or its reversal (always positive). */
export interface PaymentMovementsTable {
  id: string
  reference: string
  account_id: string
  kind: 'payment' | 'refund' | 'dispute' | 'dispute_won'
  amount_minor: number
  currency: string
  at: number
}

/** A receipt as issued, numbered without gaps (see `billing/receipts.ts`). */
export interface ReceiptsTable {
  number: number
  reference: string
  account_id: string
  issued_at: number
  pack_id: string
  quantity: number
  credits: number
  unit_price_minor: number
  total_minor: number
  tax_minor: number
  currency: string
  buyer_email: string | null
  /** JSON `{ name, address, taxId }` as configured at issue. */
  seller: string
  provider: string
  provider_reference: string
  receipt_url: string | null
}
