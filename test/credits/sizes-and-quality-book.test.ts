import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  JobsPage,
  QuoteBody,
  RESOLVED_QUALITIES,
  type ResolvedQuality,
  SIZE_NAMES,
  type SizeName,
  SQUARE_SIZE_NAMES,
} from '../../src/contracts/index.ts'
import { type PriceBook, parseBook, quote } from '../../src/credits/index.ts'
import { LABS_2022 } from '../../src/credits/pricing/labs-2022.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// The example book that prices generations by size × quality
// (src/credits/pricing/examples/sizes-and-quality.yaml): that it validates, that it charges what
// its table says, and that through the API `auto` is charged as the quality it resolves to.

const EXAMPLE_URL = new URL('../../src/credits/pricing/examples/sizes-and-quality.yaml', import.meta.url)

function exampleBook(): PriceBook {
  const r = parseBook(readFileSync(EXAMPLE_URL, 'utf8'), 'yaml')
  if (!r.ok) throw new Error(`the example book is invalid:\n${JSON.stringify(r.problems, null, 2)}`)
  return r.book
}

/** The book's table: squares 1, other sizes 2, and the best qualities (high, hd) 1 more. */
function expectedCredits(size: SizeName, quality: ResolvedQuality): number {
  const square = (SQUARE_SIZE_NAMES as readonly string[]).includes(size)
  return (square ? 1 : 2) + (quality === 'high' || quality === 'hd' ? 1 : 0)
}

describe('the sizes-and-quality example book', () => {
  const book = exampleBook()

  it('is valid, and is labs-2022 but for how a generation is priced', () => {
    expect(book.version).toBe('labs-2022-sizes-and-quality')
    const { version, effectiveFrom, operations, ...rest } = book
    const { version: _v, effectiveFrom: _e, operations: labsOperations, ...labsRest } = LABS_2022
    expect(rest).toEqual(labsRest)
    expect(operations.edit).toEqual(labsOperations.edit)
    expect(operations.variation).toEqual(labsOperations.variation)
    expect(operations.generate?.imagesReturned).toBe(4)
  })

  it('prices every size × quality by its table, one operation of 4 images at a time', () => {
    for (const size of SIZE_NAMES) {
      for (const quality of RESOLVED_QUALITIES) {
        const q = quote(book, 'generate', { n: 4, size, quality, model: 'gpt-image-1' })
        if (!q.ok) throw new Error(`${size} ${quality}: ${q.error.message}`)
        expect(q.value.credits, `${size} at ${quality}`).toBe(expectedCredits(size, quality))
      }
    }
    // The list price follows the credits: 2 credits at 1500/115 cents each.
    const wide = quote(book, 'generate', { size: '1536x1024', quality: 'low' })
    expect(wide.ok && wide.value.listPrice?.shown).toBe('26.09')
  })

  it('never prices `auto` itself: the job is priced at what it resolves to, and the book refuses `auto`', () => {
    const q = quote(book, 'generate', { size: '1024x1024', quality: 'auto' })
    expect(q.ok).toBe(false)
    if (!q.ok) expect(q.error.message).toMatch(/quality.*must be one of .*got "auto"/)
  })

  it('refuses a size it does not list rather than pricing it by the catch-all', () => {
    const q = quote(book, 'generate', { size: '640x480', quality: 'low' })
    expect(q.ok).toBe(false)
    if (!q.ok) expect(q.error.message).toMatch(/size.*must be one of/)
  })
})

