import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConfigError, loadConfig } from '../../src/config.ts'
import {
  AuditPage,
  ImagesResponse,
  JobsPage,
  ModelAliasBody,
  ModelAliasesBody,
  ModelsList,
} from '../../src/contracts/index.ts'
import { LABS_2022, validateBook } from '../../src/credits/index.ts'
import { pngInfo } from '../../src/images/png.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// Model aliases (issue 13): other names a request may give as `model`, from EASEL_MODEL_ALIASES
// (fixed) or set by an administrator through /api/admin/model-aliases (audited). A job through an
// alias is the target's job: recorded, priced and charged as the model it reaches.

/** labs-2022, but the openai engine's gpt-image-1-mini costs 3 credits a generation. */
const BY_MODEL = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'labs-2022-by-model',
    effectiveFrom: undefined,
    operations: {
      ...LABS_2022.operations,
      generate: {
        imagesReturned: 4,
        parameters: { model: {} },
        rules: [
          { id: 'generate-mini', when: { model: 'gpt-image-1-mini' }, credits: 3 },
          { id: 'generate', credits: 1 },
        ],
      },
    },
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe('EASEL_MODEL_ALIASES is checked at start-up, every problem at once', () => {
  const env = (aliases: string) => ({
    DATABASE_URL: 'sqlite::memory:',
    EASEL_OPENAI_API_KEY: 'sk-x',
    EASEL_OPENAI_MODELS: 'gpt-image-1-mini,dall-e-3',
    EASEL_MODEL_ALIASES: aliases,
  })

  it('reads alias=engine:model, alias=engine and alias=model', () => {
    const config = loadConfig(
      env('gpt-image-1=openai:gpt-image-1-mini, dall-e-2=sketch ,dall-e-3-hd=dall-e-3'),
    )
    expect(config.engines.aliases).toEqual([
      { alias: 'gpt-image-1', target: 'openai:gpt-image-1-mini' },
      { alias: 'dall-e-2', target: 'sketch' },
      { alias: 'dall-e-3-hd', target: 'dall-e-3' },
    ])
  })

  it('refuses unknown engines and models, a name given twice, one that hides a model, and entries without =', () => {
    let error: ConfigError | undefined
    try {
      loadConfig(
        env(
          'x=comfyui:sdxl,a=openai:gpt-image-9,b=nothing,c=sketch,c=sketch,sketch=openai,dall-e-3=dall-e-3,d',
        ),
      )
    } catch (e) {
      error = e as ConfigError
    }
    expect(error?.name).toBe('ConfigError')
    expect(error?.problems).toEqual([
      expect.stringMatching(/"x=comfyui:sdxl": "comfyui" is not a configured engine \(sketch, openai\)/),
      expect.stringMatching(/"a=openai:gpt-image-9": openai has no model "gpt-image-9"/),
      expect.stringMatching(
        /"b=nothing": "nothing" is neither a configured engine .* nor one of their models/,
      ),
      expect.stringMatching(/"c=sketch": c is given more than once/),
      expect.stringMatching(/"sketch=openai": the alias is the name of the sketch engine/),
      expect.stringMatching(/"dall-e-3=dall-e-3": the alias is a model of the openai engine already/),
      expect.stringMatching(/"d": must be alias=engine:model, alias=engine or alias=model/),
    ])
  })
})

