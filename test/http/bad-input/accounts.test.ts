import { expect } from 'vitest'
import { publicSessionId, sessionId } from '../../../src/accounts/sessions.ts'
import { randomToken, sha256Hex } from '../../../src/accounts/tokens.ts'
import {
  CHANGE_EMAIL,
  CHANGE_PASSWORD,
  type Ctx,
  get,
  ID_TAIL,
  inPath,
  NOT_IDS,
  pathIdRefusal,
  post,
  type Refusal,
  send,
  signIn,
  UNKNOWN_TOKEN,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of accounts: sign-in, sign-up, set-up, API keys, the
// account's security (password reset, password and email changes, sessions), email verification,
// and the administrators' sign-up routes (how sign-up works, closing a cohort).

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

let resets = 0

/** A reset link mailed to the subject (asked from an address of its own: the per-address limit is not under test). */
async function mailedResetToken(c: Ctx): Promise<string> {
  const asked = await c.t.server.app.inject({
    method: 'POST',
    url: '/api/password-reset',
    remoteAddress: `198.18.${++resets >> 8}.${resets & 255}`,
    payload: { email: c.me.user.email },
  })
  expect(asked.statusCode, asked.body).toBe(202)
  const mail = await c.t.server.services.db.kysely
    .selectFrom('mail_outbox')
    .select('text_body')
    .where('to_address', '=', c.me.user.email)
    .where('kind', '=', 'password-reset')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow()
  return /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text_body)![1]!
}

