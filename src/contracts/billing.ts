import { z } from 'zod'
import { Price } from './credits.ts'
import { CVC_MAX, MAX_PACKS_PER_PURCHASE } from './limits.ts'

// Packs on sale and buying them: /api/packs, /api/purchases.

/**
 * The payment providers a client may be told of. A provider added under billing/providers/ is
 * named here too: until it is, the packs route does not compile (its answer would not fit).
 */
export const PAYMENT_PROVIDERS = ['test', 'stripe'] as const

export const Pack = z.object({
  id: z.string(),
  credits: z.number().int(),
  priceMinor: z.number().int(),
  /** Major units in the currency's own digits: "15.00" USD, "1500" JPY. */
  price: z.string(),
  /** Major units per credit, two places past the currency's own: "0.1304" USD, "13.04" JPY. */
  perCredit: z.string(),
  /** How long bought credits last when the book says months; null otherwise. */
  expiresInMonths: z.number().int().nullable(),
  /** How long bought credits last when the book says days; null otherwise (both null: never). */
  expiresInDays: z.number().int().nullable(),
  /** Volume prices: from `minQuantity` packs bought at once, each costs `unitPriceMinor`. */
  tiers: z.array(z.object({ minQuantity: z.number().int(), unitPriceMinor: z.number().int() })),
})
export type Pack = z.output<typeof Pack>

export const PacksBody = z.object({
  bookVersion: z.string(),
  currency: z.string(),
  listPricePerCredit: Price.nullable(),
  packs: z.array(Pack),
  /** `none`: no payment provider is configured, packs are shown but cannot be bought. */
  provider: z.enum([...PAYMENT_PROVIDERS, 'none']),
  testCards: z.object({ success: z.string(), decline: z.string() }).nullable(),
})
export type PacksBody = z.output<typeof PacksBody>

export const Card = z.object({
  number: z.string().max(30),
  expMonth: z.number().int(),
  expYear: z.number().int(),
  cvc: z.string().max(CVC_MAX),
  name: z.string().max(200).optional(),
})
export type Card = z.input<typeof Card>

export const PurchaseRequest = z.object({
  packId: z.string().min(1).max(100),
  quantity: z.number().int().min(1).max(MAX_PACKS_PER_PURCHASE).default(1),
  card: Card,
})
export type PurchaseRequest = z.input<typeof PurchaseRequest>

export const PurchaseBody = z.object({
  id: z.string(),
  packId: z.string(),
  quantity: z.number().int(),
  credits: z.number().int(),
  amountPaidMinor: z.number().int(),
  currency: z.string(),
  /** Major units in the currency's own digits: '15.00' USD, '1500' JPY, '1.500' KWD. */
  price: z.string(),
  lotId: z.string(),
  grantedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  remaining: z.number().int(),
  /**
   * paid; partly_refunded or refunded; disputed (a chargeback is open, or was lost). A dispute
   * that was won leaves the purchase as it was.
   */
  status: z.enum(['paid', 'partly_refunded', 'refunded', 'disputed']),
  /** Tax charged on top of the price; the buyer paid `amountPaidMinor + taxMinor`. */
  taxMinor: z.number().int(),
  amountRefundedMinor: z.number().int(),
  disputeStatus: z.enum(['open', 'won', 'lost']).nullable(),
  /** Credits refunds and disputes took back, and those they could not (already spent). */
  creditsRevoked: z.number().int(),
  creditsUnrecovered: z.number().int(),
  /** The receipt's number (its PDF: GET /api/purchases/:id/receipt); null before receipts existed. */
  receiptNumber: z.number().int().nullable(),
})
export type PurchaseBody = z.output<typeof PurchaseBody>

/** A hosted checkout that is not a purchase (yet): its payment is on its way, or it failed. */
export const PendingCheckoutBody = z.object({
  sessionId: z.string(),
  packId: z.string(),
  quantity: z.number().int(),
  amountMinor: z.number().int(),
  currency: z.string(),
  createdAt: z.number().int(),
  status: z.enum(['pending', 'failed']),
})
export type PendingCheckoutBody = z.output<typeof PendingCheckoutBody>

export const PurchasesBody = z.object({
  purchases: z.array(PurchaseBody),
  /** Checkouts waiting for their payment (a bank debit takes days) or that failed, newest first. */
  checkouts: z.array(PendingCheckoutBody),
})
export type PurchasesBody = z.output<typeof PurchasesBody>

// Hosted checkout (Stripe Checkout): /api/billing/checkout.

export const CheckoutRequest = z.object({
  packId: z.string().min(1).max(100),
  quantity: z.number().int().min(1).max(MAX_PACKS_PER_PURCHASE).default(1),
})
export type CheckoutRequest = z.input<typeof CheckoutRequest>

export const CheckoutBody = z.object({
  /** The provider's page to send the buyer to. */
  checkoutUrl: z.string(),
  sessionId: z.string(),
})
export type CheckoutBody = z.output<typeof CheckoutBody>

/** The id of a checkout session, as the provider writes them (`cs_test_…`, `cs_live_…`). */
export const CheckoutParams = z.object({
  sessionId: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9_]+$/, 'must be a checkout session id such as cs_test_…'),
})

export const CheckoutStatusBody = z.object({
  sessionId: z.string(),
  /**
   * pending: not paid yet (or the payment's news has not arrived); completed: paid and the credits
   * added (`purchase`); failed: the payment did not go through; expired: the checkout was left;
   * amount_mismatch: paid, but not the amount asked for — the operator looks into it.
   */
  status: z.enum(['pending', 'completed', 'failed', 'expired', 'amount_mismatch']),
  purchase: PurchaseBody.nullable(),
})
export type CheckoutStatusBody = z.output<typeof CheckoutStatusBody>

/** Stripe's webhook answers (Stripe reads only the status): what Easel did with the event. */
export const StripeWebhookBody = z.object({
  received: z.literal(true),
  outcome: z.enum([
    'duplicate',
    'ignored',
    'not_ours',
    'granted',
    'already_granted',
    'pending',
    'failed',
    'expired',
    'amount_mismatch',
    'revoked',
    'reinstated',
    'dispute_lost',
    'already_applied',
  ]),
})
export type StripeWebhookBody = z.output<typeof StripeWebhookBody>

// A purchase's receipt, and the operator's purchases and refunds: /api/purchases/:id/receipt,
// /api/admin/purchases.

/** A purchase's id: its payment reference (`pur_…`, or what the provider's checkout named it). */
export const PurchaseParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_:-]+$/, 'must be a purchase id as GET /api/purchases lists them'),
})

export const AdminPurchasesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const AdminPurchaseBody = PurchaseBody.extend({
  accountId: z.string(),
  /** The buyer's email (null once their account was deleted). */
  email: z.string().nullable(),
  provider: z.string().nullable(),
})
export type AdminPurchaseBody = z.output<typeof AdminPurchaseBody>

export const AdminPurchasesBody = z.object({ purchases: z.array(AdminPurchaseBody) })
export type AdminPurchasesBody = z.output<typeof AdminPurchasesBody>

export const RefundRequest = z.strictObject({
  /** How much to give back, in minor units; all that is left when absent. */
  amountMinor: z.number().int().min(1).optional(),
  /** Why: kept in the audit log. */
  reason: z.string().trim().min(1).max(400).optional(),
})
export type RefundRequest = z.input<typeof RefundRequest>

export const RefundBody = z.object({
  purchaseId: z.string(),
  refundId: z.string(),
  /** The provider's word for it (`succeeded`, `pending`, …); the credits follow its event. */
  status: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
})
export type RefundBody = z.output<typeof RefundBody>
