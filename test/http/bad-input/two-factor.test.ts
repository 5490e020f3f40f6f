import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { totpCode, totpStep } from '../../../src/accounts/totp.ts'
import type { TestServer } from '../../support/server.ts'
import {
  type Build,
  type Ctx,
  type Fixtures,
  get,
  post,
  type Refusal,
  type Session,
  signIn,
} from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of two-factor sign-in: the account's two-factor routes and
// sign-in's `code`. Missing, wrong-typed and oversized fields, garbage codes, the wrong state (on,
// off, no set-up), API keys. Besides what the sweep checks, each refusal leaves the caller's
// two-factor rows as they were.

const BASE = '/api/account/two-factor'
const GARBAGE_CODES = ['abcdef', '12345', '1234567', "' OR '1'='1' --", '💥💥💥💥💥💥', '0000-0000-0000']

/** The caller's two-factor state, to be given in a build before the request is made. */
type State = 'off' | 'pending' | 'on'

/** Brings the caller to `state` through the routes (on: set up, and enabled with the current code). */
async function bring(c: Ctx, state: State): Promise<Session> {
  const session = await c.me.session()
  if (state === 'off') return session
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf }
  const setup = await c.t.server.app.inject({
    method: 'POST',
    url: `${BASE}/setup`,
    headers,
    payload: { password: c.me.user.password },
  })
  expect(setup.statusCode, setup.body).toBe(200)
  if (state === 'pending') return session
  const secret = setup.json().secret as string
  const code = totpCode(secret, totpStep(c.t.server.services.clock.now()))
  const on = await c.t.server.app.inject({
    method: 'POST',
    url: `${BASE}/enable`,
    headers,
    payload: { code },
  })
  expect(on.statusCode, on.body).toBe(200)
  return session
}

/** `build`, sent by a caller brought to `state` first. */
const when =
  (state: State, build: Build): Build =>
  async (c) => {
    await bring(c, state)
    return build(c)
  }

const asSession = { as: 'session' } as const

