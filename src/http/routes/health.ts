import type { Services } from '../../app/index.ts'
import { EnginesBody, HealthBody, UnavailableBody } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'

export function registerHealthRoutes(app: App, services: Services): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Service'],
        summary: 'Liveness and readiness: the database answers; engine queues',
        security: [],
        response: { 200: HealthBody, 503: UnavailableBody },
      },
    },
    async (request, reply) => {
      try {
        await services.db.kysely.selectFrom('settings').select('key').limit(1).execute()
      } catch (error) {
        // The details (hosts, roles) are for the log, not for anyone who can reach /healthz.
        request.log.error({ err: error }, 'health check: the database does not answer')
        return reply.status(503).send({ status: 'unavailable', error: 'the database does not answer' })
      }
      return { status: 'ok' as const, database: services.db.dialect, queues: services.studio.queueSizes() }
    },
  )

  app.get(
    '/api/engines',
    {
      schema: {
        tags: ['Service'],
        summary: 'The engines and models this installation offers',
        response: { 200: EnginesBody },
      },
    },
    async () => ({
      engines: services.registry
        .summaries()
        .map((e) => ({ ...e, models: [...e.models], sizes: [...e.sizes] })),
    }),
  )
}
