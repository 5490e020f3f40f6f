import type { Services } from '../../app/index.ts'
import { errorResponses, StripeWebhookBody } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { ApiError } from '../errors.ts'

/** Stripe signs events of at most this size comfortably; a bigger body is not one of its events. */
const MAX_EVENT_BYTES = 512 * 1024

/**
 * Stripe's webhook. The body is taken raw (its signature is over the exact bytes), verified with
 * the endpoint's signing secret, then applied exactly once: a 2xx only after the event and its
 * effect are committed, a repeated event a 200 that does nothing, and an error a 5xx (the error
 * handler's) so that Stripe delivers the event again. A bad or stale signature is a 400 that
 * changes nothing.
 */
export function registerStripeWebhook(app: App, services: Services): void {
  app.register(async (scope) => {
    // In this scope only: the body stays bytes, unparsed, whatever its content type says.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_EVENT_BYTES },
      (_request, body, done) => done(null, body),
    )
    scope.post(
      '/api/billing/stripe/webhook',
      {
        schema: {
          tags: ['Billing'],
          summary:
            "Stripe's events (Checkout Sessions completed, paid, failed, expired), signed with the endpoint's secret (Stripe-Signature). Not for clients.",
          security: [],
          response: { 200: StripeWebhookBody, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body
        if (!Buffer.isBuffer(body) || body.length === 0) {
          throw new ApiError('VALIDATION', 'the body must be the Stripe event, as Stripe signed it')
        }
        const signature = request.headers['stripe-signature']
        const received = await services.purchases.receiveEvent(
          body,
          typeof signature === 'string' ? signature : undefined,
        )
        if (!received.ok) {
          if (received.error.code === 'NO_PAYMENT_PROVIDER')
            throw new ApiError('NOT_FOUND', received.error.message)
          throw new ApiError('VALIDATION', received.error.message, { field: 'Stripe-Signature' })
        }
        const { id, type, outcome } = received.value
        if (outcome === 'amount_mismatch') {
          request.log.warn(
            { event: id, type },
            'a Checkout Session was paid with another amount or currency than its purchase intent: not granted; look into it',
          )
        }
        return reply.status(200).send({ received: true, outcome })
      },
    )
  })
}
