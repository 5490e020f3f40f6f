import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EngineError, type EngineErrorCode, type EngineRequest } from '../../src/engines/engine.ts'
import { describeError, SdWebUiEngine, type SdWebUiEngineOptions } from '../../src/engines/sdwebui/engine.ts'
import { openAiMaskToWebUi } from '../../src/engines/sdwebui/mask.ts'
import { decodePng, encodePng, pngInfo, type RgbaImage } from '../../src/images/png.ts'
import { decodeSent, type FakeSdWebUi, startFakeSdWebUi } from '../support/fake-sdwebui.ts'

let upstream: FakeSdWebUi
beforeEach(async () => {
  upstream = await startFakeSdWebUi()
})
afterEach(async () => {
  await upstream.close()
})

function engine(options: Partial<SdWebUiEngineOptions> = {}) {
  return new SdWebUiEngine({ urls: [upstream.url], ...options })
}

const base = {
  n: 1,
  size: '256x256',
  width: 256,
  height: 256,
  quality: 'standard',
  seed: 42,
  model: 'stable-diffusion',
} as const
const size512 = { size: '512x512', width: 512, height: 512 } as const
const generate: EngineRequest = { ...base, operation: 'generate', prompt: 'a lighthouse at dusk' }
const never = () => new AbortController().signal

function rgba(size: number, pixel: (x: number, y: number) => [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(size * size * 4)
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(pixel(x, y), (y * size + x) * 4)
  return { width: size, height: size, data }
}

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const o = (y * image.width + x) * 4
  return [...image.data.subarray(o, o + 4)]
}

/** An OpenAI-style mask: the left half transparent (change it), the right half opaque (keep it). */
const leftHalfMask = (size: number) =>
  encodePng(rgba(size, (x) => (x < size / 2 ? [0, 0, 0, 0] : [0, 0, 0, 255])))

