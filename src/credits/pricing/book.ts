import { z } from 'zod'
import { LOT_SOURCES, type LotSource } from '../types.ts'

/*
 * A price book is versioned data: everything DESIGN §1 calls "configuration, not code". This file
 * is its one schema; `validate.ts` adds the checks that span fields, `quote.ts` reads it.
 *
 * Objects are strict throughout: an operator's typo (`imagesPerCredits`) must be refused with its
 * path, not silently ignored, or the book would price something other than what its author meant.
 */

/** Names of operations, rules, plans, cohorts and packs: short slugs, safe in paths, ids and URLs. */
const NAME = /^[a-z][a-z0-9_-]{0,63}$/
const nameSchema = z
  .string()
  .regex(NAME, 'must be a name of lower-case letters, digits, "-" or "_" (e.g. pack-115)')

/**
 * A whole number in `min … max`. The caps are far above any real price book and keep every derived
 * figure exact in a JS number: a quote's cost in minor units is at most 10^9 (a pack's price)
 * × 10^4 (a rule's credits) × 10^2 (images), below 2^53.
 */
const MAX_AMOUNT = 1_000_000_000
const MAX_IMAGES = 100
const MAX_RULE_CREDITS = 10_000
const count = (min: number, max = MAX_AMOUNT) => z.int().min(min).max(max)

/** A schema's own message, except that a missing value is "is required" like any other field. */
const ownMessage = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : message

/** A parameter value a rule can match on: `size: 1024x1024`, `quality: hd`, `model: sdxl`, `n: 4`. */
export const parameterValueSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: ownMessage('must be a string, a number or true/false'),
})
export type ParameterValue = z.output<typeof parameterValueSchema>

/**
 * A calendar length. Months are calendar arithmetic (the 31st clamps to a short month's
 * last day), so they cannot be written as days; either unit, never both, so there is one reading.
 */
export const durationSchema = z.union(
  [z.strictObject({ months: count(1, 1200) }), z.strictObject({ days: count(1, 36_500) })],
  {
    error: ownMessage('must be { months: N } or { days: N } with N a whole number of at least 1'),
  },
)
export type BookDuration = z.output<typeof durationSchema>

/**
 * One pricing rule. `when` maps a parameter to the value it must have, or to a list of values any
 * of which matches; every entry must match. A rule without `when` is the catch-all.
 *
 * The rule charges `credits` per `imagesPerCredit` images asked for: `ceil(n / imagesPerCredit) ×
 * credits`. Without `imagesPerCredit` it charges per operation, and one operation returns up to
 * the operation's `imagesReturned` images — so the default rule is simply "`credits` per operation"
 * (DESIGN §1: one credit however many images come back). That one formula means no value of `n`
 * can slip between the two readings and be under-priced.
 */
export const ruleSchema = z.strictObject({
  /** Recorded on every charge with the book version: unique within the book. */
  id: nameSchema,
  when: z
    .record(
      nameSchema,
      z.union([parameterValueSchema, z.array(parameterValueSchema).min(1, 'must list a value')]),
    )
    .optional(),
  // At least 1: the ledger holds at least one credit, and a free operation would be a product
  // decision (and a hole in metering) that deserves more than a 0 in a file.
  credits: count(1, MAX_RULE_CREDITS),
  imagesPerCredit: count(1, MAX_IMAGES).optional(),
})
export type PriceRule = z.output<typeof ruleSchema>

/**
 * A parameter an operation's rules may match on. `values`, when given, is the closed list a request
 * may use (a request with another value is refused, not priced by the catch-all); `default` is the
 * value assumed when a request leaves it out. `n` is built in (see {@link operationSchema}).
 */
export const parameterSchema = z.strictObject({
  values: z.array(parameterValueSchema).min(1, 'must list at least one value').optional(),
  default: parameterValueSchema.optional(),
})
export type ParameterSpec = z.output<typeof parameterSchema>

/**
 * An operation a user can pay for. Rules are tried in order and the first match prices the
 * operation; the last rule must be a catch-all, so every valid request has a price.
 */
export const operationSchema = z.strictObject({
  /** Images one operation returns, and `n` when a request does not say. */
  imagesReturned: count(1, MAX_IMAGES),
  /** The largest `n` a request may ask for; defaults to `imagesReturned`. */
  maxImages: count(1, MAX_IMAGES).optional(),
  parameters: z.record(nameSchema, parameterSchema).default({}),
  rules: z.array(ruleSchema).min(1, 'must have at least one rule (the last one a catch-all)'),
})
export type Operation = z.output<typeof operationSchema>

/** A plan's monthly allowance; `priceMinor` is what the plan is shown to cost per period. */
export const planSchema = z.strictObject({
  monthlyCredits: count(0),
  // Informational until billing charges subscriptions: the book says what a plan costs so every
  // surface shows the same figure, but nothing here collects it.
  priceMinor: count(0).optional(),
})
export type Plan = z.output<typeof planSchema>

export const allowancesSchema = z.strictObject({
  // The only period the ledger implements (DESIGN §1: renews on the sign-up day, short months
  // clamp). A literal rather than an open enum: a new kind arrives with the code that honours it.
  period: z.literal('monthly-from-signup'),
  defaultPlan: nameSchema,
  plans: z.record(nameSchema, planSchema),
})

/**
 * A cohort and its one-time bonus. `bonusExpiresIn` left out means "like any bonus" (the book's
 * `expiry.bonus`), `null` means never; DESIGN §1: "they expire like monthly credits unless the book
 * says otherwise", so the usual case needs no repetition.
 */