const TWO_FACTOR: Refusal[] = [
  ...(
    [
      ['GET', BASE],
      ['POST', `${BASE}/setup`],
      ['POST', `${BASE}/enable`],
      ['POST', `${BASE}/disable`],
      ['POST', `${BASE}/recovery-codes`],
    ] as const
  ).map(
    ([method, url]): Refusal => ({
      name: `${method} ${url} with an API key`,
      request:
        method === 'GET'
          ? get(url)
          : async (c) => post(url, { password: c.me.user.password, code: '123456' })(c),
      status: 403,
      message: /API keys cannot manage two-factor sign-in/,
      code: 'FORBIDDEN',
    }),
  ),
  ...(
    [
      ['GET', BASE],
      ['POST', `${BASE}/setup`],
      ['POST', `${BASE}/enable`],
    ] as const
  ).map(
    ([method, url]): Refusal => ({
      name: `${method} ${url} signed out`,
      request:
        method === 'GET' ? get(url, { as: 'nobody' }) : post(url, { code: '123456' }, { as: 'nobody' }),
      status: 401,
      message: /sign/i,
    }),
  ),

  // set-up
  {
    name: 'setup with no body fields',
    request: post(`${BASE}/setup`, {}, asSession),
    status: 400,
    message: /^password: is required/,
  },
  {
    name: 'setup with a number as the password',
    request: post(`${BASE}/setup`, { password: 12345678901 }, asSession),
    status: 400,
    message: /^password: must be text/,
  },
  {
    name: 'setup with a password of 201 characters',
    request: post(`${BASE}/setup`, { password: 'p'.repeat(201) }, asSession),
    status: 400,
    message: /^password: must be at most/,
  },
  {
    name: 'setup with a wrong password',
    request: post(`${BASE}/setup`, { password: 'not the password at all' }, asSession),
    status: 400,
    message: /^password: is not your current password/,
  },
  {
    name: 'setup with a JSON array',
    request: post(`${BASE}/setup`, [{ password: 'x' }], asSession),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'setup when two-factor sign-in is on already',
    request: when('on', async (c) => post(`${BASE}/setup`, { password: c.me.user.password }, asSession)(c)),
    status: 409,
    message: /already on/,
  },

  // enable
  {
    name: 'enable with no body fields',
    request: post(`${BASE}/enable`, {}, asSession),
    status: 400,
    message: /^code: is required/,
  },
  {
    name: 'enable with a number as the code',
    request: when('pending', post(`${BASE}/enable`, { code: 123456 }, asSession)),
    status: 400,
    message: /^code: must be text/,
  },
  {
    name: 'enable with a code of 41 characters',
    request: when('pending', post(`${BASE}/enable`, { code: '1'.repeat(41) }, asSession)),
    status: 400,
    message: /^code: must be at most 40 characters/,
  },
  {
    name: 'enable with an empty code',
    request: when('pending', post(`${BASE}/enable`, { code: '   ' }, asSession)),
    status: 400,
    message: /^code: is required/,
  },
  ...GARBAGE_CODES.map(
    (code): Refusal => ({
      name: `enable with the code ${JSON.stringify(code)}`,
      request: when('pending', post(`${BASE}/enable`, { code }, asSession)),
      status: 400,
      message: /^code: is not a current code/,
    }),
  ),
  {
    name: 'enable with no set-up started',
    request: post(`${BASE}/enable`, { code: '123456' }, asSession),
    status: 409,
    message: /no two-factor set-up is waiting/,
  },
  {
    name: 'enable when it is on already',
    request: when('on', post(`${BASE}/enable`, { code: '123456' }, asSession)),
    status: 409,
    message: /already on/,
  },

  // disable and new recovery codes
  ...(['disable', 'recovery-codes'] as const).flatMap((route): Refusal[] => {
    const url = `${BASE}/${route}`
    return [
      {
        name: `${route} with no body fields`,
        request: when('on', post(url, {}, asSession)),
        status: 400,
        message: /^password: is required/,
      },
      {
        name: `${route} without a code`,
        request: when('on', async (c) => post(url, { password: c.me.user.password }, asSession)(c)),
        status: 400,
        message: /^code: is required/,
      },
      {
        name: `${route} with an object as the code`,
        request: when('on', async (c) =>
          post(url, { password: c.me.user.password, code: { $ne: '' } }, asSession)(c),
        ),
        status: 400,
        message: /^code: must be text/,
      },
      {
        name: `${route} with a code of 10 000 characters`,
        request: when('on', async (c) =>
          post(url, { password: c.me.user.password, code: '9'.repeat(10_000) }, asSession)(c),
        ),
        status: 400,
        message: /^code: must be at most 40 characters/,
      },
      {
        name: `${route} with a wrong password`,
        request: when('on', post(url, { password: 'not the password at all', code: '123456' }, asSession)),
        status: 400,
        message: /^password: is not your current password/,
      },
      ...GARBAGE_CODES.map(
        (code): Refusal => ({
          name: `${route} with the code ${JSON.stringify(code)}`,
          request: when('on', async (c) => post(url, { password: c.me.user.password, code }, asSession)(c)),
          status: 400,
          message: /^code: is not a current code/,
        }),
      ),
      {
        name: `${route} when two-factor sign-in is off`,
        request: async (c) => post(url, { password: c.me.user.password, code: '123456' }, asSession)(c),
        status: 409,
        message: /not on/,
      },
    ]
  }),

  // sign-in's code
  {
    name: 'POST /api/session with a number as the code',
    request: async (c) =>
      post(
        '/api/session',
        { email: c.me.user.email, password: c.me.user.password, code: 123456 },
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /^code: must be text/,
  },
  {
    name: 'POST /api/session with a code of 41 characters',
    request: async (c) =>
      post(
        '/api/session',
        { email: c.me.user.email, password: c.me.user.password, code: '1'.repeat(41) },
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /^code: must be at most 40 characters/,
  },
  {
    name: 'POST /api/session with two-factor sign-in on and no code',
    request: when('on', async (c) =>
      post('/api/session', { email: c.me.user.email, password: c.me.user.password }, { as: 'nobody' })(c),
    ),
    status: 401,
    message: /code from your authenticator app/,
  },
  ...GARBAGE_CODES.map(
    (code): Refusal => ({
      name: `POST /api/session with two-factor sign-in on and the code ${JSON.stringify(code)}`,
      request: when('on', async (c) =>
        post(
          '/api/session',
          { email: c.me.user.email, password: c.me.user.password, code },
          { as: 'nobody' },
        )(c),
      ),
      status: 401,
      message: /that code is not right/,
    }),
  ),
  {
    name: 'POST /api/session with two-factor sign-in on, a wrong password and a code',
    request: when('on', async (c) =>
      post(
        '/api/session',
        { email: c.me.user.email, password: 'not the password at all', code: '123456' },
        { as: 'nobody' },
      )(c),
    ),
    status: 401,
    message: /^wrong email or password$/,
  },
]

/** The caller's two-factor rows, as the database has them. */
async function rowsOf(t: TestServer, userId: string) {
  const db = t.server.services.db.kysely
  const factor = await sql`select * from two_factor where user_id = ${userId}`.execute(db)
  const codes =
    await sql`select * from two_factor_recovery_codes where user_id = ${userId} order by code_hash`.execute(
      db,
    )
  return { factor: factor.rows, codes: codes.rows }
}

sweep((s) => {
  s.accepts([
    ['GET /api/account/two-factor (a session)', get(BASE, asSession), 200],
    [
      'POST /api/account/two-factor/setup (a session, its password)',
      async (c) => post(`${BASE}/setup`, { password: c.me.user.password }, asSession)(c),
      200,
    ],
  ])
  s.refuses('two-factor sign-in', TWO_FACTOR, () => {
    it('each refusal leaves the caller’s two-factor rows as they were', async () => {
      const t = s.t.current
      for (const r of TWO_FACTOR) {
        const user = await t.user({ credits: 5 })
        let session: Promise<Session> | undefined
        const c: Ctx = { me: { user, session: () => (session ??= signIn(t, user)) }, f: {} as Fixtures, t }
        const request = await r.request(c)
        const before = await rowsOf(t, user.user.id)
        const res = await t.server.app.inject(request)
        expect(res.statusCode, r.name).toBeGreaterThanOrEqual(400)
        expect(await rowsOf(t, user.user.id), r.name).toEqual(before)
      }
    })
  })
})
