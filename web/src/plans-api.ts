import type { PlanBody, SubscribeBody, SubscribeRequest } from '../../src/contracts/plans.ts'
import { call } from './api.ts'

/** The account's plan (`/api/billing/plan`): see it, subscribe to a paid one, cancel or resume it. */
export const plansApi = {
  get: () => call<PlanBody>('GET', '/api/billing/plan'),
  /** Opens the provider's checkout for the plan: the answer's `checkoutUrl` is where to go. */
  subscribe: (planId: string) =>
    call<SubscribeBody>('POST', '/api/billing/plan/subscribe', { planId } satisfies SubscribeRequest),
  /** Cancels at the period's end (the plan lasts until then); answers with the plan as it is now. */
  cancel: () => call<PlanBody>('POST', '/api/billing/plan/cancel'),
  /** Takes a cancellation back before the period ends. */
  resume: () => call<PlanBody>('POST', '/api/billing/plan/resume'),
}