export const cohortSchema = z.strictObject({
  bonusCredits: count(0),
  bonusExpiresIn: durationSchema.nullable().optional(),
  /** Whether a new account joins this cohort when it signs up (`beta` in labs-2022). */
  joinOnSignup: z.boolean().default(false),
  /**
   * Until when people signing up themselves (with or without an invite) join the cohort: from this
   * moment on they do not, so they get no bonus. Those who joined before keep their membership and
   * bonus; an administrator can still place anyone in it. Left out: no end.
   */
  joinUntil: z.iso
    .datetime({
      offset: true,
      error: ownMessage('must be an ISO 8601 date-time with a zone, e.g. 2026-12-31T00:00:00Z'),
    })
    .optional(),
})
export type Cohort = z.output<typeof cohortSchema>

/** From `minQuantity` packs bought at once, each pack costs `unitPriceMinor`. */
export const tierSchema = z.strictObject({
  minQuantity: count(2),
  unitPriceMinor: count(1),
})
export type PackTier = z.output<typeof tierSchema>

export const packSchema = z.strictObject({
  id: nameSchema,
  credits: count(1),
  /** The price of one pack in the book's currency, minor units. */
  priceMinor: count(1),
  tiers: z.array(tierSchema).default([]),
})
export type Pack = z.output<typeof packSchema>

export const expirySchema = z.strictObject({
  // A duration here would mean rollover (monthly credits outliving their period).
  monthly: z.union([z.literal('end-of-period'), durationSchema], {
    error: ownMessage('must be "end-of-period" or { months: N } / { days: N }'),
  }),
  bonus: durationSchema.nullable(),
  promotional: durationSchema.nullable(),
  purchase: durationSchema.nullable(),
})
export type ExpiryRules = z.output<typeof expirySchema>

// Every lot source gets a priority, and every one must be written: a default hidden in code would
// let a code change reorder the burn of a book that says it is unchanged.
export const prioritiesSchema = z.strictObject(
  Object.fromEntries(LOT_SOURCES.map((s) => [s, count(0, 1000)])) as Record<
    LotSource,
    ReturnType<typeof count>
  >,
)

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))

export const priceBookSchema = z.strictObject({
  version: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an id of lower-case letters, digits, ".", "-" or "_"'),
  /**
   * When this version starts pricing; a later version takes over at its own date. Left out of a
   * book file, it means "when activated": a stored version always has its date.
   */
  effectiveFrom: z.iso
    .datetime({
      offset: true,
      error: ownMessage('must be an ISO 8601 date-time with a zone, e.g. 2022-07-20T00:00:00Z'),
    })
    .optional(),
  currency: z
    .string()
    .refine((c) => /^[A-Z]{3}$/.test(c) && CURRENCIES.has(c), 'must be an ISO 4217 currency code, e.g. USD'),
  operations: z.record(nameSchema, operationSchema),
  allowances: allowancesSchema,
  cohorts: z.record(nameSchema, cohortSchema).default({}),
  packs: z.array(packSchema).default([]),
  /** The pack whose single-pack price is the list price per credit; required when packs exist. */
  listPricePack: nameSchema.optional(),
  expiry: expirySchema,
  priorities: prioritiesSchema,
})

/** A validated price book, as `validateBook` returns it (defaults filled in, frozen). */
export type PriceBook = z.output<typeof priceBookSchema>
/** A price book as an operator writes it (defaults may be left out). */
export type PriceBookInput = z.input<typeof priceBookSchema>

/** What a cohort's bonus grants: resolves "left out means like any bonus" in one place. */
export interface CohortBonus {
  credits: number
  /** Null: never expires. */
  expiresIn: BookDuration | null
  priority: number
}

/**
 * The bonus a cohort grants (once per account; the ledger's idempotency key enforces "once").
 *
 * @example
 * cohortBonus(LABS_2022, 'beta') // → { credits: 50, expiresIn: { months: 1 }, priority: 20 }
 * @returns null when the book has no such cohort.
 */
export function cohortBonus(book: PriceBook, cohort: string): CohortBonus | null {
  const c = Object.hasOwn(book.cohorts, cohort) ? book.cohorts[cohort] : undefined
  if (!c) return null
  return {
    credits: c.bonusCredits,
    expiresIn: c.bonusExpiresIn === undefined ? book.expiry.bonus : c.bonusExpiresIn,
    priority: book.priorities.bonus,
  }
}

/**
 * Whether someone signing up at `at` joins `cohort` under `book`: yes unless the book closes the
 * cohort (`joinUntil`) by then. A cohort the book does not know has no end (and no bonus).
 *
 * @example
 * cohortOpenAt({ ...LABS_2022, cohorts: { beta: { …, joinUntil: '2027-01-01T00:00:00Z' } } }, 'beta', Date.UTC(2026, 11, 3)) // → true
 * cohortOpenAt(sameBook, 'beta', Date.UTC(2027, 0, 1)) // → false
 */
export function cohortOpenAt(book: PriceBook, cohort: string, at: number): boolean {
  const c = Object.hasOwn(book.cohorts, cohort) ? book.cohorts[cohort] : undefined
  return c?.joinUntil === undefined || at < Date.parse(c.joinUntil)
}

/**
 * The cohorts a self-service sign-up at `at` joins under `book`: those marked `joinOnSignup` that
 * are still open (see {@link cohortOpenAt}), sorted.
 *
 * @example
 * signupCohorts(LABS_2022, Date.UTC(2026, 11, 3)) // → ['beta']
 */
export function signupCohorts(book: PriceBook, at: number): string[] {
  return Object.entries(book.cohorts)
    .filter(([name, cohort]) => cohort.joinOnSignup && cohortOpenAt(book, name, at))
    .map(([name]) => name)
    .sort()
}
