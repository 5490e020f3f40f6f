import type { Services } from '../../app/index.ts'
import { AdminEnginesBody, errorResponses } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'

/**
 * The engines page's data, for administrators: each engine this installation runs (as
 * `/api/engines` shows it), its queue in this process, and the state of each of its upstream
 * servers — which are in rotation, which are taken out and why, when they are checked again.
 */
export function registerAdminEngineRoutes(app: App, services: Services): void {
  const { registry, studio } = services

  app.get(
    '/api/admin/engines',
    {
      schema: {
        tags: ['Admin'],
        summary: "The engines, their queues and their backends' health",
        response: { 200: AdminEnginesBody, ...errorResponses },
      },
    },
    async (request): Promise<AdminEnginesBody> => {
      requireAdmin(request)
      const queues = studio.queueSizes()
      const summaries = registry.summaries()
      return {
        engines: registry.engines.map((engine, i) => {
          const summary = summaries[i]!
          // Summaries are made from the same list, in the same order.
          if (summary.name !== engine.name) throw new Error(`engine summaries out of order at ${engine.name}`)
          return {
            ...summary,
            queue: queues[engine.name] ?? { running: 0, waiting: 0 },
            backends: engine.backends ? engine.backends().map((b) => ({ ...b })) : null,
          }
        }),
      }
    },
  )
}
