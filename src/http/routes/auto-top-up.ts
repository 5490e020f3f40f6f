import type { Services } from '../../app/index.ts'
import { AutoTopUpBody, AutoTopUpRequest, AutoTopUpSavedBody } from '../../contracts/auto-top-up.ts'
import { errorResponses } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError } from '../errors.ts'
import { baseUrl } from '../shared.ts'

/**
 * Auto top-up and the low-balance notice, for the signed-in person or their own API key (a
 * session's writes carry its CSRF token, as everywhere):
 *
 * - `GET /api/billing/auto-top-up` → the settings, the saved card, today's top-ups and the cap
 * - `PUT /api/billing/auto-top-up` `{ enabled, packId, threshold, lowBalanceNotice? }` → saved;
 *   turned on without a saved card, `checkoutUrl` is the checkout that buys the pack once and saves it
 * - `DELETE /api/billing/auto-top-up/card` → the card forgotten, auto top-up off
 */
export function registerAutoTopUpRoutes(app: App, services: Services): void {
  app.get(
    '/api/billing/auto-top-up',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Your auto top-up (the pack bought on your saved card when a charge leaves fewer credits than the threshold) and low-balance notice: settings, card, today’s top-ups and the daily cap',
        response: { 200: AutoTopUpBody, ...errorResponses },
      },
    },
    async (request) => services.autoTopUps.view(requireUser(request).user.accountId),
  )

  app.put(
    '/api/billing/auto-top-up',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Choose auto top-up (on or off, the pack, the threshold in credits) and the low-balance notice. Turned on without a saved card, the answer’s checkoutUrl buys the pack once and saves the card; auto top-up runs once that payment completes.',
        body: AutoTopUpRequest,
        response: { 200: AutoTopUpSavedBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const saved = await services.autoTopUps.choose({
        accountId: p.user.accountId,
        enabled: request.body.enabled,
        packId: request.body.packId,
        threshold: request.body.threshold,
        ...(request.body.lowBalanceNotice === undefined
          ? {}
          : { lowBalanceNotice: request.body.lowBalanceNotice }),
        returnBase: baseUrl(services, request),
      })
      if (!saved.ok) {
        if (saved.error.code === 'VALIDATION') {
          throw new ApiError('VALIDATION', `${saved.error.field}: ${saved.error.message}`, {
            field: saved.error.field,
          })
        }
        throw new ApiError('CONFLICT', saved.error.message, { reason: saved.error.code })
      }
      return saved.value
    },
  )

  app.delete(
    '/api/billing/auto-top-up/card',
    {
      schema: {
        tags: ['Billing'],
        summary: 'Forget your saved card: auto top-up turns off, nothing more is charged to it',
        response: { 200: AutoTopUpBody, ...errorResponses },
      },
    },
    async (request) => services.autoTopUps.forgetCard(requireUser(request).user.accountId),
  )
}
