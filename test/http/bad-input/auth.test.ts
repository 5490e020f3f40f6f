import { expect } from 'vitest'
import type { TestUser } from '../../support/server.ts'
import { bearer, type Ctx, GEN, get, JOB, PURCHASE, post, type Refusal, send, signIn } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of how a caller says who it is: Authorization headers, session
// cookies, and the CSRF token that cookie-authenticated writes need.

/** Malformed Authorization headers, each on a request that would charge a credit were it let through. */
const AUTHORIZATION: Refusal[] = (
  [
    ['Basic credentials', () => 'Basic dXNlcjpwYXNzd29yZA==', /must be "Bearer <API key>"/],
    ['"Bearer" and no key', () => 'Bearer', /must be "Bearer <API key>"/],
    ['an empty header', () => '', /must be "Bearer <API key>"/],
    [
      'a key and something after it',
      (u: TestUser) => `Bearer ${u.apiKey} extra`,
      /must be "Bearer <API key>"/,
    ],
    [
      'the key in another scheme ("Token")',
      (u: TestUser) => `Token ${u.apiKey}`,
      /must be "Bearer <API key>"/,
    ],
    ['an unknown key', () => `Bearer easel_sk_${'0'.repeat(43)}`, /not valid/],
    ['a key 10 000 characters long', () => `Bearer easel_sk_${'A'.repeat(10_000)}`, /not valid/],
    ['an SQL-looking key', () => "Bearer easel_sk_'OR'1'='1'--", /not valid/],
  ] as const
).flatMap(([what, header, message]) =>
  (
    [
      ['POST /v1/images/generations', '/v1/images/generations', GEN, 'invalid_api_key'],
      ['POST /api/jobs', '/api/jobs', JOB, 'UNAUTHENTICATED'],
    ] as const
  ).map(
    ([route, url, body, code]): Refusal => ({
      name: `${route} with ${what}`,
      request: (c) => post(url, body, { as: 'nobody', headers: { authorization: header(c.me.user) } })(c),
      status: 401,
      message,
      code,
    }),
  ),
)
AUTHORIZATION.push({
  name: 'POST /v1/images/generations with a revoked key',
  request: async (c) => {
    const { accounts } = c.t.server.services
    const made = await accounts.createApiKey(c.me.user.user.id, { name: 'to revoke' })
    if (!made.ok) throw new Error(made.error.message)
    const revoked = await accounts.revokeApiKey(c.me.user.user.id, made.value.key.id)
    if (!revoked.ok) throw new Error(revoked.error.message)
    return post('/v1/images/generations', GEN, {
      as: 'nobody',
      headers: { authorization: `Bearer ${made.value.secret}` },
    })(c)
  },
  status: 401,
  message: /not valid: it is unknown, revoked or expired/,
  code: 'invalid_api_key',
})

const COOKIES: Refusal[] = [
  ...(
    [
      ['a garbage session cookie', () => 'easel_session=garbage'],
      ['a session cookie of 10 000 characters', () => `easel_session=${'a'.repeat(10_000)}`],
      ['a session cookie with broken percent-encoding', () => 'easel_session=%E0%A4%A'],
      ['a cookie header with no value', () => 'easel_session'],
      ['an SQL-looking session cookie', () => "easel_session=' OR '1'='1"],
    ] as const
  ).flatMap(([what, cookie]) => [
    {
      name: `GET /api/me with ${what}`,
      request: get('/api/me', { as: 'nobody', headers: { cookie: cookie() } }),
      status: 401,
      message: /sign in first/,
      code: 'UNAUTHENTICATED',
    },
    {
      name: `POST /v1/images/generations with ${what}`,
      request: post('/v1/images/generations', GEN, { as: 'nobody', headers: { cookie: cookie() } }),
      status: 401,
      message: /no API key given/,
      code: 'invalid_api_key',
    },
  ]),
  {
    name: 'GET /api/me with the cookie of a session that signed out',
    request: async (c) => {
      const s = await signIn(c.t, c.me.user)
      const out = await c.t.server.app.inject({
        method: 'DELETE',
        url: '/api/session',
        headers: { cookie: s.cookie },
      })
      expect(out.statusCode).toBe(204)
      return get('/api/me', { as: 'nobody', headers: { cookie: s.cookie } })(c)
    },
    status: 401,
    message: /sign in first/,
  },
]

/** Cookie-authenticated writes with a bad CSRF token: each would change something were it let through. */
const CSRF: Refusal[] = (
  [
    ['no x-csrf-token', async () => ({})],
    ['a wrong x-csrf-token', async () => ({ 'x-csrf-token': 'not-the-token' })],
    ['an empty x-csrf-token', async () => ({ 'x-csrf-token': '' })],
    [
      'the session token with a space after it',
      async (c: Ctx) => ({ 'x-csrf-token': `${(await c.me.session()).csrf} ` }),
    ],
    [
      'another session’s x-csrf-token',
      async (c: Ctx) => ({ 'x-csrf-token': (await signIn(c.t, c.f.other)).csrf }),
    ],
  ] as const
).flatMap(([what, token]) =>
  (
    [
      ['POST /api/jobs', 'POST', '/api/jobs', JOB],
      ['POST /api/keys', 'POST', '/api/keys', { name: 'forged' }],
      ['POST /api/purchases', 'POST', '/api/purchases', PURCHASE],
      ['PUT /api/images/:id/favourite', 'PUT', 'own-image', undefined],
    ] as const
  ).map(
    ([route, method, url, body]): Refusal => ({
      name: `${route} with ${what}`,
      request: async (c) => {
        let target: string = url
        if (url === 'own-image') {
          // An image of the subject's own, not yet a favourite.
          const made = await c.t.server.app.inject({
            method: 'POST',
            url: '/v1/images/generations',
            headers: bearer(c.me.user),
            payload: GEN,
          })
          expect(made.statusCode, made.body).toBe(200)
          const own = await c.t.server.services.db.kysely
            .selectFrom('images')
            .select('id')
            .where('account_id', '=', c.me.user.user.accountId)
            .executeTakeFirstOrThrow()
          target = `/api/images/${own.id}/favourite`
        }
        return send({ method, url: target, body, as: 'cookie-without-csrf', headers: await token(c) })(c)
      },
      status: 403,
      message: /this request needs the x-csrf-token header of the signed-in session/,
      code: 'CSRF',
    }),
  ),
)

sweep((s) => {
  s.accepts([
    ['POST /api/jobs (a session with its CSRF token)', post('/api/jobs', JOB, { as: 'session' }), 202],
  ])
  s.refuses('malformed Authorization headers', AUTHORIZATION)
  s.refuses('bad session cookies', COOKIES)
  s.refuses('cookie-authenticated writes with a bad CSRF token', CSRF)
})
