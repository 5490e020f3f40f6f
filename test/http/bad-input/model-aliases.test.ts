import { expect, it } from 'vitest'
import { MODEL_NAME_MAX } from '../../../src/contracts/index.ts'
import { type Build, type Ctx, get, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the model aliases: GET /api/admin/model-aliases,
// PUT and DELETE /api/admin/model-aliases/:alias. (The sweep's server sets no EASEL_MODEL_ALIASES:
// that the environment's aliases cannot be changed here is in test/http/model-aliases.test.ts.)

const URL = '/api/admin/model-aliases'
const put = (alias: string, body: unknown, as: 'admin' | 'me' | 'session' | 'nobody' = 'admin') =>
  send({ method: 'PUT', url: `${URL}/${alias}`, body, as })
const del = (alias: string, as: 'admin' | 'me' | 'session' | 'nobody' = 'admin') =>
  send({ method: 'DELETE', url: `${URL}/${alias}`, as })

/** The aliases the refusals below name: none of them may exist afterwards. */
const REFUSED_ALIASES = [
  'dall-e-3',
  'sketch',
  'gpt-image-1',
  'a%00b',
  'dall e 3',
  'x'.repeat(MODEL_NAME_MAX + 1),
]

const ALIASES: Refusal[] = [
  // Who may.
  ...(
    [
      ['GET', get(URL)],
      ['PUT', put('dall-e-3', { target: 'sketch' }, 'me')],
      ['DELETE', del('dall-e-3', 'me')],
    ] as const
  ).map(([method, request]) => ({
    name: `${method} ${URL}… by a user who is not an administrator`,
    request,
    status: 403,
    message: /only administrators/,
    code: 'FORBIDDEN',
  })),
  {
    name: `PUT ${URL}/dall-e-3 through a browser session that is not an administrator’s`,
    request: put('dall-e-3', { target: 'sketch' }, 'session'),
    status: 403,
    message: /only administrators/,
  },
  ...(
    [
      ['GET', get(URL, { as: 'nobody' })],
      ['PUT', put('dall-e-3', { target: 'sketch' }, 'nobody')],
      ['DELETE', del('dall-e-3', 'nobody')],
    ] as const
  ).map(([method, request]) => ({
    name: `${method} ${URL}… without credentials`,
    request,
    status: 401,
    message: /sign in first/,
    code: 'UNAUTHENTICATED',
  })),

  // The body.
  ...(
    [
      ['no body', undefined, /expected object/],
      ['an empty object', {}, /target: is required/],
      ['target a number', { target: 42 }, /target: /],
      ['target null', { target: null }, /target: /],
      ['target a list', { target: ['sketch'] }, /target: /],
      ['an empty target', { target: '' }, /target: must not be empty/],
      ['a target of spaces', { target: '   ' }, /target: must not be empty/],
      [
        `a target of ${2 * MODEL_NAME_MAX + 1} characters`,
        { target: 's'.repeat(2 * MODEL_NAME_MAX + 1) },
        /target: must be at most 200 characters/,
      ],
      ['a target holding a NUL', { target: 'sketch\u0000' }, /NUL/],
      ['a body that is a list', [{ target: 'sketch' }], /body|object|target/i],
    ] as const
  ).map(([what, body, message]) => ({
    name: `PUT ${URL}/dall-e-3 with ${what}`,
    request: put('dall-e-3', body),
    status: 400,
    message,
  })),
  {
    name: `PUT ${URL}/dall-e-3 with a body that is not JSON`,
    request: send({ method: 'PUT', url: `${URL}/dall-e-3`, raw: '{"target": "sketch"', as: 'admin' }),
    status: 400,
    message: /JSON|body/i,
  },
  {
    name: `PUT ${URL}/dall-e-3 with a body that is form-encoded`,
    request: send({
      method: 'PUT',
      url: `${URL}/dall-e-3`,
      raw: 'target=sketch',
      type: 'application/x-www-form-urlencoded',
      as: 'admin',
    }),
    status: [400, 415],
    message: /content-type|media type|JSON|body/i,
  },

  // What the target names.
  ...(
    [
      [
        'an engine that is not configured',
        'comfyui:sdxl',
        /target: "comfyui" is not a configured engine \(sketch\)/,
      ],
      ['a model the engine does not have', 'sketch:sdxl', /target: sketch has no model "sdxl" \(sketch\)/],
      ['no model after the engine', 'sketch:', /target: names no model of sketch/],
      ['a name that is nothing', 'gpt-image-1', /target: "gpt-image-1" is neither a configured engine/],
      ['another alias', 'dall-e-2', /target: "dall-e-2" is neither a configured engine/],
    ] as const
  ).map(([what, target, message]) => ({
    name: `PUT ${URL}/dall-e-3 to ${what}`,
    request: put('dall-e-3', { target }),
    status: 400,
    message,
    code: 'VALIDATION',
  })),

  // The alias in the path.
  {
    name: `PUT ${URL}/sketch (it would hide the sketch engine)`,
    request: put('sketch', { target: 'sketch' }),
    status: 400,
    message: /alias: the alias is the name of the sketch engine/,
  },
  {
    name: `PUT ${URL}/:alias with an alias holding a space`,
    request: put(encodeURIComponent('dall e 3'), { target: 'sketch' }),
    status: 400,
    message: /alias: the alias must start with a letter or digit and hold only/,
  },
  {
    name: `PUT ${URL}/:alias with an alias starting with a dot`,
    request: put('.hidden', { target: 'sketch' }),
    status: 400,
    message: /alias: the alias must start with a letter or digit/,
  },
  {
    name: `PUT ${URL}/:alias with an alias holding a NUL`,
    request: put('a%00b', { target: 'sketch' }),
    status: 400,
    message: /NUL/,
  },
  {
    name: `PUT ${URL}/:alias with an alias of ${MODEL_NAME_MAX + 1} characters`,
    request: put('x'.repeat(MODEL_NAME_MAX + 1), { target: 'sketch' }),
    status: 400,
    // Fastify's router refuses a path parameter over 100 characters before the schema sees it.
    message: new RegExp(`alias: must be at most ${MODEL_NAME_MAX} characters|exceeding the max param length`),
  },
  {
    name: `PUT ${URL}/:alias with an alias of 4 000 characters`,
    request: put('x'.repeat(4000), { target: 'sketch' }),
    status: [400, 404, 414],
    message: /alias: must be at most|too long|length|no route/i,
  },
  {
    name: `DELETE ${URL}/dall-e-3, which is no alias`,
    request: del('dall-e-3'),
    status: 404,
    message: /no model alias dall-e-3/,
    code: 'NOT_FOUND',
  },
  {
    name: `DELETE ${URL}/sketch, an engine and no alias`,
    request: del('sketch'),
    status: 404,
    message: /no model alias sketch/,
  },
  {
    name: `DELETE ${URL}/:alias with an alias of ${MODEL_NAME_MAX + 1} characters`,
    request: del('x'.repeat(MODEL_NAME_MAX + 1)),
    status: 400,
    message: /alias: must be at most|exceeding the max param length/,
  },

  // Routes that are not there.
  {
    name: `PUT ${URL} without an alias`,
    request: send({ method: 'PUT', url: `${URL}/`, body: { target: 'sketch' }, as: 'admin' }),
    status: [400, 404],
    message: /alias: must not be empty|no route|not found/i,
  },
  ...(['POST', 'PATCH'] as const).map((method) => ({
    name: `${method} ${URL}/dall-e-3 (set with PUT)`,
    request: send({ method, url: `${URL}/dall-e-3`, body: { target: 'sketch' }, as: 'admin' }),
    status: [404, 405],
    message: /no route|not allowed|not found/i,
  })),
  {
    name: `DELETE ${URL} (one alias at a time)`,
    request: send({ method: 'DELETE', url: URL, as: 'admin' }),
    status: [404, 405],
    message: /no route|not allowed|not found/i,
  },
]

/** An alias of the controls' own, set through the store (as another administrator would have). */
const existing =
  (alias: string, then: (alias: string) => Build): Build =>
  async (c: Ctx) => {
    const { aliases, registry } = c.t.server.services
    await aliases.set(alias, 'sketch', { userId: c.f.admin.user.id, label: c.f.admin.email })
    await registry.reloadAliases()
    return then(alias)(c)
  }

sweep((s) => {
  s.accepts([
    ['GET /api/admin/model-aliases', get(URL, { as: 'admin' }), 200],
    ['PUT /api/admin/model-aliases/sweep-control', put('sweep-control', { target: 'sketch' }), 200],
    [
      'PUT /api/admin/model-aliases/sweep-engine to an engine:model',
      put('sweep-engine', { target: 'sketch:sketch' }),
      200,
    ],
    ['DELETE /api/admin/model-aliases/sweep-delete', existing('sweep-delete', (a) => del(a)), 204],
  ])
  s.refuses('model aliases', ALIASES, () => {
    it('no refused request set, changed or removed an alias, or recorded one', async () => {
      const { db, registry } = s.t.current.server.services
      await registry.reloadAliases()
      const names = REFUSED_ALIASES.map((a) => decodeURIComponent(a))
      const rows = await db.kysely.selectFrom('model_aliases').select('alias').execute()
      expect(rows.map((r) => r.alias).filter((a) => names.includes(a))).toEqual([])
      const audit = await db.kysely
        .selectFrom('audit_log')
        .select(['action', 'subject'])
        .where('action', 'in', ['model-alias.set', 'model-alias.delete'])
        .execute()
      expect(audit.filter((e) => names.includes(e.subject))).toEqual([])
      expect(registry.aliases().map((a) => a.alias)).not.toContain('dall-e-3')
    })
  })
  s.ignores('reading the aliases changes nothing, whatever the query', [
    ['GET /api/admin/model-aliases?alias=dall-e-3', get(`${URL}?alias=dall-e-3`, { as: 'admin' })],
  ])
})
