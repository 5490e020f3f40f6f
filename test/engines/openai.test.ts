import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  EngineError,
  type EngineErrorCode,
  type EngineRequest,
  type ImageSize,
  type SizeName,
  sizeName,
} from '../../src/engines/engine.ts'
import { OpenAiEngine, upstreamSize, VARIATION_PROMPT } from '../../src/engines/openai/engine.ts'
import { decodePng, encodePng, pngInfo } from '../../src/images/png.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'

let upstream: FakeOpenAi
beforeEach(async () => {
  upstream = await startFakeOpenAi()
})
afterEach(async () => {
  await upstream.close()
})

function engine(options: { models?: string[]; apiKey?: string; baseURL?: string } = {}) {
  return new OpenAiEngine({
    baseURL: options.baseURL ?? upstream.url,
    apiKey: options.apiKey ?? upstream.apiKey,
    models: options.models,
  })
}

/** A request's size fields for a square of `px`. */
const sq = (px: ImageSize) => ({ size: sizeName(px), width: px, height: px })

const base = { n: 1, ...sq(256), quality: 'medium', seed: 1, model: 'gpt-image-1' } as const

function square(size: number, alpha: (x: number, y: number) => number = () => 255): Buffer {
  const data = new Uint8Array(size * size * 4)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      data.set([x % 256, y % 256, 128, alpha(x, y)], (y * size + x) * 4)
    }
  }
  return encodePng({ width: size, height: size, data })
}

