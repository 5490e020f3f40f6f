import { z } from 'zod'

// What administrators read: the price book in force (/api/admin/pricing) and the installation
// report (/api/admin/report).

/**
 * A price book as the server stores it (credits/pricing/book.ts is its schema), listed in that
 * schema's order so that the book reaches a client as stored. Nested objects stay loose: a field
 * the server adds later still passes.
 */
export const PriceBookView = z.looseObject({
  version: z.string(),
  effectiveFrom: z.string().optional(),
  currency: z.string(),
  operations: z.record(
    z.string(),
    z.looseObject({
      imagesReturned: z.number().int(),
      maxImages: z.number().int().optional(),
      parameters: z.record(z.string(), z.unknown()),
      rules: z.array(
        z.looseObject({
          id: z.string(),
          when: z.record(z.string(), z.unknown()).optional(),
          credits: z.number().int(),
          imagesPerCredit: z.number().int().optional(),
        }),
      ),
    }),
  ),
  allowances: z.looseObject({
    period: z.string(),
    defaultPlan: z.string(),
    plans: z.record(
      z.string(),
      z.looseObject({ monthlyCredits: z.number().int(), priceMinor: z.number().int().optional() }),
    ),
  }),
  cohorts: z.record(
    z.string(),
    z.looseObject({
      bonusCredits: z.number().int(),
      bonusExpiresIn: z.record(z.string(), z.number()).nullable().optional(),
      joinOnSignup: z.boolean(),
    }),
  ),
  packs: z.array(
    z.looseObject({
      id: z.string(),
      credits: z.number().int(),
      priceMinor: z.number().int(),
      tiers: z.array(z.looseObject({ minQuantity: z.number().int(), unitPriceMinor: z.number().int() })),
    }),
  ),
  listPricePack: z.string().optional(),
  expiry: z.record(z.string(), z.unknown()),
  priorities: z.record(z.string(), z.number().int()),
})
export type PriceBookView = z.output<typeof PriceBookView>

export const PricingBody = z.object({
  active: z.object({
    version: z.string(),
    effectiveFrom: z.number().int(),
    book: PriceBookView,
  }),
  versions: z.array(
    z.object({
      version: z.string(),
      effectiveFrom: z.number().int(),
      activatedAt: z.number().int(),
    }),
  ),
})
export type PricingBody = z.output<typeof PricingBody>

export const ReportQuery = z.object({ from: z.coerce.number().int(), to: z.coerce.number().int() })

/** An exact amount of minor units: numerator and denominator as decimal strings, and rounded. */
export const ExactAmount = z.object({ numerator: z.string(), denominator: z.string(), shown: z.string() })
export type ExactAmount = z.output<typeof ExactAmount>

export const SourceLine = z.object({
  granted: z.number().int(),
  consumed: z.number().int(),
  expired: z.number().int(),
  refunded: z.number().int(),
})
export type SourceLine = z.output<typeof SourceLine>

export const ReportBody = z.looseObject({
  // Cash received per currency (purchases and refunds of the period, minor units), next to
  // revenue recognised, which counts credits only once they are used.
  cashReceived: z.array(
    z.object({
      currency: z.string(),
      purchasesMinor: z.number().int(),
      refundsMinor: z.number().int(),
      netMinor: z.number().int(),
    }),
  ),
  /**
   * What went through the payment provider per currency (minor units): paid, tax included;
   * refunded; withdrawn by disputes and given back by disputes won; and what the seller kept.
   */
  payments: z.array(
    z.object({
      currency: z.string(),
      receivedMinor: z.number().int(),
      refundedMinor: z.number().int(),
      disputedMinor: z.number().int(),
      disputesWonMinor: z.number().int(),
      netMinor: z.number().int(),
    }),
  ),
  bySource: z.record(z.string(), SourceLine),
  total: SourceLine,
  /** Revenue, breakage and earned per credit in each currency (never added across currencies). */
  byCurrency: z.array(
    z.object({
      currency: z.string(),
      revenueRecognised: ExactAmount,
      breakage: ExactAmount,
      effectivePricePerCredit: ExactAmount.nullable(),
    }),
  ),
  /** The list price per credit of the book in force at the period's end, in minor units. */
  listPricePerCredit: z.string().nullable(),
  currency: z.string().nullable(),
})
export type ReportBody = z.output<typeof ReportBody>
