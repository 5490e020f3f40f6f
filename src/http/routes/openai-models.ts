import type { Services } from '../../app/index.ts'
import { ModelsList } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'

/**
 * `GET /v1/models` in OpenAI's shape: the models a request may name, one per engine model, then
 * one per alias that reaches one (owned by the engine it reaches).
 */
export function registerOpenAiModels(app: App, services: Services): void {
  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'The image models of this installation (OpenAI list shape)',
        response: { 200: ModelsList },
      },
    },
    async (request) => {
      requireUser(request)
      const { registry } = services
      await registry.fresh()
      const model = (id: string, engine: string) => ({
        id,
        object: 'model' as const,
        created: 0,
        owned_by: `easel:${engine}`,
      })
      return {
        object: 'list' as const,
        data: [
          ...registry.engines.flatMap((engine) => engine.models.map((id) => model(id, engine.name))),
          ...registry.aliases().flatMap((a) => (a.engine ? [model(a.alias, a.engine)] : [])),
        ],
      }
    },
  )
}