/** Runs a request that must fail; checks the code and that the API key is nowhere in the message. */
async function failure(
  run: Promise<unknown>,
  code: EngineErrorCode,
  apiKey = upstream.apiKey,
): Promise<EngineError> {
  const error = await run.then(
    () => expect.unreachable('the run should have failed'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EngineError)
  const engineError = error as EngineError
  expect(engineError.code, engineError.message).toBe(code)
  expect(engineError.message).not.toContain(apiKey)
  expect(engineError.message).not.toContain(apiKey.slice(-4))
  return engineError
}

const never = () => new AbortController().signal

describe('OpenAiEngine requests', () => {
  it('generates with the model, prompt, n and a size the GPT image models offer, and scales to the square asked for', async () => {
    const result = await engine().run(
      { ...base, operation: 'generate', prompt: 'a red fox', n: 2 },
      { signal: never() },
    )

    expect(upstream.requests).toHaveLength(1)
    const [request] = upstream.requests
    expect(request!.path).toBe('/v1/images/generations')
    expect(request!.headers.authorization).toBe(`Bearer ${upstream.apiKey}`)
    expect(request!.json).toEqual({
      model: 'gpt-image-1',
      prompt: 'a red fox',
      n: 2,
      size: '1024x1024',
      quality: 'medium',
    })
    expect(result.images).toHaveLength(2)
    for (const image of result.images) {
      expect([image.width, image.height]).toEqual([256, 256])
      expect(pngInfo(image.png)).toMatchObject({ width: 256, height: 256 })
      expect(decodePng(image.png).width).toBe(256)
    }
    // The fake draws each image differently; scaling keeps them apart.
    expect(result.images[0]!.png.equals(result.images[1]!.png)).toBe(false)
  })

  it('passes an image of the size asked for through untouched', async () => {
    const result = await engine().run(
      { ...base, operation: 'generate', prompt: 'a fox', ...sq(1024) },
      { signal: never() },
    )
    const sent = upstream.requests[0]!.json!
    expect(sent.size).toBe('1024x1024')
    expect(result.images[0]!.width).toBe(1024)
    expect(pngInfo(result.images[0]!.png)).toMatchObject({ width: 1024, height: 1024 })
  })

  it('asks dall-e-2 for the square itself, in base64', async () => {
    const result = await engine({ models: ['dall-e-2'] }).run(
      { ...base, model: 'dall-e-2', quality: 'standard', operation: 'generate', prompt: 'a fox', ...sq(512) },
      { signal: never() },
    )
    expect(upstream.requests[0]!.json).toEqual({
      model: 'dall-e-2',
      prompt: 'a fox',
      n: 1,
      size: '512x512',
      response_format: 'b64_json',
    })
    expect(result.images[0]!.width).toBe(512)
  })

  it('edits with the image and the mask as multipart files', async () => {
    const image = square(256)
    const mask = square(256, (x) => (x < 128 ? 0 : 255))
    const result = await engine().run(
      { ...base, operation: 'edit', prompt: 'add a hat', image, mask, n: 3, ...sq(512) },
      { signal: never() },
    )

    const [request] = upstream.requests
    expect(request!.path).toBe('/v1/images/edits')
    expect(request!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(request!.fields).toEqual({
      model: 'gpt-image-1',
      prompt: 'add a hat',
      n: '3',
      size: '1024x1024',
      quality: 'medium',
    })
    expect(request!.files.image!.bytes.equals(image)).toBe(true)
    expect(request!.files.image!.type).toBe('image/png')
    expect(request!.files.mask!.bytes.equals(mask)).toBe(true)
    expect(result.images.map((i) => i.width)).toEqual([512, 512, 512])
  })

  it('edits without a mask when the request has none', async () => {
    await engine().run(
      { ...base, operation: 'edit', prompt: 'brighter', image: square(256), mask: null },
      { signal: never() },
    )
    expect(Object.keys(upstream.requests[0]!.files)).toEqual(['image'])
  })

  it('makes a variation as an unmasked edit, with a neutral prompt when the request has none', async () => {
    const image = square(256)
    await engine().run({ ...base, operation: 'variation', image, prompt: null }, { signal: never() })
    await engine().run(
      { ...base, operation: 'variation', image, prompt: 'in watercolour' },
      { signal: never() },
    )

    expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/images/edits', '/v1/images/edits'])
    expect(upstream.requests[0]!.fields.prompt).toBe(VARIATION_PROMPT)
    expect(upstream.requests[1]!.fields.prompt).toBe('in watercolour')
    for (const request of upstream.requests) {
      expect(Object.keys(request.files)).toEqual(['image'])
      expect(request.files.image!.bytes.equals(image)).toBe(true)
    }
  })

  it('downloads the images when the upstream answers with URLs', async () => {
    upstream.answerWithUrls = true
    const result = await engine({ models: ['dall-e-2'] }).run(
      { ...base, model: 'dall-e-2', quality: 'standard', operation: 'generate', prompt: 'a fox', n: 2 },
      { signal: never() },
    )
    expect(result.images).toHaveLength(2)
    expect(result.images.map((i) => pngInfo(i.png)?.width)).toEqual([256, 256])
  })

  it('offers every operation under its default model', () => {
    const e = engine()
    expect(e.name).toBe('openai')
    expect(e.models).toEqual(['gpt-image-1'])
    expect(e.procedural).toBe(false)
    expect(['generate', 'edit', 'variation'].every((op) => e.supports(op as never))).toBe(true)
  })
})

describe('OpenAiEngine failures', () => {
  const generate: EngineRequest = { ...base, operation: 'generate', prompt: 'something' }

  it('maps moderation_blocked (GPT image models) to CONTENT_POLICY with the upstream message', async () => {
    upstream.behaviour = 'content_policy'
    const error = await failure(engine().run(generate, { signal: never() }), 'CONTENT_POLICY')
    expect(error.message).toMatch(/^Your request was rejected by the safety system/)
  })

  it('maps content_policy_violation (dall-e) to CONTENT_POLICY', async () => {
    upstream.behaviour = 'content_policy'
    const error = await failure(
      engine({ models: ['dall-e-2'] }).run(
        { ...generate, model: 'dall-e-2', quality: 'standard' },
        { signal: never() },
      ),
      'CONTENT_POLICY',
    )
    expect(error.message).toContain('safety system')
  })

  it('maps any other 400 to UPSTREAM_REJECTED', async () => {
    upstream.behaviour = 'bad_request'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_REJECTED')
    expect(error.message).toContain("Invalid value for 'prompt'")
  })

  it('retries a 500 once, then fails with UPSTREAM_ERROR', async () => {
    upstream.behaviour = 'server_error'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(upstream.requests).toHaveLength(2)
    expect(error.message).toContain('HTTP 500')
  })

  it('fails with UPSTREAM_ERROR when the upstream cannot be reached', async () => {
    const error = await failure(
      engine({ baseURL: `${await closedPortUrl()}/v1` }).run(generate, { signal: never() }),
      'UPSTREAM_ERROR',
    )
    expect(error.message).toMatch(/could not reach OpenAI at http:\/\/127\.0\.0\.1:\d+\/v1/)
  })

  it('says a refused key is wrong without quoting any of it', async () => {
    const wrongKey = 'sk-wrong-key-0000000000WXYZ'
    const error = await failure(
      engine({ apiKey: wrongKey }).run(generate, { signal: never() }),
      'UPSTREAM_ERROR',
      wrongKey,
    )
    expect(error.message).toContain('API key')
    expect(error.cause).toBeUndefined()
  })

  it('fails with NO_IMAGES when the upstream answers with none', async () => {
    upstream.behaviour = 'empty'
    await failure(engine().run(generate, { signal: never() }), 'NO_IMAGES')
  })

  it("stops with TIMEOUT when the runner's deadline aborts the signal, without a retry", async () => {
    upstream.behaviour = 'hang'
    await failure(engine().run(generate, { signal: AbortSignal.timeout(50) }), 'TIMEOUT')
    expect(upstream.requests).toHaveLength(1)
  })

  it('sets no deadline of its own: a slow answer within the runner’s is taken', async () => {
    upstream.behaviour = 'hang'
    const controller = new AbortController()
    const run = engine().run(generate, { signal: controller.signal })
    await upstream.received(1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    controller.abort(new EngineError('CANCELLED', 'the test is done waiting'))
    await failure(run, 'CANCELLED')
    expect(upstream.requests).toHaveLength(1)
  })

  it('stops with the CANCELLED error the signal was aborted with', async () => {
    upstream.behaviour = 'hang'
    const controller = new AbortController()
    const run = engine().run(generate, { signal: controller.signal })
    await upstream.received(1)
    const cancelled = new EngineError('CANCELLED', 'the job was cancelled')
    controller.abort(cancelled)
    expect(await failure(run, 'CANCELLED')).toBe(cancelled)
  })

  it('stops with TIMEOUT when the signal aborts for another reason', async () => {
    upstream.behaviour = 'hang'
    const controller = new AbortController()
    const run = engine().run(generate, { signal: controller.signal })
    await upstream.received(1)
    controller.abort()
    await failure(run, 'TIMEOUT')
  })
})

describe('upstreamSize', () => {
  it('asks the GPT image models and dall-e-3 for 1024x1024 instead of a smaller square, others for the square', () => {
    const cases: [string, SizeName, SizeName][] = [
      ['gpt-image-1', '256x256', '1024x1024'],
      ['gpt-image-1-mini', '512x512', '1024x1024'],
      ['chatgpt-image-latest', '1024x1024', '1024x1024'],
      ['gpt-image-1', '1536x1024', '1536x1024'],
      ['dall-e-3', '256x256', '1024x1024'],
      ['dall-e-3', '1024x1792', '1024x1792'],
      ['dall-e-2', '256x256', '256x256'],
      ['some-local-model', '512x512', '512x512'],
    ]
    for (const [model, asked, sent] of cases) expect(upstreamSize(model, asked), model).toBe(sent)
  })
})

describe('the sizes and qualities of each model', () => {
  const e = () => engine({ models: ['gpt-image-1', 'dall-e-3', 'dall-e-2', 'local-sd'] })

  it('declares per model the sizes OpenAI documents (and the small squares, scaled)', () => {
    expect(e().sizesFor('gpt-image-1')).toEqual(['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536'])
    expect(e().sizesFor('dall-e-3')).toEqual(['256x256', '512x512', '1024x1024', '1792x1024', '1024x1792'])
    expect(e().sizesFor('dall-e-2')).toEqual(['256x256', '512x512', '1024x1024'])
    expect(e().sizesFor('local-sd')).toEqual(['256x256', '512x512', '1024x1024'])
    // The engine as a whole: every size of one model or another, in the API's order.
    expect(e().sizes).toEqual([
      '256x256',
      '512x512',
      '1024x1024',
      '1536x1024',
      '1024x1536',
      '1792x1024',
      '1024x1792',
    ])
    expect(engine().sizes).toEqual(['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536'])
  })

  it('takes the qualities each model takes, `auto` being the best for gpt-image and standard otherwise', () => {
    expect(e().qualitiesFor('gpt-image-1')).toEqual({ accepted: ['low', 'medium', 'high'], auto: 'high' })
    expect(e().qualitiesFor('dall-e-3')).toEqual({ accepted: ['standard', 'hd'], auto: 'standard' })
    expect(e().qualitiesFor('dall-e-2')).toEqual({ accepted: ['standard'], auto: 'standard' })
    expect(e().qualitiesFor('local-sd')).toEqual({ accepted: ['standard'], auto: 'standard' })
  })

  it('makes a landscape gpt-image picture at the upstream’s own size, with the quality asked for', async () => {
    const result = await engine().run(
      {
        ...base,
        operation: 'generate',
        prompt: 'a wide valley',
        size: '1536x1024',
        width: 1536,
        height: 1024,
        quality: 'low',
      },
      { signal: never() },
    )
    expect(upstream.requests[0]!.json).toMatchObject({ size: '1536x1024', quality: 'low' })
    expect(result.images[0]).toMatchObject({ width: 1536, height: 1024 })
    expect(pngInfo(result.images[0]!.png)).toMatchObject({ width: 1536, height: 1024 })
  })

  it('sends dall-e-3 its portrait size and hd; the fake refuses what OpenAI refuses', async () => {
    const dalle3 = { ...base, model: 'dall-e-3', operation: 'generate', prompt: 'a tall tower' } as const
    const result = await engine({ models: ['dall-e-3'] }).run(
      { ...dalle3, size: '1024x1792', width: 1024, height: 1792, quality: 'hd' },
      { signal: never() },
    )
    expect(upstream.requests[0]!.json).toMatchObject({ model: 'dall-e-3', size: '1024x1792', quality: 'hd' })
    expect(result.images[0]).toMatchObject({ width: 1024, height: 1792 })
    // A quality dall-e-3 does not take reaches the upstream only if the studio let it through: refused there.
    const refused = await failure(
      engine({ models: ['dall-e-3'] }).run({ ...dalle3, quality: 'low' }, { signal: never() }),
      'UPSTREAM_REJECTED',
    )
    expect(refused.message).toContain("Invalid value: 'low'")
  })

  it('cuts an upstream answer of another shape to the size asked for', async () => {
    // A server that answers squares whatever it is asked (as some OpenAI-compatible ones do).
    upstream.answerSize = '1024x1024'
    const result = await engine().run(
      { ...base, operation: 'generate', prompt: 'x', size: '1024x1536', width: 1024, height: 1536 },
      { signal: never() },
    )
    expect(result.images[0]).toMatchObject({ width: 1024, height: 1536 })
    expect(pngInfo(result.images[0]!.png)).toMatchObject({ width: 1024, height: 1536 })
  })
})

/** A URL nothing listens on: a port that was just free. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