async function failure(run: Promise<unknown>, code: EngineErrorCode): Promise<EngineError> {
  const error = await run.then(
    () => expect.unreachable('the run should have failed'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EngineError)
  expect((error as EngineError).code, (error as EngineError).message).toBe(code)
  return error as EngineError
}

describe('openAiMaskToWebUi', () => {
  it('makes transparent pixels white and every other pixel black, in an opaque image', () => {
    const mask = encodePng(
      rgba(4, (x) => {
        const alpha = [0, 1, 128, 255][x]!
        return [90, 90, 90, alpha]
      }),
    )
    const converted = decodePng(openAiMaskToWebUi(mask))
    expect([converted.width, converted.height]).toEqual([4, 4])
    for (let y = 0; y < 4; y++) {
      expect(pixel(converted, 0, y)).toEqual([255, 255, 255, 255])
      for (const x of [1, 2, 3]) expect(pixel(converted, x, y)).toEqual([0, 0, 0, 255])
    }
  })

  it('treats a mask without transparency as "change nothing"', () => {
    const converted = decodePng(openAiMaskToWebUi(encodePng(rgba(2, () => [255, 255, 255, 255]))))
    expect([...converted.data]).toEqual(
      Array(16)
        .fill(0)
        .map((_, i) => (i % 4 === 3 ? 255 : 0)),
    )
  })
})

describe('SdWebUiEngine requests', () => {
  it('generates with txt2img: prompt, batch of n, the square, steps and seed', async () => {
    const result = await engine().run({ ...generate, n: 3, ...size512 }, { signal: never() })

    expect(upstream.requests).toHaveLength(1)
    const request = upstream.requests[0]!
    expect([request.method, request.path]).toEqual(['POST', '/sdapi/v1/txt2img'])
    expect(request.json).toMatchObject({
      prompt: 'a lighthouse at dusk',
      batch_size: 3,
      n_iter: 1,
      width: 512,
      height: 512,
      steps: 20,
      seed: 42,
    })
    expect(request.json).not.toHaveProperty('override_settings')
    expect(request.headers.authorization).toBeUndefined()
    expect(result.images).toHaveLength(3)
    for (const image of result.images) {
      expect([image.width, image.height]).toEqual([512, 512])
      expect(pngInfo(image.png)).toMatchObject({ width: 512, height: 512 })
    }
  })

  it('takes only the n images asked for when extensions append their own', async () => {
    upstream.extraImages = 2
    const result = await engine().run({ ...generate, n: 2 }, { signal: never() })
    expect(result.images).toHaveLength(2)
    expect(result.images.every((i) => pngInfo(i.png)?.width === 256)).toBe(true)
  })

  it('scales an image of another size to the square asked for', async () => {
    upstream.answerSize = 512
    const result = await engine().run(generate, { signal: never() })
    expect(pngInfo(result.images[0]!.png)).toMatchObject({ width: 256, height: 256 })
    expect(decodePng(result.images[0]!.png).width).toBe(256)
  })

  it('inpaints an edit with img2img and the mask turned to WebUI polarity', async () => {
    const image = encodePng(rgba(256, (x, y) => [x, y, 77, 255]))
    await engine().run(
      { ...base, operation: 'edit', prompt: 'a boat', image, mask: leftHalfMask(256) },
      { signal: never() },
    )

    const request = upstream.requests[0]!
    expect(request.path).toBe('/sdapi/v1/img2img')
    expect(request.json).toMatchObject({
      prompt: 'a boat',
      inpainting_mask_invert: 0,
      inpainting_fill: 1,
      denoising_strength: 0.75,
      mask_blur: 4,
      width: 256,
      height: 256,
      batch_size: 1,
    })
    const sent = request.json!.init_images as string[]
    expect(sent).toHaveLength(1)
    expect(Buffer.from(sent[0]!, 'base64').equals(image)).toBe(true)
    const mask = decodeSent(request.json!.mask)
    // Transparent in the OpenAI mask (change) is white (inpaint); opaque (keep) is black.
    expect(pixel(mask, 10, 10)).toEqual([255, 255, 255, 255])
    expect(pixel(mask, 200, 10)).toEqual([0, 0, 0, 255])
  })

  it('edits the whole image with img2img when there is no mask', async () => {
    await engine().run(
      { ...base, operation: 'edit', prompt: 'at night', image: leftHalfMask(256), mask: null },
      { signal: never() },
    )
    const sent = upstream.requests[0]!.json!
    expect(upstream.requests[0]!.path).toBe('/sdapi/v1/img2img')
    expect(sent).not.toHaveProperty('mask')
    expect(sent.denoising_strength).toBe(0.75)
  })

  it('makes a variation with unmasked img2img at a lower denoising strength', async () => {
    const image = encodePng(rgba(256, () => [10, 20, 30, 255]))
    await engine().run({ ...base, operation: 'variation', image, prompt: null }, { signal: never() })
    await engine().run({ ...base, operation: 'variation', image, prompt: 'in autumn' }, { signal: never() })

    const [first, second] = upstream.requests.map((r) => r.json!)
    expect(upstream.requests.map((r) => r.path)).toEqual(['/sdapi/v1/img2img', '/sdapi/v1/img2img'])
    expect(first).toMatchObject({ prompt: '', denoising_strength: 0.55 })
    expect(first).not.toHaveProperty('mask')
    expect(second!.prompt).toBe('in autumn')
  })

  it('asks for a named checkpoint through override_settings', async () => {
    await engine({ models: ['stable-diffusion', 'sd_xl_base_1.0'] }).run(
      { ...generate, model: 'sd_xl_base_1.0' },
      { signal: never() },
    )
    expect(upstream.requests[0]!.json!.override_settings).toEqual({ sd_model_checkpoint: 'sd_xl_base_1.0' })
  })

  it('lists the checkpoints the WebUI offers', async () => {
    expect(await engine().checkpoints(never())).toEqual(['v1-5-pruned-emaonly', 'sd_xl_base_1.0'])
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', path: '/sdapi/v1/sd-models' })
  })

  it('sends HTTP basic credentials, also when they are written into the URL', async () => {
    await upstream.close()
    upstream = await startFakeSdWebUi({ auth: { username: 'easel', password: 'p@ss:word' } })
    await engine({ auth: { username: 'easel', password: 'p@ss:word' } }).run(generate, { signal: never() })
    const withUrl = new URL(upstream.url)
    withUrl.username = 'easel'
    withUrl.password = encodeURIComponent('p@ss:word')
    await engine({ urls: [withUrl.href] }).run(generate, { signal: never() })

    const expected = `Basic ${Buffer.from('easel:p@ss:word').toString('base64')}`
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([expected, expected])
  })

  it('offers every operation, never as a procedural engine', () => {
    const e = engine()
    expect(e.name).toBe('sdwebui')
    expect(e.models).toEqual(['stable-diffusion'])
    expect(e.procedural).toBe(false)
    expect(['generate', 'edit', 'variation'].every((op) => e.supports(op as never))).toBe(true)
  })
})

describe('SdWebUiEngine failures', () => {
  it('maps a 422 validation error to UPSTREAM_REJECTED with its detail', async () => {
    upstream.behaviour = 'bad_request'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_REJECTED')
    expect(error.message).toContain('steps: ensure this value is less than or equal to 150')
  })

  it('maps a 500 to UPSTREAM_ERROR naming the WebUI and what went wrong', async () => {
    upstream.behaviour = 'server_error'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(error.message).toContain(`the Stable Diffusion WebUI at ${upstream.url}`)
    expect(error.message).toContain('OutOfMemoryError: CUDA out of memory')
  })

  it('maps a refused connection to UPSTREAM_ERROR without the credentials', async () => {
    const url = new URL(await closedPortUrl())
    url.username = 'easel'
    url.password = 'hunter2'
    const error = await failure(
      engine({ urls: [url.href] }).run(generate, { signal: never() }),
      'UPSTREAM_ERROR',
    )
    expect(error.message).toMatch(
      /^the Stable Diffusion WebUI at http:\/\/127\.0\.0\.1:\d+ could not be reached/,
    )
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('easel')
  })

  it('maps refused credentials to UPSTREAM_ERROR without repeating them', async () => {
    await upstream.close()
    upstream = await startFakeSdWebUi({ auth: { username: 'easel', password: 'right' } })
    const error = await failure(
      engine({ auth: { username: 'easel', password: 'wrong-secret' } }).run(generate, { signal: never() }),
      'UPSTREAM_ERROR',
    )
    expect(error.message).toContain('HTTP 401')
    expect(error.message).not.toContain('wrong-secret')
  })

  it('never reports CONTENT_POLICY: a filtered (black) image is still an image', async () => {
    upstream.behaviour = 'content_policy'
    const result = await engine().run(generate, { signal: never() })
    expect(result.images).toHaveLength(1)
  })

  it('fails with NO_IMAGES when the WebUI answers with none', async () => {
    upstream.behaviour = 'empty'
    await failure(engine().run(generate, { signal: never() }), 'NO_IMAGES')
  })

  it("stops with TIMEOUT when the runner's deadline aborts the signal", async () => {
    upstream.behaviour = 'hang'
    await failure(engine().run(generate, { signal: AbortSignal.timeout(50) }), 'TIMEOUT')
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
})

describe('describeError', () => {
  it('reads FastAPI validation lists, handler errors and plain details', () => {
    expect(
      describeError({
        detail: [
          { loc: ['body', 'width'], msg: 'value is not a valid integer', type: 'type_error.integer' },
          { loc: ['body', 'cfg_scale'], msg: 'value is not a valid float', type: 'type_error.float' },
        ],
      }),
    ).toBe('width: value is not a valid integer; cfg_scale: value is not a valid float')
    expect(
      describeError({ error: 'HTTPException', detail: 'Sampler not found', body: '', errors: '400: …' }),
    ).toBe('Sampler not found')
    expect(describeError({ error: 'RuntimeError', detail: '', body: '', errors: 'boom' })).toBe(
      'RuntimeError: boom',
    )
    expect(describeError({ detail: 'Not Found' })).toBe('Not Found')
    expect(describeError('<html>')).toBe('')
  })
})

async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
