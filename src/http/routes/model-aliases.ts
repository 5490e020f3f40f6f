import { z } from 'zod'
import type { AuditActor } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import {
  errorResponses,
  ModelAliasBody,
  ModelAliasesBody,
  ModelAliasParams,
  ModelAliasRequest,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'
import { ApiError } from '../errors.ts'

/**
 * Model aliases, for administrators: other names requests may give as `model` (`dall-e-3` for
 * `comfyui:sdxl`), so that clients hard-coding OpenAI's names work. Those of EASEL_MODEL_ALIASES
 * are listed as fixed and cannot be changed here (the environment is what the operator declared;
 * a page that overrode it would make the configuration lie). An alias set here reaches every
 * process within seconds (`EngineRegistry.fresh`). Each change is audited.
 */
export function registerModelAliasRoutes(app: App, services: Services): void {
  const { registry } = services
  const actorOf = (p: ReturnType<typeof requireAdmin>): AuditActor => ({
    userId: p.user.id,
    label: p.user.email,
  })
  const fixedRefusal = (alias: string) =>
    new ApiError(
      'CONFLICT',
      `${alias} is set by EASEL_MODEL_ALIASES: change it in the environment, not here`,
      { field: 'alias' },
    )
  const list = async (): Promise<ModelAliasesBody> => {
    await registry.fresh()
    return { aliases: registry.aliases(), targets: registry.targets() }
  }

  app.get(
    '/api/admin/model-aliases',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Model aliases (those of the environment fixed) and the models they may point at',
        response: { 200: ModelAliasesBody },
      },
    },
    async (request) => {
      requireAdmin(request)
      return list()
    },
  )

  app.put(
    '/api/admin/model-aliases/:alias',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Set a model alias: `{target}` is engine:model, an engine (its default model) or a model',
        params: ModelAliasParams,
        body: ModelAliasRequest,
        response: { 200: ModelAliasBody, ...errorResponses },
      },
    },
    async (request): Promise<ModelAliasBody> => {
      const p = requireAdmin(request)
      const { alias } = request.params
      const { target } = request.body
      if (registry.isFixed(alias)) throw fixedRefusal(alias)
      const problem = registry.aliasProblem(alias, target)
      if (problem) {
        throw new ApiError('VALIDATION', `${problem.field}: ${problem.message}`, { field: problem.field })
      }
      await services.aliases.set(alias, target, actorOf(p))
      await registry.reloadAliases()
      const set = registry.aliases().find((a) => a.alias === alias)
      // Just written and checked against these engines: anything else is a bug.
      if (!set?.engine) throw new Error(`model alias ${alias} was set but does not resolve`)
      return set
    },
  )

  app.delete(
    '/api/admin/model-aliases/:alias',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Remove a model alias an administrator set',
        params: ModelAliasParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireAdmin(request)
      const { alias } = request.params
      if (registry.isFixed(alias)) throw fixedRefusal(alias)
      if (!(await services.aliases.delete(alias, actorOf(p)))) {
        throw new ApiError('NOT_FOUND', `no model alias ${alias}`)
      }
      await registry.reloadAliases()
      return reply.status(204).send(null)
    },
  )
}
