import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ErrorBody, JobBody, OpenAiErrorBody } from '../../src/contracts/index.ts'
import { ModerationUnavailable } from '../../src/studio/moderation.ts'
import { OpenAiModeration } from '../../src/studio/moderation-openai.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { type FakeModeration, solidPng, startFakeModeration } from '../support/fake-moderation.ts'
import { flatPng, ScriptedEngine } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// EASEL_MODERATION=openai against a fake of OpenAI's moderation endpoint: a flagged prompt is refused
// before anything is held; flagged images are withheld (never stored) and the job is not charged; an
// outage of the service lets nothing unchecked through, and charges nothing either.

/** The colour of ScriptedEngine's images (flatPng fills every byte with 200). */
const ENGINE_GREY = [200, 200, 200] as const
const MAGENTA = [255, 0, 255] as const

describe('OpenAiModeration against the fake moderation endpoint', () => {
  let fake: FakeModeration
  beforeAll(async () => {
    fake = await startFakeModeration()
  })
  afterAll(() => fake?.close())
  beforeEach(() => {
    fake.failing = false
    fake.requests.length = 0
  })
  const moderation = (categories: string[] | null = null, apiKey = fake.apiKey) =>
    new OpenAiModeration({ baseURL: fake.url, apiKey, categories })
  const signal = () => AbortSignal.timeout(10_000)

  it('checks a prompt as text with omni-moderation-latest, and names the categories flagged', async () => {
    expect(await moderation().checkPrompt('a quiet harbour at dawn', signal())).toBeNull()
    expect(await moderation().checkPrompt('a crate of contraband', signal())).toEqual({
      categories: ['violence'],
    })
    expect(fake.requests[0]).toEqual({ model: 'omni-moderation-latest', input: 'a quiet harbour at dawn' })
  })

  it('checks each image in a request of its own, as a PNG data URL, and flags the marked one', async () => {
    const clean = solidPng(16, [10, 20, 30])
    const marked = solidPng(16, [10, 20, 30], MAGENTA)
    expect(await moderation().checkImages([clean, clean], signal())).toBeNull()
    expect(await moderation().checkImages([clean, marked, clean], signal())).toEqual({
      categories: ['sexual'],
    })
    expect(fake.requests).toHaveLength(5)
    for (const request of fake.requests) {
      expect(request.input).toEqual([
        { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } },
      ])
    }
  })

  it('refuses only for the categories of EASEL_MODERATION_CATEGORIES when they are set', async () => {
    expect(await moderation(['sexual']).checkPrompt('a crate of contraband', signal())).toBeNull()
    expect(await moderation(['violence']).checkPrompt('a crate of contraband', signal())).toEqual({
      categories: ['violence'],
    })
  })

  it('fails closed: an outage, a refused key or no answer in time is ModerationUnavailable', async () => {
    fake.failing = true
    const outage = await moderation()
      .checkPrompt('a boat', signal())
      .catch((e: unknown) => e)
    expect(outage).toBeInstanceOf(ModerationUnavailable)
    expect((outage as Error).message).toMatch(
      /OpenAI's moderation at http:\/\/127\.0\.0\.1:\d+\/v1 failed with HTTP 500/,
    )
    fake.failing = false

    const refused = await moderation(null, 'sk-wrong-key-SECRET')
      .checkPrompt('a boat', signal())
      .catch((e) => e)
    expect(refused).toBeInstanceOf(ModerationUnavailable)
    expect((refused as Error).message).toMatch(/refused Easel's API key \(HTTP 401\)/)
    expect((refused as Error).message).not.toMatch(/SECRET/)

    const late = await moderation()
      .checkImages([flatPng(16)], AbortSignal.abort())
      .catch((e: unknown) => e)
    expect(late).toBeInstanceOf(ModerationUnavailable)
    expect((late as Error).message).toMatch(/did not answer in time/)
  })

  it('an unreachable service is ModerationUnavailable too', async () => {
    const gone = await startFakeModeration()
    await gone.close()
    const error = await new OpenAiModeration({ baseURL: gone.url, apiKey: gone.apiKey, categories: null })
      .checkPrompt('a boat', signal())
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModerationUnavailable)
    expect((error as Error).message).toMatch(/could not be reached/)
  })
})

