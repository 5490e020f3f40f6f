import {
  type Ctx,
  get,
  ID_TAIL,
  inPath,
  NOT_IDS,
  pagination,
  pathIdRefusal,
  post,
  type Refusal,
  send,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the administrators' routes.

/** Administrators' routes, called by an administrator, aimed at the subject where they aim at someone. */
const ADMIN: Refusal[] = [
  ...pagination('/api/admin/users', 200, 'cursor'),
  {
    name: 'GET /api/admin/users with a cursor holding a NUL',
    request: get('/api/admin/users?cursor=user_%00', { as: 'admin' }),
    status: 400,
    message: /cursor/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `PATCH /api/admin/users/:id with ${what}`,
    request: send({
      method: 'PATCH',
      url: `/api/admin/users/${inPath(id('user'))}`,
      body: { plan: 'pro' },
      as: 'admin',
    }),
    ...pathIdRefusal(what, 'user'),
  })),
  ...(
    [
      ['role root', { role: 'root' }, /^role: /],
      ['a plan that is not a name', { plan: 'Pro Plan!' }, /plan: must be 1 to 40 lower-case letters/],
      ['cohorts as a string', { cohorts: 'beta' }, /^cohorts: /],
      ['21 cohorts', { cohorts: Array.from({ length: 21 }, (_, i) => `c${i}`) }, /^cohorts: /],
      [
        'a cohort that is not a name',
        { cohorts: ["beta'; drop table users; --"] },
        /cohorts\.0: must be 1 to 40 lower-case letters/,
      ],
      ['disabled "yes"', { disabled: 'yes' }, /^disabled: /],
    ] as const
  ).map(([what, body, message]) => ({
    name: `PATCH /api/admin/users/:id with ${what}`,
    request: async (c: Ctx) =>
      send({ method: 'PATCH', url: `/api/admin/users/${c.me.user.user.id}`, body, as: 'admin' })(c),
    status: 400,
    message,
  })),
  {
    name: 'PATCH /api/admin/users/:id demoting oneself',
    request: async (c) =>
      send({
        method: 'PATCH',
        url: `/api/admin/users/${c.f.admin.user.id}`,
        body: { role: 'user' },
        as: 'admin',
      })(c),
    status: 400,
    message: /you cannot demote or disable yourself/,
  },
  {
    name: 'PATCH /api/admin/users/:id of no user',
    request: send({
      method: 'PATCH',
      url: `/api/admin/users/user_${ID_TAIL}`,
      body: { plan: 'pro' },
      as: 'admin',
    }),
    status: 404,
    message: /user_/,
  },
  ...(
    [
      ['amount 0', { amount: 0 }, /^amount: /],
      ['a negative amount', { amount: -5 }, /^amount: /],
      ['a fractional amount', { amount: 1.5 }, /^amount: /],
      ['amount "10" (a string)', { amount: '10' }, /^amount: /],
      ['amount 1 000 001', { amount: 1_000_001 }, /^amount: /],
      ['an empty reason', { reason: '' }, /reason: say why/],
      ['a reason of spaces', { reason: '     ' }, /reason: say why/],
      ['a reason of 501 characters', { reason: 'r'.repeat(501) }, /^reason: /],
      ['a reason with a NUL character', { reason: 'goodwill\u0000' }, /reason/],
      ['an unknown source', { source: 'gift' }, /^source: /],
      ['expiresInDays 0', { expiresInDays: 0 }, /^expiresInDays: /],
      [
        'an account id as the user',
        { userId: 'acct_01jd3q8z6x4c9m2k7w5e0t1r8b' },
        /userId: must be a user_… id/,
      ],
    ] as const
  ).map(([what, patch, message]) => ({
    name: `POST /api/admin/grants with ${what}`,
    request: async (c: Ctx) =>
      post(
        '/api/admin/grants',
        { userId: c.me.user.user.id, amount: 10, reason: 'goodwill', ...patch },
        { as: 'admin' },
      )(c),
    status: 400,
    message,
  })),
  {
    name: 'POST /api/admin/grants to no user',
    request: post(
      '/api/admin/grants',
      { userId: `user_${ID_TAIL}`, amount: 10, reason: 'goodwill' },
      { as: 'admin' },
    ),
    status: 404,
    message: /no user user_/,
  },
  {
    name: 'POST /api/admin/grants with an Idempotency-Key of 300 characters',
    request: async (c) =>
      post(
        '/api/admin/grants',
        { userId: c.me.user.user.id, amount: 10, reason: 'goodwill' },
        { as: 'admin', headers: { 'idempotency-key': 'k'.repeat(300) } },
      )(c),
    status: 400,
    message: /idempotency/i,
  },
  {
    name: 'POST /api/admin/invites with maxUses 0',
    request: post('/api/admin/invites', { maxUses: 0 }, { as: 'admin' }),
    status: 400,
    message: /^maxUses: /,
  },
  {
    name: 'POST /api/admin/invites with a cohort that is not a name',
    request: post('/api/admin/invites', { cohort: 'Beta Testers' }, { as: 'admin' }),
    status: 400,
    message: /cohort: must be 1 to 40 lower-case letters/,
  },
  {
    name: 'POST /api/admin/invites with expiresInDays -1',
    request: post('/api/admin/invites', { expiresInDays: -1 }, { as: 'admin' }),
    status: 400,
    message: /^expiresInDays: /,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `DELETE /api/admin/keys/:id with ${what}`,
    request: send({ method: 'DELETE', url: `/api/admin/keys/${inPath(id('key'))}`, as: 'admin' }),
    ...pathIdRefusal(what, 'key'),
  })),
  {
    name: 'DELETE /api/admin/keys/:id of no key',
    request: send({ method: 'DELETE', url: `/api/admin/keys/key_${ID_TAIL}`, as: 'admin' }),
    status: 404,
    message: /API key key_/,
  },
  {
    name: 'GET /api/admin/report with no period',
    request: get('/api/admin/report', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
  {
    name: 'GET /api/admin/report with a period that ends before it starts',
    request: get('/api/admin/report?from=2000&to=1000', { as: 'admin' }),
    status: 400,
    message: /to: must be a time after from/,
  },
  {
    name: 'GET /api/admin/report with a from that is not a time',
    request: get('/api/admin/report?from=yesterday&to=1000', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
  {
    name: 'GET /api/admin/report with a from of 1e300',
    request: get('/api/admin/report?from=1e300&to=2e300', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
  {
    name: 'GET /api/admin/mail by a user who is not an administrator',
    request: get('/api/admin/mail'),
    status: 403,
    message: /only administrators/,
    code: 'FORBIDDEN',
  },
  {
    name: 'GET /api/admin/mail through a browser session that is not an administrator’s',
    request: get('/api/admin/mail', { as: 'session' }),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'GET /api/admin/mail without credentials',
    request: get('/api/admin/mail', { as: 'nobody' }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'GET /api/admin/mail with a query holding a NUL',
    request: get('/api/admin/mail?x=%00', { as: 'admin' }),
    status: 400,
    message: /NUL/,
  },
  ...pagination('/api/admin/audit', 200, 'before'),
  {
    name: 'GET /api/admin/audit with an action that is not one',
    request: get('/api/admin/audit?action=credits.steal', { as: 'admin' }),
    status: 400,
    message: /^action: must be one of credits\.grant/,
  },
  {
    name: 'GET /api/admin/audit with a subject of 101 characters',
    request: get(`/api/admin/audit?subject=${'s'.repeat(101)}`, { as: 'admin' }),
    status: 400,
    message: /^subject: /,
  },
  {
    name: 'GET /api/admin/audit with a query holding a NUL',
    request: get('/api/admin/audit?actor=cli%00', { as: 'admin' }),
    status: 400,
    message: /NUL/,
  },
  {
    name: 'GET /api/admin/audit by a user who is not an administrator',
    request: get('/api/admin/audit'),
    status: 403,
    message: /only administrators/,
    code: 'FORBIDDEN',
  },
  {
    name: 'GET /api/admin/audit through a browser session that is not an administrator’s',
    request: get('/api/admin/audit', { as: 'session' }),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'GET /api/admin/audit without credentials',
    request: get('/api/admin/audit', { as: 'nobody' }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'PATCH /api/admin/users/:id with a reason of 401 characters',
    request: async (c) =>
      send({
        method: 'PATCH',
        url: `/api/admin/users/${c.me.user.user.id}`,
        body: { plan: 'free', reason: 'r'.repeat(401) },
        as: 'admin',
      })(c),
    status: 400,
    message: /^reason: /,
  },
  ...(['POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => ({
    name: `${method} /api/admin/audit (it is read-only)`,
    request: send({ method, url: '/api/admin/audit', body: { action: 'credits.grant' }, as: 'admin' }),
    status: [404, 405],
    message: /no route|not allowed|not found/i,
  })),
  ...(['POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => ({
    name: `${method} /api/admin/mail (it is read-only)`,
    request: send({ method, url: '/api/admin/mail', body: { enabled: true }, as: 'admin' }),
    status: [404, 405],
    message: /no route|not allowed|not found/i,
  })),
]

sweep((s) => {
  s.accepts([
    ['GET /api/admin/users?limit=5', get('/api/admin/users?limit=5', { as: 'admin' }), 200],
    [
      'POST /api/admin/grants',
      async (c) =>
        post(
          '/api/admin/grants',
          { userId: c.me.user.user.id, amount: 10, reason: 'goodwill' },
          { as: 'admin' },
        )(c),
      201,
    ],
    ['GET /api/admin/report', get('/api/admin/report?from=0&to=4102444800000', { as: 'admin' }), 200],
    ['GET /api/admin/mail', get('/api/admin/mail', { as: 'admin' }), 200],
    [
      'GET /api/admin/audit?action=credits.grant&limit=5',
      get('/api/admin/audit?action=credits.grant&limit=5', { as: 'admin' }),
      200,
    ],
  ])
  s.refuses('administration', ADMIN)
  s.ignores('the mail status reads and changes nothing, whatever the query', [
    [
      'GET /api/admin/mail?enabled=true (as an administrator)',
      get('/api/admin/mail?enabled=true', { as: 'admin' }),
    ],
    ['GET /api/admin/mail?queued=-1&failed=x', get('/api/admin/mail?queued=-1&failed=x', { as: 'admin' })],
  ])
})