const PASSWORD_RESET: Refusal[] = [
  {
    name: 'POST /api/password-reset with no body fields',
    request: post('/api/password-reset', {}, { as: 'nobody' }),
    status: 400,
    message: /^email: is required/,
  },
  {
    name: 'POST /api/password-reset with a number as the email',
    request: post('/api/password-reset', { email: 42 }, { as: 'nobody' }),
    status: 400,
    message: /^email: must be text/,
  },
  {
    name: 'POST /api/password-reset with an email of 255 characters',
    request: post('/api/password-reset', { email: `${'a'.repeat(243)}@example.test` }, { as: 'nobody' }),
    status: 400,
    message: /^email: must be at most 254 characters/,
  },
  {
    name: 'POST /api/password-reset with an email that is not one',
    request: post('/api/password-reset', { email: "' OR '1'='1' --" }, { as: 'nobody' }),
    status: 400,
    message: /^email: must be an address/,
  },
  {
    name: 'POST /api/password-reset with an email with a NUL character',
    request: post('/api/password-reset', { email: 'ada\u0000@example.test' }, { as: 'nobody' }),
    status: 400,
    message: /email/,
  },
  {
    name: 'POST /api/password-reset with a JSON array',
    request: post('/api/password-reset', [{ email: 'ada@example.test' }], { as: 'nobody' }),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'POST /api/password-reset form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/password-reset',
      raw: 'email=ada%40example.test',
      type: 'application/x-www-form-urlencoded',
      as: 'nobody',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/password-reset/confirm with no body fields',
    request: post('/api/password-reset/confirm', {}, { as: 'nobody' }),
    status: 400,
    message: /^token: is required/,
  },
  {
    name: 'POST /api/password-reset/confirm with an empty token',
    request: post(
      '/api/password-reset/confirm',
      { token: '', password: 'a brand new passphrase' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^token: is required/,
  },
  {
    name: 'POST /api/password-reset/confirm with a token of 201 characters',
    request: post(
      '/api/password-reset/confirm',
      { token: 't'.repeat(201), password: 'a brand new passphrase' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^token: must be at most 200 characters/,
  },
  ...(
    [
      ['an unknown token', UNKNOWN_TOKEN],
      ['an SQL-looking token', "' OR '1'='1' --"],
      ['a token that is the hash of nothing', 'f'.repeat(64)],
    ] as const
  ).map(
    ([what, token]): Refusal => ({
      name: `POST /api/password-reset/confirm with ${what}`,
      request: post(
        '/api/password-reset/confirm',
        { token, password: 'a brand new passphrase' },
        { as: 'nobody' },
      ),
      status: 400,
      message: /^token: this password reset link is not valid: it is unknown, already used or expired/,
      code: 'VALIDATION',
    }),
  ),
  {
    name: 'POST /api/password-reset/confirm with a token already used',
    request: async (c) => {
      const token = await mailedResetToken(c)
      const used = await c.t.server.app.inject({
        method: 'POST',
        url: '/api/password-reset/confirm',
        payload: { token, password: 'the first new passphrase' },
      })
      expect(used.statusCode, used.body).toBe(204)
      return post(
        '/api/password-reset/confirm',
        { token, password: 'a brand new passphrase' },
        { as: 'nobody' },
      )(c)
    },
    status: 400,
    message: /^token: this password reset link is not valid/,
  },
  {
    name: 'POST /api/password-reset/confirm with a number as the password',
    request: post(
      '/api/password-reset/confirm',
      { token: UNKNOWN_TOKEN, password: 12345678901 },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^password: must be text/,
  },
  {
    name: 'POST /api/password-reset/confirm with a password of 201 characters',
    request: post(
      '/api/password-reset/confirm',
      { token: UNKNOWN_TOKEN, password: 'p'.repeat(201) },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^password: must be at most 200 characters/,
  },
  {
    name: 'POST /api/password-reset/confirm with a good token and a short password',
    request: async (c) =>
      post(
        '/api/password-reset/confirm',
        { token: await mailedResetToken(c), password: 'short' },
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /^password: must be at least 10 characters/,
  },
  {
    name: 'POST /api/password-reset/confirm with a good token and a common password',
    request: async (c) =>
      post(
        '/api/password-reset/confirm',
        { token: await mailedResetToken(c), password: 'Password12' },
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /^password: is one of the 10,000 most common passwords/,
  },
]

/** Each of the signed-in person's account routes, refused to an API key, to nobody, and without CSRF. */
const ACCOUNT_WRITES = [
  ['POST', '/api/account/password', CHANGE_PASSWORD],
  ['POST', '/api/account/email', CHANGE_EMAIL],
  ['POST', '/api/account/sessions/sign-out-everywhere', undefined],
  ['DELETE', `/api/account/sessions/sess_${ID_TAIL}`, undefined],
] as const

const ACCOUNT: Refusal[] = [
  ...[...ACCOUNT_WRITES, ['GET', '/api/account/sessions', undefined] as const].flatMap(
    ([method, url, body]): Refusal[] => [
      {
        name: `${method} ${url} with an API key`,
        request: send({ method, url, body }),
        status: 403,
        message: /API keys cannot change an account's password, email or sessions/,
        code: 'FORBIDDEN',
      },
      {
        name: `${method} ${url} signed out`,
        request: send({ method, url, body, as: 'nobody' }),
        status: 401,
        message: /sign in first/,
        code: 'UNAUTHENTICATED',
      },
    ],
  ),
  ...ACCOUNT_WRITES.map(
    ([method, url, body]): Refusal => ({
      name: `${method} ${url} with the session cookie and no x-csrf-token`,
      request: send({ method, url, body, as: 'cookie-without-csrf' }),
      status: 403,
      message: /this request needs the x-csrf-token header/,
      code: 'CSRF',
    }),
  ),
  {
    name: 'POST /api/account/password with no body fields',
    request: post('/api/account/password', {}, { as: 'session' }),
    status: 400,
    message: /^currentPassword: is required/,
  },
  {
    name: 'POST /api/account/password with a number as the new password',
    request: post(
      '/api/account/password',
      { ...CHANGE_PASSWORD, newPassword: 12345678901 },
      { as: 'session' },
    ),
    status: 400,
    message: /^newPassword: must be text/,
  },
  {
    name: 'POST /api/account/password with a new password of 201 characters',
    request: post(
      '/api/account/password',
      { ...CHANGE_PASSWORD, newPassword: 'n'.repeat(201) },
      { as: 'session' },
    ),
    status: 400,
    message: /^newPassword: must be at most 200 characters/,
  },
  {
    name: 'POST /api/account/password with a short new password',
    request: post('/api/account/password', { ...CHANGE_PASSWORD, newPassword: 'short' }, { as: 'session' }),
    status: 400,
    message: /^newPassword: must be at least 10 characters/,
  },
  {
    name: 'POST /api/account/password with a wrong current password',
    request: post(
      '/api/account/password',
      { ...CHANGE_PASSWORD, currentPassword: 'not my password' },
      { as: 'session' },
    ),
    status: 400,
    message: /^currentPassword: is not your current password/,
  },
  {
    name: 'POST /api/account/password with an empty current password',
    request: post('/api/account/password', { ...CHANGE_PASSWORD, currentPassword: '' }, { as: 'session' }),
    status: 400,
    message: /^currentPassword: is required/,
  },
  {
    name: 'POST /api/account/password form-urlencoded',
    request: send({
      as: 'session',
      method: 'POST',
      url: '/api/account/password',
      raw: 'currentPassword=x&newPassword=y',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/account/email with no body fields',
    request: post('/api/account/email', {}, { as: 'session' }),
    status: 400,
    message: /^email: is required/,
  },
  {
    name: 'POST /api/account/email with an email that is not one',
    request: post('/api/account/email', { ...CHANGE_EMAIL, email: 'not-an-email' }, { as: 'session' }),
    status: 400,
    message: /^email: must be an address/,
  },
  {
    name: 'POST /api/account/email with an email of 255 characters',
    request: post(
      '/api/account/email',
      { ...CHANGE_EMAIL, email: `${'a'.repeat(243)}@example.test` },
      { as: 'session' },
    ),
    status: 400,
    message: /^email: must be at most 254 characters/,
  },
  {
    name: 'POST /api/account/email with the email it already has',
    request: async (c) =>
      post(
        '/api/account/email',
        { ...CHANGE_EMAIL, email: c.me.user.email.toUpperCase() },
        { as: 'session' },
      )(c),
    status: 400,
    message: /^email: is already your email/,
  },
  {
    name: 'POST /api/account/email with a wrong password',
    request: post('/api/account/email', { ...CHANGE_EMAIL, password: 'not my password' }, { as: 'session' }),
    status: 400,
    message: /^password: is not your current password/,
  },
  {
    name: 'POST /api/account/email with no password',
    request: post('/api/account/email', { email: CHANGE_EMAIL.email }, { as: 'session' }),
    status: 400,
    message: /^password: is required/,
  },
  {
    name: 'POST /api/account/email/confirm with no body fields',
    request: post('/api/account/email/confirm', {}, { as: 'nobody' }),
    status: 400,
    message: /^token: is required/,
  },
  {
    name: 'POST /api/account/email/confirm with a number as the token',
    request: post('/api/account/email/confirm', { token: 42 }, { as: 'nobody' }),
    status: 400,
    message: /^token: must be text/,
  },
  {
    name: 'POST /api/account/email/confirm with a token of 201 characters',
    request: post('/api/account/email/confirm', { token: 't'.repeat(201) }, { as: 'nobody' }),
    status: 400,
    message: /^token: must be at most 200 characters/,
  },
  {
    name: 'POST /api/account/email/confirm with an unknown token',
    request: post('/api/account/email/confirm', { token: UNKNOWN_TOKEN }, { as: 'session' }),
    status: 400,
    message: /^token: this email confirmation link is not valid/,
  },
  {
    name: 'POST /api/account/email/confirm with a password-reset token',
    request: async (c) =>
      post('/api/account/email/confirm', { token: await mailedResetToken(c) }, { as: 'nobody' })(c),
    status: 400,
    message: /^token: this email confirmation link is not valid/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `DELETE /api/account/sessions/:id with ${what}`,
    request: send({ as: 'session', method: 'DELETE', url: `/api/account/sessions/${inPath(id('sess'))}` }),
    ...pathIdRefusal(what, 'sess'),
  })),
  {
    name: 'DELETE /api/account/sessions/:id of no session',
    request: send({ as: 'session', method: 'DELETE', url: `/api/account/sessions/sess_${ID_TAIL}` }),
    status: 404,
    message: /no session sess_/,
    code: 'NOT_FOUND',
  },
  {
    name: 'DELETE /api/account/sessions/:id of another user’s session',
    request: async (c) => {
      const theirs = await signIn(c.t, c.f.other)
      const id = publicSessionId(sessionId(theirs.cookie.slice('easel_session='.length)))
      return send({ as: 'session', method: 'DELETE', url: `/api/account/sessions/${id}` })(c)
    },
    status: 404,
    message: /no session sess_/,
    code: 'NOT_FOUND',
  },
]

/**
 * A verification token of the subject's, written as sign-up would store it (the sweep's server has
 * mail off, so no sign-up mails one): used or expired, as asked.
 */
async function storedVerificationToken(c: Ctx, state: 'used' | 'expired'): Promise<string> {
  const token = randomToken(32)
  const now = c.t.server.services.clock.now()
  await c.t.server.services.db.kysely
    .insertInto('account_tokens')
    .values({
      token_hash: sha256Hex(token),
      purpose: 'verify-email',
      user_id: c.me.user.user.id,
      email: c.me.user.email,
      created_at: now - 2 * 86_400_000,
      expires_at: state === 'expired' ? now - 86_400_000 : now + 86_400_000,
      used_at: state === 'used' ? now - 3_600_000 : null,
    })
    .execute()
  return token
}

const VERIFICATION: Refusal[] = [
  {
    name: 'POST /api/verify-email with no body fields',
    request: post('/api/verify-email', {}, { as: 'nobody' }),
    status: 400,
    message: /^token: is required/,
  },
  {
    name: 'POST /api/verify-email with a number as the token',
    request: post('/api/verify-email', { token: 42 }, { as: 'nobody' }),
    status: 400,
    message: /^token: must be text/,
  },
  {
    name: 'POST /api/verify-email with a token of 201 characters',
    request: post('/api/verify-email', { token: 't'.repeat(201) }, { as: 'nobody' }),
    status: 400,
    message: /^token: must be at most 200 characters/,
  },
  {
    name: 'POST /api/verify-email with a token with a NUL character',
    request: post(
      '/api/verify-email',
      { token: `${'A'.repeat(20)}\u0000${'A'.repeat(22)}` },
      { as: 'nobody' },
    ),
    status: 400,
    message: /token/,
  },
  {
    name: 'POST /api/verify-email with a JSON array',
    request: post('/api/verify-email', [{ token: UNKNOWN_TOKEN }], { as: 'nobody' }),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'POST /api/verify-email form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/verify-email',
      raw: `token=${UNKNOWN_TOKEN}`,
      type: 'application/x-www-form-urlencoded',
      as: 'nobody',
    }),
    status: 415,
    message: /content type/i,
  },
  ...(
    [
      ['an unknown token', UNKNOWN_TOKEN],
      ['an SQL-looking token', "' OR '1'='1' --"],
      ['a token that is the hash of nothing', 'f'.repeat(64)],
    ] as const
  ).map(
    ([what, token]): Refusal => ({
      name: `POST /api/verify-email with ${what}`,
      request: post('/api/verify-email', { token }, { as: 'nobody' }),
      status: 400,
      message: /^token: this email verification link is not valid: it is unknown, already used or expired/,
      code: 'VALIDATION',
    }),
  ),
  ...(['used', 'expired'] as const).map(
    (state): Refusal => ({
      name: `POST /api/verify-email with a token ${state === 'used' ? 'already used' : 'that expired'}`,
      request: async (c) =>
        post('/api/verify-email', { token: await storedVerificationToken(c, state) }, { as: 'session' })(c),
      status: 400,
      message: /^token: this email verification link is not valid/,
      code: 'VALIDATION',
    }),
  ),
  {
    name: 'POST /api/verify-email with a password-reset token',
    request: async (c) =>
      post('/api/verify-email', { token: await mailedResetToken(c) }, { as: 'nobody' })(c),
    status: 400,
    message: /^token: this email verification link is not valid/,
  },
  {
    name: 'POST /api/verify-email/resend signed out',
    request: send({ method: 'POST', url: '/api/verify-email/resend', as: 'nobody' }),
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'POST /api/verify-email/resend with the session cookie and no x-csrf-token',
    request: send({ method: 'POST', url: '/api/verify-email/resend', as: 'cookie-without-csrf' }),
    status: 403,
    message: /this request needs the x-csrf-token header/,
    code: 'CSRF',
  },
  {
    name: 'POST /api/verify-email/resend for an email verified already',
    request: send({ method: 'POST', url: '/api/verify-email/resend', as: 'session' }),
    status: 409,
    message: /your email is verified already/,
    code: 'CONFLICT',
  },
]

/** The administrators' sign-up routes (the rest of administration is swept in admin.test.ts). */
const SIGN_UP_ADMIN: Refusal[] = [
  {
    name: 'GET /api/admin/sign-up as a user who is not an administrator',
    request: get('/api/admin/sign-up'),
    status: 403,
    message: /administrator/i,
    code: 'FORBIDDEN',
  },
  {
    name: 'POST /api/admin/cohorts/:cohort/close as a user who is not an administrator',
    request: send({ method: 'POST', url: '/api/admin/cohorts/beta/close' }),
    status: 403,
    message: /administrator/i,
    code: 'FORBIDDEN',
  },
  {
    name: 'POST /api/admin/cohorts/:cohort/close with the session cookie and no x-csrf-token',
    request: send({ method: 'POST', url: '/api/admin/cohorts/beta/close', as: 'cookie-without-csrf' }),
    status: 403,
    message: /this request needs the x-csrf-token header/,
    code: 'CSRF',
  },
  ...(
    [
      ['a capital letter', 'Beta'],
      ['an SQL-looking name', "beta'; drop table price_books; --"],
      ['a path traversal', '../../etc/passwd'],
      ['unicode', 'bêta✓'],
      ['41 characters', `b${'e'.repeat(40)}`],
    ] as const
  ).map(
    ([what, cohort]): Refusal => ({
      name: `POST /api/admin/cohorts/:cohort/close with ${what}`,
      request: send({ method: 'POST', url: `/api/admin/cohorts/${inPath(cohort)}/close`, as: 'admin' }),
      status: [400, 404],
      message: /cohort: must be 1 to 40 lower-case letters|no route/,
    }),
  ),
  {
    name: 'POST /api/admin/cohorts/:cohort/close of a cohort the book does not have',
    request: send({ method: 'POST', url: '/api/admin/cohorts/gamma/close', as: 'admin' }),
    status: 404,
    message: /has no cohort "gamma"/,
    code: 'NOT_FOUND',
  },
  {
    name: 'PATCH /api/admin/users/:id with emailVerified false',
    request: async (c) =>
      send({
        method: 'PATCH',
        url: `/api/admin/users/${c.me.user.user.id}`,
        body: { emailVerified: false },
        as: 'admin',
      })(c),
    status: 400,
    message: /^emailVerified: /,
  },
  {
    name: 'PATCH /api/admin/users/:id with emailVerified "yes"',
    request: async (c) =>
      send({
        method: 'PATCH',
        url: `/api/admin/users/${c.me.user.user.id}`,
        body: { emailVerified: 'yes' },
        as: 'admin',
      })(c),
    status: 400,
    message: /^emailVerified: /,
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
  s.accepts([
    [
      'POST /api/password-reset (anyone, any address)',
      post('/api/password-reset', { email: 'someone@example.test' }, { as: 'nobody' }),
      202,
    ],
    ['GET /api/account/sessions (a session)', get('/api/account/sessions', { as: 'session' }), 200],
    ['GET /api/admin/sign-up (an administrator)', get('/api/admin/sign-up', { as: 'admin' }), 200],
  ])
  s.refuses('sign-in, sign-up and set-up', SESSIONS)
  s.refuses('API keys', KEYS)
  s.refuses('password reset', PASSWORD_RESET)
  s.refuses('the account’s password, email and sessions', ACCOUNT)
  s.refuses('email verification', VERIFICATION)
  s.refuses('the administrators’ sign-up routes', SIGN_UP_ADMIN)
  s.ignores('how sign-up works reads and changes nothing, whatever the query', [
    ['GET /api/admin/sign-up?signup=closed', get('/api/admin/sign-up?signup=closed', { as: 'admin' })],
  ])
})
