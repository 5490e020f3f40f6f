import type { InjectOptions } from 'fastify'
import { expect, it } from 'vitest'
import { type As, type Build, type Ctx, GEN, get, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of what every route shares: JSON bodies nested too deep (and
// the guard that the list of routes taking a body is the OpenAPI document's), routes that do not
// exist, URLs that do not parse, and query parameters that are not the route's.

/** Every route that takes a body, with who may call it (so that the body is what gets refused). */
const BODY_ROUTES: ReadonlyArray<{ route: string; url: (c: Ctx) => string; as: As; multipartOnly?: true }> = [
  { route: 'POST /v1/images/generations', url: () => '/v1/images/generations', as: 'me' },
  { route: 'POST /v1/images/edits', url: () => '/v1/images/edits', as: 'me', multipartOnly: true },
  { route: 'POST /v1/images/variations', url: () => '/v1/images/variations', as: 'me', multipartOnly: true },
  { route: 'POST /api/setup', url: () => '/api/setup', as: 'nobody' },
  { route: 'POST /api/signup', url: () => '/api/signup', as: 'nobody' },
  { route: 'POST /api/session', url: () => '/api/session', as: 'nobody' },
  { route: 'POST /api/account/two-factor/setup', url: () => '/api/account/two-factor/setup', as: 'session' },
  {
    route: 'POST /api/account/two-factor/enable',
    url: () => '/api/account/two-factor/enable',
    as: 'session',
  },
  {
    route: 'POST /api/account/two-factor/disable',
    url: () => '/api/account/two-factor/disable',
    as: 'session',
  },
  {
    route: 'POST /api/account/two-factor/recovery-codes',
    url: () => '/api/account/two-factor/recovery-codes',
    as: 'session',
  },
  { route: 'POST /api/password-reset', url: () => '/api/password-reset', as: 'nobody' },
  { route: 'POST /api/password-reset/confirm', url: () => '/api/password-reset/confirm', as: 'nobody' },
  { route: 'POST /api/account/password', url: () => '/api/account/password', as: 'session' },
  { route: 'POST /api/account/email', url: () => '/api/account/email', as: 'session' },
  { route: 'POST /api/account/email/confirm', url: () => '/api/account/email/confirm', as: 'nobody' },
  { route: 'POST /api/account/delete', url: () => '/api/account/delete', as: 'session' },
  { route: 'POST /api/verify-email', url: () => '/api/verify-email', as: 'nobody' },
  { route: 'PUT /api/account/notices', url: () => '/api/account/notices', as: 'session' },
  { route: 'POST /api/quotes', url: () => '/api/quotes', as: 'me' },
  { route: 'POST /api/jobs', url: () => '/api/jobs', as: 'me' },
  { route: 'POST /api/keys', url: () => '/api/keys', as: 'session' },
  { route: 'POST /api/purchases', url: () => '/api/purchases', as: 'me' },
  { route: 'POST /api/billing/checkout', url: () => '/api/billing/checkout', as: 'me' },
  { route: 'PUT /api/billing/auto-top-up', url: () => '/api/billing/auto-top-up', as: 'me' },
  { route: 'POST /api/billing/plan/subscribe', url: () => '/api/billing/plan/subscribe', as: 'me' },
  { route: 'PATCH /api/admin/users/:id', url: (c) => `/api/admin/users/${c.me.user.user.id}`, as: 'admin' },
  { route: 'POST /api/admin/grants', url: () => '/api/admin/grants', as: 'admin' },
  { route: 'POST /api/admin/invites', url: () => '/api/admin/invites', as: 'admin' },
  {
    route: 'POST /api/admin/purchases/:id/refund',
    url: () => '/api/admin/purchases/pur_x/refund',
    as: 'admin',
  },
  { route: 'POST /api/image-reports', url: () => '/api/image-reports', as: 'me' },
  {
    route: 'POST /api/admin/images/:id/remove',
    url: () => '/api/admin/images/img_00000000000000000000000000/remove',
    as: 'admin',
  },
  {
    route: 'POST /api/admin/image-reports/:id/dismiss',
    url: () => '/api/admin/image-reports/rep_00000000000000000000000000/dismiss',
    as: 'admin',
  },
  {
    route: 'PUT /api/admin/model-aliases/:alias',
    url: () => '/api/admin/model-aliases/dall-e-3',
    as: 'admin',
  },
]

/**
 * JSON nested past the 32 levels any request needs: a 400 that says so, before it is parsed (a
 * route that takes only multipart may say that instead, as long as the text is never parsed).
 */
const DEEP_NESTING: Refusal[] = BODY_ROUTES.flatMap((r) =>
  (
    [
      ['[ × 7000', '['.repeat(7000)],
      ['[ × 7000 closed again', `${'['.repeat(7000)}${']'.repeat(7000)}`],
      ['{"a": × 7000', '{"a":'.repeat(7000)],
      ['33 levels (one past the limit)', `${'['.repeat(33)}${']'.repeat(33)}`],
    ] as const
  )
    .filter(([what]) => what === '[ × 7000' || r.route === 'POST /v1/images/generations')
    .map(
      ([what, raw]): Refusal => ({
        name: `${r.route} with JSON nested ${what}`,
        request: async (c) =>
          send({ method: r.route.split(' ')[0] as InjectOptions['method'], url: r.url(c), raw, as: r.as })(c),
        status: r.multipartOnly ? [400, 415] : 400,
        message: r.multipartOnly ? /nested more than 32 levels|multipart/ : /nested more than 32 levels/,
      }),
    ),
)

const NO_SUCH_ROUTE: Refusal[] = [
  {
    name: 'GET /api/jobs/:id with broken percent-encoding',
    request: get('/api/jobs/job_%E0%A4%A'),
    status: 400,
    message: /not a valid url/,
  },
  {
    name: 'POST /v1/images/:operation with broken percent-encoding',
    request: post('/v1/images/%E0%A4%A', GEN),
    status: [400, 404],
    message: /not a valid url|no route/,
  },
  {
    name: 'GET /api/nothing-here',
    request: get('/api/nothing-here'),
    status: 404,
    message: /no route GET \/api\/nothing-here/,
  },
  {
    name: 'POST /v1/images/upscale',
    request: post('/v1/images/upscale', GEN),
    status: 404,
    message: /no route POST \/v1\/images\/upscale/,
    code: 'not_found',
  },
  {
    name: 'PATCH /v1/images/generations',
    request: send({ method: 'PATCH', url: '/v1/images/generations', body: GEN }),
    status: 404,
    message: /no route PATCH/,
  },
]

/** Unknown query parameters are ignored (as unknown body fields are, for OpenAI clients' sake). */
const IGNORED_QUERY: Array<[string, Build]> = [
  ['GET /api/jobs?colour=red', get('/api/jobs?colour=red')],
  ['GET /api/images?sort=asc', get('/api/images?sort=asc')],
  ['GET /api/credits?verbose=1', get('/api/credits?verbose=1')],
  ['GET /api/credits/history?kind=grant', get('/api/credits/history?kind=grant')],
  ['GET /api/keys?all=true', get('/api/keys?all=true')],
  ['GET /api/purchases?status=refunded', get('/api/purchases?status=refunded')],
  ['GET /api/me?as=admin', get('/api/me?as=admin')],
  ['GET /v1/models?owned_by=openai', get('/v1/models?owned_by=openai')],
  ['GET /api/packs?currency=EUR', get('/api/packs?currency=EUR', { as: 'nobody' })],
  [
    'GET /api/admin/users?role=admin (as an administrator)',
    get('/api/admin/users?role=admin', { as: 'admin' }),
  ],
]

sweep((s) => {
  s.refuses('JSON bodies nested deeper than 32 levels', DEEP_NESTING, () => {
    it('covers every route that takes a body (from the OpenAPI document)', async () => {
      const doc = (await s.t.current.server.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>
      }
      const withBodies = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.requestBody !== undefined)
          .map(([method]) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      expect(BODY_ROUTES.map((r) => r.route).sort()).toEqual(withBodies.sort())
    })
  })
  s.refuses('routes that do not exist, and URLs that do not parse', NO_SUCH_ROUTE)
  s.ignores('unknown query parameters are ignored and change nothing', IGNORED_QUERY)
})
