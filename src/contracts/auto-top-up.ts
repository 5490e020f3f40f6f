import { z } from 'zod'

// /api/billing/auto-top-up: buying a pack on a saved card when credits run low, and the
// low-balance notice.

/** The highest threshold accepted, in credits: far above any pack, well inside a 32-bit column. */
export const MAX_TOP_UP_THRESHOLD = 1_000_000

/** A yes/no field that must be sent, as true or false. */
const Flag = z.boolean({
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be true or false'),
})

/**
 * What a person chooses: `enabled` (auto top-up on or off), the pack it buys (`packId`, a pack of
 * the book in force), and the `threshold` in credits below which, after a charge, it buys one —
 * and below which the low-balance notice (`lowBalanceNotice`, kept as it was when left out) is
 * mailed and shown once per crossing. Unknown fields are refused, so that a misspelt one never
 * silently changes nothing.
 */
export const AutoTopUpRequest = z.strictObject(
  {
    enabled: Flag,
    packId: z.string({ error: 'is required: the id of a pack (GET /api/packs)' }).min(1).max(100),
    threshold: z
      .number({ error: 'is required: a whole number of credits of at least 1' })
      .int('must be a whole number of credits')
      .min(1, 'must be at least 1 credit')
      .max(MAX_TOP_UP_THRESHOLD, `must be at most ${MAX_TOP_UP_THRESHOLD} credits`),
    lowBalanceNotice: Flag.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}: the fields are enabled, packId, threshold and lowBalanceNotice`
        : 'must be an object with enabled, packId and threshold',
  },
)
export type AutoTopUpRequest = z.input<typeof AutoTopUpRequest>

/** An account's auto top-up and low-balance notice, as its person sees them. */
export const AutoTopUpBody = z.object({
  /** Whether this installation can keep a card for auto top-up (Stripe is configured). */
  offered: z.boolean(),
  /** Wanted; it turns itself off after 2 declined payments in a row (`disabledReason` says so). */
  enabled: z.boolean(),
  /** Running now: wanted and a card saved. Wanted without a card: the first checkout saves one. */
  active: z.boolean(),
  packId: z.string().nullable(),
  threshold: z.number().int().nullable(),
  lowBalanceNotice: z.boolean(),
  /** The saved card, as its owner knows it: "visa •••• 4242". */
  card: z.object({ label: z.string() }).nullable(),
  consecutiveFailures: z.number().int(),
  disabledReason: z.string().nullable(),
  /** The top-up whose payment is awaited: one at a time. */
  inFlight: z.object({ reference: z.string(), since: z.number().int() }).nullable(),
  /** Auto top-ups started today (UTC days), and the most a day allows. */
  todayCount: z.number().int(),
  maxPerDay: z.number().int(),
  /** With the notice on: the threshold, and whether available credits are below it now. */
  lowBalance: z.object({ threshold: z.number().int(), below: z.boolean() }).nullable(),
})
export type AutoTopUpBody = z.output<typeof AutoTopUpBody>

/**
 * What saving answers: the settings, and when auto top-up was turned on without a saved card, the
 * Stripe Checkout page (`checkoutUrl`) that buys the chosen pack once and saves the card.
 */
export const AutoTopUpSavedBody = AutoTopUpBody.extend({ checkoutUrl: z.string().nullable() })
export type AutoTopUpSavedBody = z.output<typeof AutoTopUpSavedBody>
