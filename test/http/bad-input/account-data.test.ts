import { get, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the person's own data: the export, the deletion preview and
// the deletion itself. Every refusal leaves the account as it was (the sweep checks its users,
// sessions, keys, jobs, images, lots and journal).

const PASSWORD = 'correct horse battery'

/** A deletion the subject would send, but for the one field a case changes. */
const deletion = (patch: Record<string, unknown>) => async (c: Parameters<Refusal['request']>[0]) =>
  post(
    '/api/account/delete',
    { password: PASSWORD, confirm: c.me.user.email, ...patch },
    { as: 'session' },
  )(c)

const ROUTES = [
  ['GET', '/api/account/export', undefined],
  ['GET', '/api/account/deletion', undefined],
  ['POST', '/api/account/delete', { password: PASSWORD, confirm: 'me@example.test' }],
] as const

const WHO: Refusal[] = [
  ...ROUTES.flatMap(([method, url, body]): Refusal[] => [
    {
      name: `${method} ${url} with an API key`,
      request: send({ method, url, body }),
      status: 403,
      message: /API keys cannot export or delete an account: sign in to the studio/,
      code: 'FORBIDDEN',
    },
    {
      name: `${method} ${url} signed out`,
      request: send({ method, url, body, as: 'nobody' }),
      status: 401,
      message: /sign in first/,
      code: 'UNAUTHENTICATED',
    },
  ]),
  {
    name: 'POST /api/account/delete with the session cookie and no x-csrf-token',
    request: async (c) =>
      send({
        method: 'POST',
        url: '/api/account/delete',
        body: { password: PASSWORD, confirm: c.me.user.email },
        as: 'cookie-without-csrf',
      })(c),
    status: 403,
    message: /this request needs the x-csrf-token header/,
    code: 'CSRF',
  },
]

const DELETE: Refusal[] = [
  {
    name: 'POST /api/account/delete with no body fields',
    request: post('/api/account/delete', {}, { as: 'session' }),
    status: 400,
    message: /^password: is required/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with no body',
    request: send({ method: 'POST', url: '/api/account/delete', as: 'session' }),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'POST /api/account/delete without the confirmation',
    request: deletion({ confirm: undefined }),
    status: 400,
    message: /^confirm: is required/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with a number as the confirmation',
    request: deletion({ confirm: 42 }),
    status: 400,
    message: /^confirm: must be text/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with a confirmation of 255 characters',
    request: deletion({ confirm: `${'a'.repeat(243)}@example.test` }),
    status: 400,
    message: /^confirm: must be at most 254 characters/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete confirmed with another email',
    request: deletion({ confirm: 'someone-else@example.test' }),
    status: 400,
    message: /^confirm: type your email, .+, to confirm/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete confirmed with an empty string',
    request: deletion({ confirm: '' }),
    status: 400,
    message: /^confirm: type your email/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with an SQL-looking confirmation',
    request: deletion({ confirm: "' OR '1'='1' --" }),
    status: 400,
    message: /^confirm: type your email/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with a wrong password',
    request: deletion({ password: 'not my password' }),
    status: 400,
    message: /^password: is not your current password/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with an empty password',
    request: deletion({ password: '' }),
    status: 400,
    message: /^password: is required/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with a password of 201 characters',
    request: deletion({ password: 'p'.repeat(201) }),
    status: 400,
    message: /^password: must be at most 200 characters/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete with a password that is an array',
    request: deletion({ password: [PASSWORD] }),
    status: 400,
    message: /^password: must be text/,
    code: 'VALIDATION',
  },
  {
    name: 'POST /api/account/delete form-urlencoded',
    request: async (c) =>
      send({
        method: 'POST',
        url: '/api/account/delete',
        raw: `password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(c.me.user.email)}`,
        type: 'application/x-www-form-urlencoded',
        as: 'session',
      })(c),
    status: 415,
    message: /content type/i,
  },
]

sweep((s) => {
  s.accepts([
    ['GET /api/account/deletion (a session)', get('/api/account/deletion', { as: 'session' }), 200],
    ['GET /api/account/export (a session)', get('/api/account/export', { as: 'session' }), 200],
  ])
  s.refuses('who may export or delete an account', WHO)
  s.refuses('deleting an account', DELETE)
  s.ignores('the deletion preview and the export read and change nothing, whatever the query', [
    ['GET /api/account/deletion?confirm=yes', get('/api/account/deletion?confirm=yes', { as: 'session' })],
    ['GET /api/account/export?all=1', get('/api/account/export?all=1', { as: 'session' })],
  ])
})
