import type { Services } from '../../app/index.ts'
import { ModelsList } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'

/** `GET /v1/models` in OpenAI's shape: the models a request may name, one per engine model. */
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
      return {
        object: 'list' as const,
        data: services.registry.engines.flatMap((engine) =>
          engine.models.map((id) => ({
            id,
            object: 'model' as const,
            created: 0,
            owned_by: `easel:${engine.name}`,
          })),
        ),
      }
    },
  )
}
