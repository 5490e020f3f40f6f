import type { Services } from '../../app/index.ts'
import { AdminMailBody, errorResponses } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'

/** Whether mail goes out, from whom, and what waits or was given up on. Admins only. */
export function registerMailRoutes(app: App, services: Services): void {
  app.get(
    '/api/admin/mail',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Mail: on (SMTP) or off (written to the server log), mails queued and given up on',
        response: { 200: AdminMailBody, ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(request)
      return services.mail.status()
    },
  )
}
