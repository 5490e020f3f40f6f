import { z } from 'zod'

// Paid plans: /api/billing/plan, /api/billing/plan/subscribe, /cancel, /resume.

/** A plan on sale: its monthly credits and its price for a month. */
export const PlanOfferBody = z.object({
  id: z.string(),
  name: z.string(),
  monthlyCredits: z.number().int(),
  priceMinor: z.number().int(),
  currency: z.string(),
  /** Major units in the currency's own digits: "20.00" USD. */
  price: z.string(),
})
export type PlanOfferBody = z.output<typeof PlanOfferBody>

export const PlanBody = z.object({
  /** The plan the account is on (`free`, `pro`, …) and its name as shown. */
  plan: z.string(),
  planName: z.string(),
  /** Credits a month: the free plan's automatic allowance, or what each paid invoice grants. */
  monthlyCredits: z.number().int(),
  /** What the plan costs a month, as subscribed; null for a free plan. */
  priceMinor: z.number().int().nullable(),
  currency: z.string(),
  price: z.string().nullable(),
  /**
   * The payment provider's word for the subscription (active; past_due: a renewal failed and is
   * being retried, the plan stays; unpaid, incomplete, …); null without one.
   */
  status: z.string().nullable(),
  /** The subscription ends at `endsAt` instead of renewing. */
  cancelAtPeriodEnd: z.boolean(),
  /** When the plan renews (the next invoice); null when it does not. */
  renewsAt: z.number().int().nullable(),
  /** When a cancelled plan ends and the account returns to the free plan; null otherwise. */
  endsAt: z.number().int().nullable(),
  /** The plans that can be subscribed to, cheapest first. */
  plans: z.array(PlanOfferBody),
  /** Whether this installation takes subscriptions (a hosted checkout is configured). */
  canSubscribe: z.boolean(),
})
export type PlanBody = z.output<typeof PlanBody>

export const SubscribeRequest = z.object({
  planId: z.string().min(1).max(40),
})
export type SubscribeRequest = z.input<typeof SubscribeRequest>

export const SubscribeBody = z.object({
  /** The provider's checkout page to send the subscriber to. */
  checkoutUrl: z.string(),
  sessionId: z.string(),
})
export type SubscribeBody = z.output<typeof SubscribeBody>
