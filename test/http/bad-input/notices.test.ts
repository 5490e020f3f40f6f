import { expect, it } from 'vitest'
import { type Ctx, get, type Refusal, send, signIn } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of /api/account/notices: who may call it, and PUT bodies
// that are not exactly { expiryWarnings: boolean, freeCredits: boolean }.

const URL = '/api/account/notices'
const CHOICE = { expiryWarnings: false, freeCredits: true }

const put = (body: unknown) => send({ method: 'PUT', url: URL, body, as: 'session' })
const putRaw = (raw: string, type?: string) =>
  send({ method: 'PUT', url: URL, raw, as: 'session', ...(type ? { type } : {}) })

const WHO: Refusal[] = [
  ...(
    [
      ['GET', undefined],
      ['PUT', CHOICE],
    ] as const
  ).flatMap(([method, body]): Refusal[] => [
    {
      name: `${method} ${URL} with an API key`,
      request: send({ method, url: URL, body }),
      status: 403,
      message: /API keys cannot read or change which notices an account is mailed/,
      code: 'FORBIDDEN',
    },
    {
      name: `${method} ${URL} signed out`,
      request: send({ method, url: URL, body, as: 'nobody' }),
      status: 401,
      message: /sign in first/,
      code: 'UNAUTHENTICATED',
    },
  ]),
  {
    name: `PUT ${URL} with the session cookie and no x-csrf-token`,
    request: send({ method: 'PUT', url: URL, body: CHOICE, as: 'cookie-without-csrf' }),
    status: 403,
    message: /this request needs the x-csrf-token header/,
    code: 'CSRF',
  },
]

const BODIES: Refusal[] = [
  { name: 'no fields', request: put({}), status: 400, message: /^expiryWarnings: is required/ },
  {
    name: 'no freeCredits',
    request: put({ expiryWarnings: true }),
    status: 400,
    message: /^freeCredits: is required/,
  },
  {
    name: 'no expiryWarnings',
    request: put({ freeCredits: true }),
    status: 400,
    message: /^expiryWarnings: is required/,
  },
  {
    name: 'expiryWarnings as the text "true"',
    request: put({ ...CHOICE, expiryWarnings: 'true' }),
    status: 400,
    message: /^expiryWarnings: must be true or false/,
  },
  {
    name: 'freeCredits as 1',
    request: put({ ...CHOICE, freeCredits: 1 }),
    status: 400,
    message: /^freeCredits: must be true or false/,
  },
  {
    name: 'freeCredits null',
    request: put({ ...CHOICE, freeCredits: null }),
    status: 400,
    message: /^freeCredits: must be true or false/,
  },
  {
    name: 'expiryWarnings as an object',
    request: put({ ...CHOICE, expiryWarnings: { on: true } }),
    status: 400,
    message: /^expiryWarnings: must be true or false/,
  },
  {
    name: 'expiryWarnings as an array',
    request: put({ ...CHOICE, expiryWarnings: [true] }),
    status: 400,
    message: /^expiryWarnings: must be true or false/,
  },
  {
    name: 'an unknown field besides the two',
    request: put({ ...CHOICE, lowBalance: true }),
    status: 400,
    message: /unknown field "lowBalance": the fields are expiryWarnings and freeCredits/,
  },
  {
    name: 'a misspelt field instead of one',
    request: put({ expiryWarning: false, freeCredits: true }),
    status: 400,
    message: /expiryWarning/,
  },
  {
    name: 'a field trying to reach the prototype',
    request: putRaw('{"expiryWarnings":false,"freeCredits":true,"__proto__":{"admin":true}}'),
    status: 400,
    message: /unknown field|__proto__|prototype|not valid JSON/i,
  },
  {
    name: 'an array body',
    request: put([CHOICE]),
    status: 400,
    message: /must be an object with expiryWarnings and freeCredits/,
  },
  {
    name: 'a null body',
    request: putRaw('null'),
    status: 400,
    message: /must be an object with expiryWarnings and freeCredits|body/,
  },
  {
    name: 'a bare boolean body',
    request: putRaw('true'),
    status: 400,
    message: /must be an object with expiryWarnings and freeCredits/,
  },
  {
    name: 'JSON that does not parse',
    request: putRaw('{"expiryWarnings": false,'),
    status: 400,
    message: /json|unexpected|body/i,
  },
  {
    name: 'no body at all',
    request: send({ method: 'PUT', url: URL, as: 'session' }),
    status: [400, 415],
    message: /body|must be an object|content type/i,
  },
  {
    name: 'form-urlencoded',
    request: putRaw('expiryWarnings=false&freeCredits=true', 'application/x-www-form-urlencoded'),
    status: 415,
    message: /content type/i,
  },
].map((r) => ({ ...r, name: `PUT ${URL} with ${r.name}` }))

sweep((s) => {
  s.accepts([
    [`GET ${URL} (a session)`, get(URL, { as: 'session' }), 200],
    [`PUT ${URL} (a session with its CSRF token)`, put(CHOICE), 200],
  ])
  s.refuses('who may read and choose notices', WHO)
  s.refuses('choices of notices that are not two true-or-false fields', BODIES, () => {
    it('leaves the choice as it was: every refused body saves nothing', async () => {
      const server = s.t.current.server
      const user = await s.t.current.user()
      const session = await signIn(s.t.current, user)
      const c = { me: { user, session: async () => session } } as unknown as Ctx
      for (const r of BODIES) {
        const res = await server.app.inject(await r.request(c))
        expect(res.statusCode, r.name).toBeGreaterThanOrEqual(400)
        expect(res.statusCode, r.name).toBeLessThan(500)
      }
      const rows = await server.services.db.kysely
        .selectFrom('notice_preferences')
        .selectAll()
        .where('user_id', '=', user.user.id)
        .execute()
      expect(rows).toEqual([])
      const read = await server.app.inject(await get(URL, { as: 'session' })(c))
      expect(read.json()).toEqual({ expiryWarnings: true, freeCredits: false })
    })
  })
})