describe.each(BACKENDS)('moderation of prompts and images with EASEL_MODERATION=openai (%s)', (backend) => {
  const engine = new ScriptedEngine('scripted')
  let fake: FakeModeration
  let t: TestServer
  beforeAll(async () => {
    fake = await startFakeModeration()
    t = await startTestServer(backend, {
      engines: [engine],
      env: {
        EASEL_MODERATION: 'openai',
        EASEL_OPENAI_API_KEY: fake.apiKey,
        EASEL_OPENAI_BASE_URL: fake.url,
      },
    })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await fake?.close()
  })
  beforeEach(() => {
    engine.behaviour = 'ok'
    engine.gate = null
    fake.failing = false
    fake.markerColour = MAGENTA
    fake.requests.length = 0
  })

  const api = (user: TestUser) => keyed(t.url, user.apiKey)
  const generate = (user: TestUser, prompt: string) =>
    api(user)('POST', '/api/jobs', { kind: 'generate', prompt, size: '256x256', n: 2 })

  async function expectNothingCharged(user: TestUser) {
    const { ledger, db } = t.server.services
    const b = await ledger.balance(user.user.accountId)
    expect(b.ok && b.value).toMatchObject({ available: 15, held: 0 })
    const images = await db.kysely
      .selectFrom('images')
      .select('id')
      .where('account_id', '=', user.user.accountId)
      .execute()
    expect(images).toEqual([])
    // Not a byte of the withheld images on disk.
    expect(fs.existsSync(path.join(t.dataDir, 'images', user.user.accountId))).toBe(false)
  }

  async function jobsOf(user: TestUser) {
    return t.server.services.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('account_id', '=', user.user.accountId)
      .execute()
  }

  it('a clean prompt and clean images: the job succeeds and is charged, each checked once', async () => {
    const user = await t.user()
    const started = await generate(user, 'a quiet harbour at dawn')
    expect(started.status, started.text).toBe(202)
    const job = await t.server.services.studio.waitForJob(user.user.accountId, started.as(JobBody).id)
    expect(job).toMatchObject({ status: 'succeeded', creditsCharged: 1 })
    expect(job.images).toHaveLength(2)
    expect(fake.requests.map((r) => (typeof r.input === 'string' ? 'text' : 'image'))).toEqual([
      'text',
      'image',
      'image',
    ])
  })

  it('a flagged prompt is refused with CONTENT_POLICY before anything is held: no job, nothing held', async () => {
    const user = await t.user()
    const runs = engine.started
    const refused = await generate(user, 'a crate of contraband on a pier')
    expect(refused.status).toBe(400)
    expect(refused.as(ErrorBody).error).toMatchObject({ code: 'CONTENT_POLICY' })
    expect(refused.error.message).toMatch(
      /flagged by this installation's moderation \(violence\); nothing was charged/,
    )
    expect(await jobsOf(user)).toEqual([])
    await expectNothingCharged(user)
    expect(engine.started).toBe(runs)

    // The same through /v1, in OpenAI's shape.
    const v1 = await fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scripted', prompt: 'contraband', size: '256x256' }),
    })
    expect(v1.status).toBe(400)
    expect(v1.headers.get('x-credits-charged')).toBe('0')
    expect((await readJson(v1, OpenAiErrorBody)).error).toMatchObject({ code: 'content_policy_violation' })
    await expectNothingCharged(user)
  })

  it('flagged images are withheld: the job fails with CONTENT_POLICY, nothing stored, nothing charged', async () => {
    fake.markerColour = ENGINE_GREY
    const user = await t.user()
    const started = await generate(user, 'a quiet harbour at dawn')
    expect(started.status, started.text).toBe(202)
    const job = await t.server.services.studio.waitForJob(user.user.accountId, started.as(JobBody).id)
    expect(job).toMatchObject({
      status: 'failed',
      creditsCharged: 0,
      images: [],
      error: { code: 'CONTENT_POLICY' },
    })
    expect(job.error?.message).toBe(
      "the images were withheld by this installation's moderation (sexual); nothing was charged",
    )
    const hold = await t.server.services.db.kysely
      .selectFrom('holds')
      .select('status')
      .where('id', '=', job.holdId!)
      .executeTakeFirstOrThrow()
    expect(hold.status).toBe('released')
    await expectNothingCharged(user)
  })

  it('an outage while checking the prompt refuses it (503, MODERATION_UNAVAILABLE): no job, nothing held', async () => {
    fake.failing = true
    const user = await t.user()
    const refused = await generate(user, 'a quiet harbour at dawn')
    expect(refused.status).toBe(503)
    expect(refused.error).toMatchObject({ code: 'MODERATION_UNAVAILABLE' })
    expect(refused.error.message).toMatch(
      /moderation could not check the prompt \(OpenAI's moderation at .* failed with HTTP 500.*\); nothing was charged, try again later/,
    )
    expect(await jobsOf(user)).toEqual([])
    await expectNothingCharged(user)
  })

  it('an outage while checking the images fails the job: the images are not kept, nothing is charged', async () => {
    const user = await t.user()
    let release!: () => void
    engine.gate = new Promise<void>((resolve) => {
      release = resolve
    })
    // The prompt passes; the service goes down while the engine works.
    const started = await generate(user, 'a quiet harbour at dawn')
    expect(started.status, started.text).toBe(202)
    fake.failing = true
    release()
    const job = await t.server.services.studio.waitForJob(user.user.accountId, started.as(JobBody).id)
    expect(job).toMatchObject({
      status: 'failed',
      creditsCharged: 0,
      images: [],
      error: { code: 'MODERATION_UNAVAILABLE' },
    })
    expect(job.error?.message).toMatch(
      /moderation could not check the images \(OpenAI's moderation at .* failed with HTTP 500.*\); they were not kept and nothing was charged/,
    )
    await expectNothingCharged(user)
  })

  it('the ledger verifies after all of this', async () => {
    const report = await t.server.services.ledger.verify()
    expect(report.violations).toEqual([])
  })
})
