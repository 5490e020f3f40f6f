import type { Services } from '../../app/index.ts'
import { errorResponses, NoticePreferencesBody } from '../../contracts/index.ts'
import { NoticePreferenceStore } from '../../notify/notices-preferences.ts'
import type { App } from '../app-type.ts'
import { requireSession } from '../auth.ts'
import { ApiError } from '../errors.ts'

/** A person's mail is theirs to choose, in the studio: an API key may neither read nor change it. */
const API_KEY_REFUSAL =
  'API keys cannot read or change which notices an account is mailed: sign in to the studio'

/**
 * The notices a signed-in person is mailed (see `notify/notices.ts`):
 *
 * - `GET /api/account/notices` → `{ expiryWarnings, freeCredits }` (defaults: true, false)
 * - `PUT /api/account/notices` with both, → what was saved
 */
export function registerNoticeRoutes(app: App, services: Services): void {
  const preferences = new NoticePreferenceStore(services.db, services.clock)

  app.get(
    '/api/account/notices',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Which notices you are mailed: a warning a week before credits you bought expire (on by default), and a mail when your monthly free credits arrive (off by default)',
        response: { 200: NoticePreferencesBody, ...errorResponses },
      },
    },
    async (request) => preferences.get(requireSession(request, API_KEY_REFUSAL).user.id),
  )

  app.put(
    '/api/account/notices',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Choose which notices you are mailed (both fields, true or false); the free-credits mail starts with your next monthly period',
        body: NoticePreferencesBody,
        response: { 200: NoticePreferencesBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const saved = await preferences.set(p.user.id, request.body)
      // The session's user exists; a user gone between the two is another request's doing.
      if (!saved) throw new ApiError('NOT_FOUND', 'no such user')
      return saved
    },
  )
}
