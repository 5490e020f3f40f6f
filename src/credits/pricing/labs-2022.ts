import type { PriceBook, PriceBookInput } from './book.ts'
import { validateBook } from './validate.ts'

/**
 * The default price book: DESIGN §1 exactly, the credit rules DALL-E Labs made familiar. Every
 * default is spelled out so that it reads as the whole book, and it goes through `validateBook`
 * like any file: a default book that failed its own checks would be a bug, so loading it throws.
 *
 * Derived figures: the list price is 1500 / 115 = 13.043 cents a credit; a generation whose four
 * images are kept costs 3.26 cents an image, one whose single favourite is kept 13.04.
 */
export const LABS_2022: PriceBook = mustBeValid({
  version: 'labs-2022',
  // Before any Easel account exists, so it prices everything until an operator adds a version.
  effectiveFrom: '2022-07-20T00:00:00Z',
  currency: 'USD',
  operations: {
    generate: {
      imagesReturned: 4,
      parameters: {},
      rules: [{ id: 'generate', credits: 1 }],
    },
    edit: {
      imagesReturned: 3,
      parameters: {},
      rules: [{ id: 'edit', credits: 1 }],
    },
    variation: {
      imagesReturned: 3,
      parameters: {},
      rules: [{ id: 'variation', credits: 1 }],
    },
  },
  allowances: {
    period: 'monthly-from-signup',
    defaultPlan: 'free',
    plans: { free: { monthlyCredits: 15 } },
  },
  cohorts: {
    // No bonusExpiresIn: it expires like any bonus (expiry.bonus, one month).
    beta: { bonusCredits: 50, joinOnSignup: true },
  },
  packs: [{ id: 'pack-115', credits: 115, priceMinor: 1500, tiers: [] }],
  listPricePack: 'pack-115',
  expiry: {
    monthly: 'end-of-period',
    bonus: { months: 1 },
    promotional: null,
    purchase: { months: 12 },
  },
  priorities: { monthly: 10, bonus: 20, promotional: 30, refund: 40, purchase: 50, adjustment: 60 },
} satisfies PriceBookInput)

/** Where the documented example of a paid plan (200 credits a month) lives, next to this file. */
export const PRO_PLAN_EXAMPLE_URL = new URL('./examples/pro-plan.yaml', import.meta.url)

function mustBeValid(data: PriceBookInput): PriceBook {
  const r = validateBook(data)
  if (!r.ok) throw new Error(`the default price book is invalid: ${JSON.stringify(r.problems)}`)
  return r.book
}