describe.each(BACKENDS)('model aliases (%s)', (backend) => {
  let upstream: FakeOpenAi
  let t: TestServer
  let admin: TestUser
  beforeAll(async () => {
    upstream = await startFakeOpenAi({ apiKey: 'sk-upstream' })
    t = await startTestServer(backend, {
      env: {
        EASEL_OPENAI_API_KEY: 'sk-upstream',
        EASEL_OPENAI_BASE_URL: upstream.url,
        EASEL_OPENAI_MODELS: 'gpt-image-1-mini',
        EASEL_MODEL_ALIASES: 'gpt-image-1=openai:gpt-image-1-mini,dall-e-2=sketch',
      },
    })
    const activated = await t.server.services.pricing.activate(BY_MODEL, 'now')
    if (!activated.ok) throw new Error(activated.error.message)
    admin = await t.user({ role: 'admin' })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await upstream?.close()
  })

  const call = async (
    user: TestUser | null,
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    url: string,
    body?: object,
  ) =>
    Reply.injected(
      await t.server.app.inject({
        method,
        url,
        headers: user ? { authorization: `Bearer ${user.apiKey}` } : {},
        ...(body === undefined ? {} : { payload: body }),
      }),
    )
  const aliasesOf = async () => (await call(admin, 'GET', '/api/admin/model-aliases')).as(ModelAliasesBody)
  const audited = async (subject: string) =>
    (await call(admin, 'GET', `/api/admin/audit?subject=${encodeURIComponent(subject)}`)).as(AuditPage)
      .entries
  const modelIds = async (user: TestUser) =>
    (await call(user, 'GET', '/v1/models')).as(ModelsList).data.map((m) => [m.id, m.owned_by])
  const generate = (user: TestUser, body: object) =>
    call(user, 'POST', '/v1/images/generations', {
      prompt: 'a lighthouse at dusk',
      n: 1,
      size: '256x256',
      ...body,
    })
  const lastJob = async (user: TestUser) =>
    (await call(user, 'GET', '/api/jobs?limit=1')).as(JobsPage).jobs[0]!
  const available = async (user: TestUser) => {
    const b = await t.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return b.value.available
  }

  it('lists the aliases of the environment as fixed, with what they reach, and the targets an alias may name', async () => {
    const body = await aliasesOf()
    expect(body.aliases).toEqual([
      {
        alias: 'gpt-image-1',
        target: 'openai:gpt-image-1-mini',
        engine: 'openai',
        model: 'gpt-image-1-mini',
        fixed: true,
        updatedAt: null,
        updatedBy: null,
      },
      {
        alias: 'dall-e-2',
        target: 'sketch',
        engine: 'sketch',
        model: 'sketch',
        fixed: true,
        updatedAt: null,
        updatedBy: null,
      },
    ])
    expect(body.targets).toEqual(['sketch:sketch', 'openai:gpt-image-1-mini'])
  })

  it('/v1/models lists every engine model, then every alias, owned by the engine it reaches', async () => {
    const user = await t.user()
    expect(await modelIds(user)).toEqual([
      ['sketch', 'easel:sketch'],
      ['gpt-image-1-mini', 'easel:openai'],
      ['gpt-image-1', 'easel:openai'],
      ['dall-e-2', 'easel:sketch'],
    ])
  })

  it('a job through an alias is the target’s: run by its engine, recorded and charged as its model', async () => {
    const user = await t.user({ credits: 10 })
    const before = upstream.requests.length
    const viaMini = await generate(user, { model: 'gpt-image-1', size: '1024x1024' })
    expect(viaMini.status, viaMini.text.slice(0, 300)).toBe(200)
    expect(viaMini.headers.get('x-credits-charged')).toBe('3')
    expect(upstream.requests.slice(before).map((r) => r.json?.model)).toEqual(['gpt-image-1-mini'])
    expect(await lastJob(user)).toMatchObject({
      engine: 'openai',
      model: 'gpt-image-1-mini',
      creditsQuoted: 3,
      creditsCharged: 3,
      bookVersion: 'labs-2022-by-model',
    })

    const viaSketch = await generate(user, { model: 'dall-e-2' })
    expect(viaSketch.status).toBe(200)
    expect(viaSketch.headers.get('x-credits-charged')).toBe('1')
    expect(await lastJob(user)).toMatchObject({ engine: 'sketch', model: 'sketch', creditsCharged: 1 })
    expect(upstream.requests.length).toBe(before + 1)
    expect(await available(user)).toBe(6)
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  })

  it('answers b64_json for an alias named like a gpt-image model when response_format is absent, url otherwise', async () => {
    const user = await t.user({ credits: 20 })
    const gptDefault = (await generate(user, { model: 'gpt-image-1', size: '1024x1024' })).as(ImagesResponse)
    expect(gptDefault.data).toHaveLength(1)
    expect(gptDefault.data[0]).not.toHaveProperty('url')
    expect(pngInfo(Buffer.from(gptDefault.data[0]!.b64_json!, 'base64'))).toMatchObject({ width: 1024 })

    const gptUrl = (
      await generate(user, { model: 'gpt-image-1', size: '1024x1024', response_format: 'url' })
    ).as(ImagesResponse)
    expect(gptUrl.data[0]!.url).toMatch(/\/files\/images\/img_/)
    expect(gptUrl.data[0]).not.toHaveProperty('b64_json')

    const dallDefault = (await generate(user, { model: 'dall-e-2' })).as(ImagesResponse)
    expect(dallDefault.data[0]!.url).toMatch(/\/files\/images\/img_/)
    const dallB64 = (await generate(user, { model: 'dall-e-2', response_format: 'b64_json' })).as(
      ImagesResponse,
    )
    expect(pngInfo(Buffer.from(dallB64.data[0]!.b64_json!, 'base64'))).toMatchObject({ width: 256 })
  })

  it('an administrator sets, changes and removes an alias; each change is audited and takes effect at once', async () => {
    const user = await t.user({ credits: 10 })
    const refused = await generate(user, { model: 'dall-e-3' })
    expect(refused.status).toBe(400)
    expect(refused.openAiError).toMatchObject({ param: 'model' })
    expect(refused.openAiError.message).toMatch(/"dall-e-3" is not a model of this installation/)

    const set = await call(admin, 'PUT', '/api/admin/model-aliases/dall-e-3', { target: 'sketch' })
    expect(set.status, set.text).toBe(200)
    expect(set.as(ModelAliasBody)).toMatchObject({
      alias: 'dall-e-3',
      target: 'sketch',
      engine: 'sketch',
      model: 'sketch',
      fixed: false,
      updatedBy: admin.user.id,
    })
    expect(await modelIds(user)).toContainEqual(['dall-e-3', 'easel:sketch'])
    expect((await generate(user, { model: 'dall-e-3' })).status).toBe(200)
    expect(await lastJob(user)).toMatchObject({ engine: 'sketch', model: 'sketch', creditsCharged: 1 })

    const changed = await call(admin, 'PUT', '/api/admin/model-aliases/dall-e-3', {
      target: 'openai:gpt-image-1-mini',
    })
    expect(changed.as(ModelAliasBody)).toMatchObject({ engine: 'openai', model: 'gpt-image-1-mini' })
    expect(
      (await generate(user, { model: 'dall-e-3', size: '1024x1024' })).headers.get('x-credits-charged'),
    ).toBe('3')
    expect((await aliasesOf()).aliases.map((a) => [a.alias, a.target, a.fixed])).toEqual([
      ['gpt-image-1', 'openai:gpt-image-1-mini', true],
      ['dall-e-2', 'sketch', true],
      ['dall-e-3', 'openai:gpt-image-1-mini', false],
    ])

    const removed = await call(admin, 'DELETE', '/api/admin/model-aliases/dall-e-3')
    expect(removed.status).toBe(204)
    expect((await generate(user, { model: 'dall-e-3' })).status).toBe(400)
    expect((await modelIds(user)).map(([id]) => id)).not.toContain('dall-e-3')
    const again = await call(admin, 'DELETE', '/api/admin/model-aliases/dall-e-3')
    expect(again.status).toBe(404)
    expect(again.error).toMatchObject({ code: 'NOT_FOUND', message: 'no model alias dall-e-3' })

    // Newest first: set, changed (with what it was), removed; the second DELETE recorded nothing.
    expect(
      (await audited('dall-e-3')).map((e) => ({
        action: e.action,
        actor: e.actorUserId,
        details: e.details,
      })),
    ).toEqual([
      { action: 'model-alias.delete', actor: admin.user.id, details: { before: 'openai:gpt-image-1-mini' } },
      {
        action: 'model-alias.set',
        actor: admin.user.id,
        details: { target: 'openai:gpt-image-1-mini', before: 'sketch' },
      },
      { action: 'model-alias.set', actor: admin.user.id, details: { target: 'sketch', before: null } },
    ])
    expect(await available(user)).toBe(6)
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  })

  it('refuses an alias to nothing this installation runs, or one that would hide a model, with a 400 naming the field', async () => {
    const cases: [alias: string, target: string, field: string, message: RegExp][] = [
      [
        'dall-e-3',
        'comfyui:sdxl',
        'target',
        /target: "comfyui" is not a configured engine \(sketch, openai\)/,
      ],
      [
        'dall-e-3',
        'openai:gpt-image-9',
        'target',
        /target: openai has no model "gpt-image-9" \(gpt-image-1-mini\)/,
      ],
      ['dall-e-3', 'stable-diffusion', 'target', /target: "stable-diffusion" is neither a configured engine/],
      ['sketch', 'openai', 'alias', /alias: the alias is the name of the sketch engine/],
      ['gpt-image-1-mini', 'sketch', 'alias', /alias: the alias is a model of the openai engine already/],
      ['dall e 3', 'sketch', 'alias', /alias: the alias must start with a letter or digit/],
    ]
    for (const [alias, target, field, message] of cases) {
      const res = await call(admin, 'PUT', `/api/admin/model-aliases/${encodeURIComponent(alias)}`, {
        target,
      })
      expect(res.status, `${alias}=${target}`).toBe(400)
      expect(res.error, `${alias}=${target}`).toMatchObject({ code: 'VALIDATION' })
      expect(res.error.message).toMatch(message)
      expect(res.error.field).toBe(field)
    }
    expect((await aliasesOf()).aliases.map((a) => a.alias)).toEqual(['gpt-image-1', 'dall-e-2'])
    expect(await audited('dall-e 3')).toEqual([])
  })

  it('the aliases of the environment cannot be changed or removed here (409), and nothing is recorded', async () => {
    const changed = await call(admin, 'PUT', '/api/admin/model-aliases/gpt-image-1', { target: 'sketch' })
    expect(changed.status).toBe(409)
    expect(changed.error.message).toBe(
      'gpt-image-1 is set by EASEL_MODEL_ALIASES: change it in the environment, not here',
    )
    const removed = await call(admin, 'DELETE', '/api/admin/model-aliases/dall-e-2')
    expect(removed.status).toBe(409)
    expect((await aliasesOf()).aliases.find((a) => a.alias === 'gpt-image-1')?.target).toBe(
      'openai:gpt-image-1-mini',
    )
    expect(await audited('gpt-image-1')).toEqual([])
    expect(await audited('dall-e-2')).toEqual([])
  })

  it('is for administrators only: others get 403, and nobody signed in 401; nothing changes', async () => {
    const user = await t.user()
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { target: 'sketch' }],
      ['DELETE', undefined],
    ] as const) {
      const url = method === 'GET' ? '/api/admin/model-aliases' : '/api/admin/model-aliases/dall-e-3'
      const asUser = await call(user, method, url, body)
      expect(asUser.status, `${method} as a user`).toBe(403)
      expect(asUser.error).toMatchObject({ code: 'FORBIDDEN', message: 'only administrators may do this' })
      expect((await call(null, method, url, body)).status, `${method} signed out`).toBe(401)
    }
    expect((await aliasesOf()).aliases.map((a) => a.alias)).toEqual(['gpt-image-1', 'dall-e-2'])
    expect((await audited('dall-e-3')).filter((e) => e.actorUserId === user.user.id)).toEqual([])
  })
})
