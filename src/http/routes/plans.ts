import type { Services } from '../../app/index.ts'
import type { PlanError, PlanView } from '../../billing/subscriptions.ts'
import { errorResponses } from '../../contracts/index.ts'
import {
  PlanBody,
  type PlanBody as PlanBodyType,
  SubscribeBody,
  SubscribeRequest,
} from '../../contracts/plans.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError } from '../errors.ts'
import { baseUrl, idempotencyKeyOf } from '../shared.ts'

/** A plan's refusal as the API error it is: one plan at a time and nothing to cancel are conflicts. */
function fromPlanError(error: PlanError): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'IDEMPOTENCY_CONFLICT':
      return new ApiError('IDEMPOTENCY_CONFLICT', error.message)
    case 'NO_PAYMENT_PROVIDER':
    case 'ALREADY_SUBSCRIBED':
    case 'NOT_SUBSCRIBED':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
  }
}

function planBody(view: PlanView): PlanBodyType {
  return {
    plan: view.plan,
    planName: view.planName,
    monthlyCredits: view.monthlyCredits,
    priceMinor: view.priceMinor,
    currency: view.currency,
    price: view.price,
    status: view.subscription?.status ?? null,
    cancelAtPeriodEnd: view.subscription?.cancelAtPeriodEnd ?? false,
    renewsAt: view.renewsAt,
    endsAt: view.endsAt,
    plans: view.offers,
    canSubscribe: view.canSubscribe,
  }
}

/**
 * The account's plan, and subscribing to a paid one through the hosted checkout (Stripe Checkout,
 * `mode=subscription`): its credits come with each paid invoice, it can be cancelled at the
 * period's end (and that taken back), and the account returns to the free plan when it ends.
 */
export function registerPlanRoutes(app: App, services: Services): void {
  app.get(
    '/api/billing/plan',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Your plan: its monthly credits, its price, the subscription (status, next renewal or end), and the plans on sale',
        response: { 200: PlanBody, ...errorResponses },
      },
    },
    async (request) => planBody(await services.plans.view(requireUser(request).user.accountId)),
  )

  app.post(
    '/api/billing/plan/subscribe',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Open a Stripe Checkout subscribing to a paid plan and get the page to send the subscriber to. The plan and its credits start once Stripe reports the first invoice paid. Refused (409) while you have a subscription. Honours Idempotency-Key.',
        body: SubscribeRequest,
        response: { 201: SubscribeBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const opened = await services.plans.subscribe({
        accountId: p.user.accountId,
        planId: request.body.planId,
        returnBase: baseUrl(services, request),
        ...idempotencyKeyOf(request),
      })
      if (!opened.ok) throw fromPlanError(opened.error)
      return reply.status(201).send(opened.value)
    },
  )

  for (const [path, what] of [
    [
      'cancel',
      'Cancel your subscription at the end of its period: the plan and its credits last until then, then you return to the free plan',
    ],
    ['resume', 'Take a cancellation back before the period ends: the plan renews as before'],
  ] as const) {
    app.post(
      `/api/billing/plan/${path}`,
      {
        schema: {
          tags: ['Billing'],
          summary: what,
          response: { 202: PlanBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { accountId } = requireUser(request).user
        const done =
          path === 'cancel' ? await services.plans.cancel(accountId) : await services.plans.resume(accountId)
        if (!done.ok) throw fromPlanError(done.error)
        return reply.status(202).send(planBody(done.value))
      },
    )
  }
}
