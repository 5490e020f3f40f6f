import type { Services } from '../../app/index.ts'
import {
  CreatedKeyBody,
  CreateKeyRequest,
  errorResponses,
  IdParam,
  KeyBody,
  KeysBody,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireSession, requireUser } from '../auth.ts'
import { unwrapAccounts } from '../errors.ts'
import { keyBody } from '../schemas.ts'

/**
 * A key may list keys but not make or revoke them: a leaked key must not be able to mint its own
 * replacement. Keys are managed from a signed-in browser session or with `easel keys`.
 */
const API_KEY_REFUSAL = 'API keys cannot create or revoke API keys: sign in to the studio, or use easel keys'

/** Your API keys: create (the secret is shown once), list by prefix, revoke. */
export function registerKeyRoutes(app: App, services: Services): void {
  const { accounts } = services

  app.get(
    '/api/keys',
    {
      schema: {
        tags: ['API keys'],
        summary: 'Your API keys',
        response: { 200: KeysBody },
      },
    },
    async (request) => {
      const p = requireUser(request)
      return { keys: (await accounts.listApiKeys(p.user.id)).map(keyBody) }
    },
  )

  app.post(
    '/api/keys',
    {
      schema: {
        tags: ['API keys'],
        summary: 'Create an API key; the response is the only time its secret is shown',
        body: CreateKeyRequest,
        response: { 201: CreatedKeyBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const { name, expiresInDays } = request.body
      const created = unwrapAccounts(
        await accounts.createApiKey(p.user.id, {
          ...(name === undefined ? {} : { name }),
          expiresAt: expiresInDays ? services.clock.now() + expiresInDays * 86_400_000 : null,
        }),
      )
      return reply.status(201).send({ key: keyBody(created.key), secret: created.secret })
    },
  )

  app.delete(
    '/api/keys/:id',
    {
      schema: {
        tags: ['API keys'],
        summary: 'Revoke one of your API keys',
        params: IdParam('key'),
        response: { 200: KeyBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      return keyBody(unwrapAccounts(await accounts.revokeApiKey(p.user.id, request.params.id)))
    },
  )
}
