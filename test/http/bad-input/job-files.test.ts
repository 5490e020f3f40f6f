import {
  type Build,
  bearer,
  type Ctx,
  GEN,
  get,
  ID_TAIL,
  inPath,
  NOT_IDS,
  pathIdRefusal,
  type Refusal,
  send,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of issue 13's routes for a job's files and searching jobs:
// DELETE /api/jobs/:id, GET /api/jobs/:id/images.zip, DELETE /api/images/:id and GET /api/jobs?q=.
// Another account's job or image must look exactly like one that does not exist, and stay.

const ROUTES = [
  ['DELETE', 'job', (id: string) => `/api/jobs/${id}`],
  ['GET', 'job', (id: string) => `/api/jobs/${id}/images.zip`],
  ['DELETE', 'img', (id: string) => `/api/images/${id}`],
] as const

const noSuch = (prefix: 'job' | 'img') => new RegExp(`no ${prefix === 'job' ? 'job' : 'image'} ${prefix}_`)

const BAD_IDS: Refusal[] = ROUTES.flatMap(([method, prefix, url]) => [
  ...NOT_IDS.map(
    ([what, id]): Refusal => ({
      name: `${method} ${url(':id')} with ${what}`,
      request: send({ method, url: url(inPath(id(prefix))) }),
      ...pathIdRefusal(what, prefix),
    }),
  ),
  {
    name: `${method} ${url(':id')} with an id that names nothing`,
    request: send({ method, url: url(`${prefix}_${ID_TAIL}`) }),
    status: 404,
    message: noSuch(prefix),
    code: 'NOT_FOUND',
  },
  {
    name: `${method} ${url(':id')} signed out`,
    request: async (c) => send({ method, url: url(ownId(c, prefix)), as: 'nobody' })(c),
    status: 401,
    message: /sign in/,
    code: 'UNAUTHENTICATED',
  },
])

/** Another account's job and image: "not found", exactly like ids that name nothing, and left as they were. */
const OTHER_ACCOUNT: Refusal[] = ROUTES.map(([method, prefix, url]) => ({
  name: `${method} ${url(':id')} of another account`,
  request: async (c: Ctx) => send({ method, url: url(ownId(c, prefix)) })(c),
  status: 404,
  message: noSuch(prefix),
  code: 'NOT_FOUND',
}))

const SESSION_WITHOUT_CSRF: Refusal[] = ROUTES.filter(([method]) => method === 'DELETE').map(
  ([method, prefix, url]) => ({
    name: `${method} ${url(':id')} with the session cookie and no x-csrf-token`,
    request: async (c: Ctx) => send({ method, url: url(ownId(c, prefix)), as: 'cookie-without-csrf' })(c),
    status: 403,
    message: /x-csrf-token/,
    code: 'CSRF',
  }),
)

const SEARCH: Refusal[] = [
  {
    name: 'GET /api/jobs with q of 201 characters',
    request: get(`/api/jobs?q=${'a'.repeat(201)}`),
    status: 400,
    message: /q: must be at most 200 characters/,
  },
  {
    name: 'GET /api/jobs with q given twice',
    request: get('/api/jobs?q=fox&q=cat'),
    status: 400,
    message: /q: /,
  },
]

/**
 * The other account's job or image (the sweep's fixtures): the signed-out and CSRF cases aim at
 * them too, since a refusal must come before any lookup.
 */
function ownId(c: Ctx, prefix: 'job' | 'img'): string {
  return prefix === 'job' ? c.f.otherJobId : c.f.otherPlainId
}

/** A finished generation of the caller's own, made through /v1: its job id and first image id. */
async function myJob(c: Ctx): Promise<{ job: string; image: string }> {
  const made = await c.t.server.app.inject({
    method: 'POST',
    url: '/v1/images/generations',
    headers: bearer(c.me.user),
    payload: GEN,
  })
  if (made.statusCode !== 200) throw new Error(`could not make a job: ${made.body}`)
  const image = await c.t.server.services.db.kysely
    .selectFrom('images')
    .select(['id', 'job_id'])
    .where('account_id', '=', c.me.user.user.accountId)
    .executeTakeFirstOrThrow()
  return { job: image.job_id, image: image.id }
}

const onMine =
  (method: 'DELETE' | 'GET', url: (ids: { job: string; image: string }) => string): Build =>
  async (c) =>
    send({ method, url: url(await myJob(c)) })(c)

sweep((s) => {
  s.accepts([
    ['DELETE /api/jobs/:id of a job of one’s own', onMine('DELETE', (ids) => `/api/jobs/${ids.job}`), 204],
    [
      'GET /api/jobs/:id/images.zip of a job of one’s own',
      onMine('GET', (ids) => `/api/jobs/${ids.job}/images.zip`),
      200,
    ],
    [
      'DELETE /api/images/:id of an image of one’s own',
      onMine('DELETE', (ids) => `/api/images/${ids.image}`),
      204,
    ],
    ['GET /api/jobs?q= (a search)', get('/api/jobs?q=lighthouse'), 200],
  ])
  s.refuses('job files: ids that are not ids, or name nothing; signed out', BAD_IDS)
  s.refuses('job files of another account', OTHER_ACCOUNT)
  s.refuses('job files from a session without its CSRF token', SESSION_WITHOUT_CSRF)
  s.refuses('searching jobs (GET /api/jobs?q=)', SEARCH)
  s.ignores('searches that find nothing change nothing', [
    ['GET /api/jobs?q=%25', get('/api/jobs?q=%25')],
    ['GET /api/jobs?q=%27%20OR%201%3D1%20--', get('/api/jobs?q=%27%20OR%201%3D1%20--')],
    ['GET /api/jobs?q=%5C', get('/api/jobs?q=%5C')],
  ])
})
