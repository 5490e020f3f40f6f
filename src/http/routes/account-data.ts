import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import { DeleteAccountRequest, DeletionPreviewBody, errorResponses } from '../../contracts/index.ts'
import { AccountData, type DeletionError } from '../../privacy/index.ts'
import type { App } from '../app-type.ts'
import { clearSessionCookie, requireSession, SESSION_COOKIE } from '../auth.ts'
import { ApiError, fromAccountsError } from '../errors.ts'

/**
 * A person's data is theirs to take or erase in a browser, signed in: an API key may neither
 * download it all nor delete the account (a leaked key must not be able to do either).
 */
const API_KEY_REFUSAL = 'API keys cannot export or delete an account: sign in to the studio'

function fromDeletionError(error: DeletionError): ApiError {
  switch (error.code) {
    case 'JOBS_IN_FLIGHT':
      return new ApiError('CONFLICT', error.message, { reason: error.code, extra: { jobs: error.jobs } })
    case 'ONLY_ADMIN':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    default:
      return fromAccountsError(error)
  }
}

/**
 * The signed-in person's own data:
 *
 * - `GET /api/account/export`: a zip of account.json (profile, credits and their journal,
 *   purchases, sessions, API keys, jobs), README.txt and the images, streamed as it is written
 * - `GET /api/account/deletion`: what deleting the account would lose (paid credits grant by
 *   grant, free credits, images), and whether it can be deleted now
 * - `POST /api/account/delete {password, confirm}`: deletes it (confirm is the email); 204, and the
 *   session cookie is cleared
 */
export function registerAccountDataRoutes(app: App, services: Services): void {
  const data = new AccountData(services)

  app.get(
    '/api/account/export',
    {
      schema: {
        tags: ['Account data'],
        summary:
          'Download your data: a zip of account.json (profile, credits and their journal, purchases, sessions, API keys, jobs with their prompts), README.txt and your images (images/<job id>/<n>.png)',
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const zip = data.exportZip(p.user, { currentToken: request.cookies[SESSION_COOKIE] ?? null })
      zip.on('error', (error: unknown) => request.log.error({ err: error }, 'the account export failed'))
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${data.exportFileName()}"`)
        .header('cache-control', 'no-store')
        .send(zip)
    },
  )

  app.get(
    '/api/account/deletion',
    {
      schema: {
        tags: ['Account data'],
        summary:
          'What deleting your account would lose: unspent paid credits grant by grant (with their expiry), free credits, images; and whether it can be deleted now (not while a job is queued or running)',
        response: { 200: DeletionPreviewBody, ...errorResponses },
      },
    },
    async (request) => data.deletionPreview(requireSession(request, API_KEY_REFUSAL).user),
  )

  app.post(
    '/api/account/delete',
    {
      schema: {
        tags: ['Account data'],
        summary:
          'Delete your account: give your password and your email (confirm). Images, prompts, sessions, keys and personal data are erased; the credit journal stays without your identity; unspent credits are lost to you (they expire on their dates, recorded as breakage). 409 while a job is queued or running, or for the only administrator',
        body: DeleteAccountRequest,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const done = await data.deleteAccount(p.user, { ...request.body, address: request.ip })
      if (!done.ok) throw fromDeletionError(done.error)
      if (done.value.filesLeft > 0) {
        request.log.warn(
          { user: p.user.id, filesLeft: done.value.filesLeft },
          'account deleted; some image files could not be removed (orphans, named by ids only)',
        )
      }
      clearSessionCookie(reply)
      return reply.status(204).send(null)
    },
  )
}
