import type { InjectOptions } from 'fastify'
import { expect, it } from 'vitest'
import {
  type As,
  type Build,
  bearer,
  type Ctx,
  GEN,
  ID_TAIL,
  inPath,
  NOT_IDS,
  pathIdRefusal,
  type Refusal,
  send,
  signIn,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of issue 13's POST /api/jobs/:id/cancel: ids that are not ids
// or name nothing, another account's job (404, exactly like an unknown id, and left as it was), no
// credentials, a session without its CSRF token, other methods, and bodies the route does not take.
// Cancelling a finished job of one's own is the well-formed request (it answers the job as it ended
// and changes nothing); what a cancel does to a job waiting or running is test/http/job-cancel.test.ts.

const cancelUrl = (id: string) => `/api/jobs/${id}/cancel`

/** A finished generation of the caller's own, made through /v1: its job id. */
async function myJob(c: Ctx): Promise<string> {
  const made = await c.t.server.app.inject({
    method: 'POST',
    url: '/v1/images/generations',
    headers: bearer(c.me.user),
    payload: GEN,
  })
  if (made.statusCode !== 200) throw new Error(`could not make a job: ${made.body}`)
  const row = await c.t.server.services.db.kysely
    .selectFrom('jobs')
    .select('id')
    .where('account_id', '=', c.me.user.user.accountId)
    .executeTakeFirstOrThrow()
  return row.id
}

/** POST /api/jobs/:id/cancel of a finished job of the caller's own, sent as `as` with `extra`. */
const onMine =
  (
    extra: Omit<Parameters<typeof send>[0], 'method' | 'url'> = {},
    method: InjectOptions['method'] = 'POST',
  ): Build =>
  async (c) =>
    send({ method, url: cancelUrl(await myJob(c)), ...extra })(c)

const BAD_IDS: Refusal[] = [
  ...NOT_IDS.map(
    ([what, id]): Refusal => ({
      name: `POST /api/jobs/:id/cancel with ${what}`,
      request: send({ method: 'POST', url: cancelUrl(inPath(id('job'))) }),
      ...pathIdRefusal(what, 'job'),
    }),
  ),
  {
    name: 'POST /api/jobs/:id/cancel with an id that names nothing',
    request: send({ method: 'POST', url: cancelUrl(`job_${ID_TAIL}`) }),
    status: 404,
    message: /^no job job_/,
    code: 'NOT_FOUND',
  },
  {
    name: 'POST /api/jobs/:id/cancel with an image id',
    request: async (c) => send({ method: 'POST', url: cancelUrl(c.f.otherPlainId) })(c),
    status: 400,
    message: /id: must be a job_… id/,
  },
  {
    name: 'POST /api/jobs/:id/cancel with an empty id',
    request: send({ method: 'POST', url: '/api/jobs//cancel' }),
    status: [400, 404],
    message: /id: must be a job_… id|no route/,
  },
]

/** Another account's job: "not found", word for word what an unknown id gets, whoever asks. */
const OTHER_ACCOUNT: Refusal[] = (
  [
    ['an API key', 'me'],
    ['a session (with its CSRF token)', 'session'],
    ['an administrator’s API key', 'admin'],
  ] as const
).map(([who, as]: readonly [string, As]) => ({
  name: `POST /api/jobs/:id/cancel of another account’s job, with ${who}`,
  request: async (c: Ctx) => send({ method: 'POST', url: cancelUrl(c.f.otherJobId), as })(c),
  status: 404,
  message: /^no job job_/,
  code: 'NOT_FOUND',
}))

/** Who the caller is, said wrongly: each refused before any job is looked at. */
const CREDENTIALS: Refusal[] = [
  {
    name: 'POST /api/jobs/:id/cancel signed out',
    request: onMine({ as: 'nobody' }),
    status: 401,
    message: /sign in/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /api/jobs/:id/cancel with an unknown API key',
    request: onMine({ as: 'nobody', headers: { authorization: `Bearer easel_sk_${'0'.repeat(43)}` } }),
    status: 401,
    message: /not valid/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /api/jobs/:id/cancel with Basic credentials',
    request: onMine({ as: 'nobody', headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } }),
    status: 401,
    message: /must be "Bearer <API key>"/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /api/jobs/:id/cancel with the session cookie and no x-csrf-token',
    request: onMine({ as: 'cookie-without-csrf' }),
    status: 403,
    message: /x-csrf-token/,
    code: 'CSRF',
  },
  {
    name: 'POST /api/jobs/:id/cancel with the session cookie and a wrong x-csrf-token',
    request: onMine({ as: 'cookie-without-csrf', headers: { 'x-csrf-token': 'not-the-token' } }),
    status: 403,
    message: /x-csrf-token/,
    code: 'CSRF',
  },
  {
    name: 'POST /api/jobs/:id/cancel with the session cookie and another session’s x-csrf-token',
    request: async (c) =>
      onMine({ as: 'cookie-without-csrf', headers: { 'x-csrf-token': (await signIn(c.t, c.f.other)).csrf } })(
        c,
      ),
    status: 403,
    message: /x-csrf-token/,
    code: 'CSRF',
  },
]

