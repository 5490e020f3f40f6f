import { ID_TAIL, inPath, NOT_IDS, pathIdRefusal, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of accounts: sign-in, sign-up, set-up and API keys.

const SESSIONS: Refusal[] = [
  {
    name: 'POST /api/session with no body fields',
    request: post('/api/session', {}, { as: 'nobody' }),
    status: 400,
    message: /^email: is required/,
  },
  {
    name: 'POST /api/session with a number as the email',
    request: post('/api/session', { email: 42, password: 'whatever password' }, { as: 'nobody' }),
    status: 400,
    message: /^email: /,
  },
  {
    name: 'POST /api/session with an email of 255 characters',
    request: post(
      '/api/session',
      { email: `${'a'.repeat(243)}@example.test`, password: 'whatever password' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^email: /,
  },
  {
    name: 'POST /api/session with a password of 201 characters',
    request: post('/api/session', { email: 'a@example.test', password: 'p'.repeat(201) }, { as: 'nobody' }),
    status: 400,
    message: /^password: /,
  },
  {
    name: 'POST /api/session with a wrong password',
    request: async (c) =>
      post('/api/session', { email: c.me.user.email, password: 'not the password' }, { as: 'nobody' })(c),
    status: 401,
    message: /wrong email or password/,
  },
  {
    name: 'POST /api/session with an SQL-looking email',
    request: post(
      '/api/session',
      { email: "' OR '1'='1' --", password: 'whatever password' },
      { as: 'nobody' },
    ),
    status: 401,
    message: /wrong email or password/,
  },
  {
    name: 'POST /api/session form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/session',
      raw: 'email=a%40example.test&password=x',
      type: 'application/x-www-form-urlencoded',
      as: 'nobody',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/signup with an email that is not one',
    request: post(
      '/api/signup',
      { email: 'not-an-email', password: 'a long enough password' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /email: must be an address/,
  },
  {
    name: 'POST /api/signup with a short password',
    request: post('/api/signup', { email: 'new-signup@example.test', password: 'short' }, { as: 'nobody' }),
    status: 400,
    message: /password: must be at least 10 characters/,
  },
  {
    name: 'POST /api/signup with an email already taken',
    request: async (c) =>
      post(
        '/api/signup',
        { email: c.me.user.email, password: 'a long enough password' },
        { as: 'nobody' },
      )(c),
    status: 409,
    message: /email/i,
  },
  {
    name: 'POST /api/signup with an SQL-looking invite code',
    request: post(
      '/api/signup',
      { email: 'invited@example.test', password: 'a long enough password', inviteCode: "' OR '1'='1' --" },
      { as: 'nobody' },
    ),
    status: 403,
    message: /invite code is unknown, used up or expired/,
  },
  {
    name: 'POST /api/signup with an invite code of 201 characters',
    request: post(
      '/api/signup',
      { email: 'invited@example.test', password: 'a long enough password', inviteCode: 'c'.repeat(201) },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^inviteCode: /,
  },
  {
    name: 'POST /api/setup once the installation has its owner',
    request: post(
      '/api/setup',
      { email: 'second-owner@example.test', password: 'a long enough password' },
      { as: 'nobody' },
    ),
    status: 409,
    message: /already/i,
  },
  {
    name: 'POST /api/setup with a number as the password',
    request: post('/api/setup', { email: 'owner@example.test', password: 12345678 }, { as: 'nobody' }),
    status: 400,
    message: /^password: /,
  },
]

const KEYS: Refusal[] = [
  {
    // Keys are managed from a browser session: a key may not mint or revoke keys.
    name: 'POST /api/keys with an API key',
    request: post('/api/keys', { name: 'minted' }),
    status: 403,
    message: /API keys cannot create or revoke API keys/,
  },
  {
    name: 'POST /api/keys with a name of 101 characters',
    request: post('/api/keys', { name: 'n'.repeat(101) }, { as: 'session' }),
    status: 400,
    message: /^name: /,
  },
  {
    name: 'POST /api/keys with a name of spaces',
    request: post('/api/keys', { name: '    ' }, { as: 'session' }),
    status: 400,
    message: /name:? must be 1 to 100 characters/,
  },
  {
    name: 'POST /api/keys with a number as the name',
    request: post('/api/keys', { name: 5 }, { as: 'session' }),
    status: 400,
    message: /^name: /,
  },
  {
    name: 'POST /api/keys with a name with a NUL character',
    request: post('/api/keys', { name: 'ci\u0000key' }, { as: 'session' }),
    status: 400,
    message: /name/,
  },
  ...(
    [
      ['0', 0],
      ['-1', -1],
      ['1.5', 1.5],
      ['"30" (a string)', '30'],
      ['3651', 3651],
    ] as const
  ).map(([what, value]) => ({
    name: `POST /api/keys with expiresInDays ${what}`,
    request: post('/api/keys', { name: 'ci', expiresInDays: value }, { as: 'session' }),
    status: 400,
    message: /^expiresInDays: /,
  })),
  {
    name: 'POST /api/keys with a JSON array',
    request: post('/api/keys', [{ name: 'ci' }], { as: 'session' }),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'POST /api/keys form-urlencoded',
    request: send({
      as: 'session',
      method: 'POST',
      url: '/api/keys',
      raw: 'name=ci',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `DELETE /api/keys/:id with ${what}`,
    request: send({ as: 'session', method: 'DELETE', url: `/api/keys/${inPath(id('key'))}` }),
    ...pathIdRefusal(what, 'key'),
  })),
  {
    name: 'DELETE /api/keys/:id of no key',
    request: send({ as: 'session', method: 'DELETE', url: `/api/keys/key_${ID_TAIL}` }),
    status: 404,
    message: /API key key_/,
  },
]

sweep((s) => {
  s.accepts([
    [
      'POST /api/keys (a session with its CSRF token)',
      post('/api/keys', { name: 'ci' }, { as: 'session' }),
      201,
    ],
  ])
  s.refuses('sign-in, sign-up and set-up', SESSIONS)
  s.refuses('API keys', KEYS)
})
