import { z } from 'zod'
import { idOf, ModelField, OperationField, QualityField, SizeField } from './fields.ts'
import { MAX_IMAGES_PER_JOB, OPERATIONS } from './limits.ts'

// The caller's credits: /api/credits (balance, lots, holds, allowance), its history, quotes.

export const Lot = z.object({
  id: z.string(),
  source: z.string(),
  amount: z.number().int(),
  remaining: z.number().int(),
  held: z.number().int(),
  priority: z.number().int(),
  grantedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
})
export type Lot = z.output<typeof Lot>

/**
 * Credits the price book owes the account now and has not granted yet (this period's allowance, a
 * cohort bonus): counted in `available`, written as a lot by the account's next spend.
 */
export const OwedCredits = z.object({
  source: z.enum(['monthly', 'bonus']),
  amount: z.number().int(),
  priority: z.number().int(),
  dueAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  reference: z.string(),
})
export type OwedCredits = z.output<typeof OwedCredits>

export const CreditsBody = z.object({
  accountId: z.string(),
  at: z.number().int(),
  available: z.number().int(),
  held: z.number().int(),
  lots: z.array(Lot),
  /** Owed and counted in `available`, not yet a lot: `available` = live lots' remaining + owed. */
  owed: z.array(OwedCredits),
  holds: z.array(
    z.object({
      id: z.string(),
      amount: z.number().int(),
      expiresAt: z.number().int(),
      reference: z.string().nullable(),
    }),
  ),
  /**
   * The free monthly credits of the account's plan, from the price book in force: this period's
   * amount, when the next period's credits come (ms) and how many (the book in force then), or
   * null when the plan has no monthly allowance now or next.
   */
  allowance: z
    .object({
      plan: z.string(),
      monthlyCredits: z.number().int(),
      nextGrantAt: z.number().int(),
      nextGrantCredits: z.number().int(),
    })
    .nullable(),
  /** The one-time bonus of each of the account's cohorts that has one in the book in force. */
  bonuses: z.array(z.object({ cohort: z.string(), credits: z.number().int() })),
})
export type CreditsBody = z.output<typeof CreditsBody>

export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: idOf('txn', 'must be a txn_… id (the nextCursor of a page)').optional(),
})

export const HistoryEntry = z.object({
  transactionId: z.string(),
  kind: z.string(),
  createdAt: z.number().int(),
  amount: z.number().int(),
  holdId: z.string().nullable(),
  lotId: z.string().nullable(),
  memo: z.string().nullable(),
  changes: z.record(z.string(), z.number()),
})
export type HistoryEntry = z.output<typeof HistoryEntry>

export const HistoryBody = z.object({ entries: z.array(HistoryEntry), nextCursor: z.string().nullable() })
export type HistoryBody = z.output<typeof HistoryBody>

export const QuoteRequest = z.object({
  operation: OperationField,
  n: z.number().int().min(1).max(MAX_IMAGES_PER_JOB).optional(),
  size: SizeField.optional(),
  /** Priced as what it resolves to for the model (`auto` as the model's own default). */
  quality: QualityField.optional(),
  model: ModelField.optional(),
})
export type QuoteRequest = z.input<typeof QuoteRequest>

/** A price in minor units, rounded for showing: `{ currency: 'USD', shown: '13.04' }`. */
export const Price = z.object({ currency: z.string(), shown: z.string() })
export type Price = z.output<typeof Price>

export const QuoteBody = z.object({
  bookVersion: z.string(),
  operation: z.enum(OPERATIONS),
  ruleId: z.string(),
  credits: z.number().int(),
  images: z.number().int(),
  listPricePerCredit: Price.nullable(),
  listPrice: Price.nullable(),
  pricePerImage: Price.nullable(),
  available: z.number().int(),
  affordable: z.boolean(),
})
export type QuoteBody = z.output<typeof QuoteBody>