/** Other methods on the cancel route, and bodies that are not JSON or not well-formed. */
const METHODS_AND_BODIES: Refusal[] = [
  ...(['GET', 'PUT', 'DELETE', 'PATCH'] as const).map(
    (method): Refusal => ({
      name: `${method} /api/jobs/:id/cancel`,
      request: onMine({}, method),
      status: [404, 405],
      message: new RegExp(`no route ${method} /api/jobs/job_\\w+/cancel`),
    }),
  ),
  {
    name: 'POST /api/jobs/:id/cancel with malformed JSON',
    request: onMine({ raw: '{"reason":' }),
    status: 400,
    message: /JSON/,
  },
  {
    name: 'POST /api/jobs/:id/cancel with JSON nested 7000 levels',
    request: onMine({ raw: '['.repeat(7000) }),
    status: 400,
    message: /nested more than 32 levels/,
  },
  {
    name: 'POST /api/jobs/:id/cancel form-urlencoded',
    request: onMine({ raw: 'confirm=yes', type: 'application/x-www-form-urlencoded' }),
    status: 415,
    message: /content type/i,
  },
]

sweep((s) => {
  s.accepts([
    ['POST /api/jobs/:id/cancel of a finished job of one’s own (answers it as it ended)', onMine(), 200],
    ['POST /api/jobs/:id/cancel from a session with its CSRF token', onMine({ as: 'session' }), 200],
  ])
  s.refuses('cancel: ids that are not ids, or name nothing', BAD_IDS)
  s.refuses('cancel of another account’s job', OTHER_ACCOUNT, () => {
    // Every job of the suite (the other account's among them) finished before any cancel was sent.
    it('leaves every job as it ended: none is cancelled', async () => {
      const { db } = s.t.current.server.services
      const statuses = await db.kysely.selectFrom('jobs').select('status').distinct().execute()
      expect(statuses).toEqual([{ status: 'succeeded' }])
    })
  })
  s.refuses('cancel without the right credentials', CREDENTIALS)
  s.refuses('cancel with another method, or a body it does not take', METHODS_AND_BODIES)
  // A body the route has no use for, in JSON, is ignored (as unknown fields are elsewhere); the job
  // it names is finished, so the answer is the job as it ended and nothing changes.
  s.ignores('a body in JSON or plain text is ignored', [
    ['POST /api/jobs/:id/cancel with {}', onMine({ body: {} })],
    ['POST /api/jobs/:id/cancel with {"force": true}', onMine({ body: { force: true } })],
    ['POST /api/jobs/:id/cancel with JSON null', onMine({ raw: 'null' })],
    // Fastify reads text/plain bodies as strings; the route reads none (a cookie-authenticated one
    // still needs its CSRF token, so the "simple request" a page elsewhere can send gets nowhere).
    ['POST /api/jobs/:id/cancel as text/plain', onMine({ raw: 'cancel it', type: 'text/plain' })],
  ])
})