describe.each(BACKENDS)('the sizes-and-quality book in force, through the API (%s)', (backend) => {
  let upstream: FakeOpenAi
  let t: TestServer
  beforeAll(async () => {
    upstream = await startFakeOpenAi({ apiKey: 'sk-upstream' })
    t = await startTestServer(backend, {
      env: {
        EASEL_OPENAI_API_KEY: 'sk-upstream',
        EASEL_OPENAI_BASE_URL: upstream.url,
        EASEL_OPENAI_MODELS: 'gpt-image-1,dall-e-3',
      },
    })
    const activated = await t.server.services.pricing.activate(exampleBook(), 'now')
    if (!activated.ok) throw new Error(activated.error.message)
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await upstream?.close()
  })

  const inject = async (user: TestUser, method: 'GET' | 'POST', url: string, body?: object) =>
    Reply.injected(
      await t.server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${user.apiKey}` },
        ...(body === undefined ? {} : { payload: body }),
      }),
    )
  const available = async (user: TestUser) => {
    const b = await t.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return b.value.available
  }

  /** One generation through /v1; what it charged, and the job as the studio recorded it. */
  async function generate(user: TestUser, request: Record<string, unknown>) {
    const before = await available(user)
    const res = await inject(user, 'POST', '/v1/images/generations', {
      prompt: 'a lighthouse at dusk',
      n: 1,
      response_format: 'b64_json',
      ...request,
    })
    expect(res.status, res.text.slice(0, 400)).toBe(200)
    const charged = Number(res.headers.get('x-credits-charged'))
    expect(before - (await available(user)), 'the balance moved by what the header says').toBe(charged)
    const [job] = (await inject(user, 'GET', '/api/jobs?limit=1')).as(JobsPage).jobs
    expect(job?.creditsCharged).toBe(charged)
    expect(job?.bookVersion).toBe('labs-2022-sizes-and-quality')
    return { charged, job: job! }
  }

  it('charges a generation by its size × quality', async () => {
    const user = await t.user({ credits: 100 })
    const cases: [model: string, size: SizeName, quality: string, credits: number][] = [
      ['sketch', '256x256', 'standard', 1],
      ['gpt-image-1', '1024x1024', 'low', 1],
      ['gpt-image-1', '1024x1024', 'high', 2],
      ['gpt-image-1', '1536x1024', 'medium', 2],
      ['gpt-image-1', '1024x1536', 'high', 3],
      ['dall-e-3', '1024x1024', 'hd', 2],
      ['dall-e-3', '1792x1024', 'standard', 2],
      ['dall-e-3', '1024x1792', 'hd', 3],
    ]
    for (const [model, size, quality, credits] of cases) {
      const { charged, job } = await generate(user, { model, size, quality })
      expect(charged, `${model} ${size} ${quality}`).toBe(credits)
      expect(job).toMatchObject({ model, size, quality, creditsQuoted: credits })
    }
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  })

  it('charges `auto` (or no quality) as what the model makes of it: high for gpt-image-1, standard for dall-e-3 and sketch', async () => {
    const user = await t.user({ credits: 100 })
    const cases: [
      model: string,
      size: SizeName,
      quality: string | undefined,
      made: string,
      credits: number,
    ][] = [
      ['gpt-image-1', '1024x1024', 'auto', 'high', 2],
      ['gpt-image-1', '1536x1024', 'auto', 'high', 3],
      ['gpt-image-1', '1024x1536', undefined, 'high', 3],
      ['dall-e-3', '1792x1024', 'auto', 'standard', 2],
      ['sketch', '512x512', 'auto', 'standard', 1],
    ]
    for (const [model, size, quality, made, credits] of cases) {
      const { charged, job } = await generate(user, { model, size, ...(quality ? { quality } : {}) })
      expect(charged, `${model} ${size} ${quality ?? '(none)'}`).toBe(credits)
      expect(job.quality).toBe(made)
      // The upstream was asked for what was charged, not for `auto`.
      if (model !== 'sketch') expect(upstream.requests.at(-1)?.json).toMatchObject({ quality: made })
    }
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  })

  it('quotes by size through /api/quotes, and a size the model cannot make is a 400 before anything is held', async () => {
    const user = await t.user({ credits: 10 })
    const quoted = async (body: object) => (await inject(user, 'POST', '/api/quotes', body)).as(QuoteBody)
    expect(await quoted({ operation: 'generate', n: 1, size: '1024x1024', model: 'sketch' })).toMatchObject({
      credits: 1,
      ruleId: 'square',
      bookVersion: 'labs-2022-sizes-and-quality',
    })
    // No quality is `auto`, which gpt-image-1 makes as `high`: quoted as that, as a job is charged.
    expect(
      await quoted({ operation: 'generate', n: 1, size: '1536x1024', model: 'gpt-image-1' }),
    ).toMatchObject({ credits: 3, ruleId: 'wide-best' })
    expect(
      await quoted({ operation: 'generate', n: 1, size: '1536x1024', quality: 'low', model: 'gpt-image-1' }),
    ).toMatchObject({ credits: 2, ruleId: 'wide' })
    const unquotable = await inject(user, 'POST', '/api/quotes', {
      operation: 'generate',
      size: '1536x1024',
      model: 'sketch',
    })
    expect(unquotable.status).toBe(400)
    expect(unquotable.error).toMatchObject({ code: 'VALIDATION', field: 'size' })

    const requestsBefore = upstream.requests.length
    const refused = await inject(user, 'POST', '/v1/images/generations', {
      model: 'sketch',
      prompt: 'a lighthouse at dusk',
      size: '1536x1024',
    })
    expect(refused.status).toBe(400)
    expect(refused.openAiError).toMatchObject({ param: 'size' })
    expect(refused.openAiError.message).toMatch(/sketch makes only square images.*nothing was charged/)
    const hd = await inject(user, 'POST', '/v1/images/generations', {
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
      quality: 'hd',
    })
    expect(hd.status).toBe(400)
    expect(hd.openAiError).toMatchObject({ param: 'quality' })
    expect(hd.openAiError.message).toMatch(/gpt-image-1 takes low, medium, high or auto, not hd/)
    const balance = await t.server.services.ledger.balance(user.user.accountId)
    expect(balance.ok && balance.value).toMatchObject({ available: 10, held: 0 })
    expect(upstream.requests.length).toBe(requestsBefore)
  })
})
