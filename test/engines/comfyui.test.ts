import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkpointsOf } from '../../src/engines/comfyui/checkpoints.ts'
import { describeRejection } from '../../src/engines/comfyui/client.ts'
import { DEFAULT_WORKFLOWS } from '../../src/engines/comfyui/default-workflows.ts'
import { ComfyUiEngine, type ComfyUiEngineOptions } from '../../src/engines/comfyui/engine.ts'
import { describeExecutionError } from '../../src/engines/comfyui/history.ts'
import { comfyMaskFromOpenAi } from '../../src/engines/comfyui/mask.ts'
import { WorkflowProgress } from '../../src/engines/comfyui/progress.ts'
import { type ApiWorkflow, checkWorkflow } from '../../src/engines/comfyui/workflow.ts'
import {
  EngineError,
  type EngineErrorCode,
  type EngineProgress,
  type EngineRequest,
} from '../../src/engines/engine.ts'
import { decodePng, encodePng, pngInfo, type RgbaImage } from '../../src/images/png.ts'
import { type FakeComfyUi, startFakeComfyUi } from '../support/fake-comfyui.ts'
import { INPAINT_COLOUR, type Prompt } from '../support/fake-comfyui-nodes.ts'

const CHECKPOINTS = checkpointsOf('sdxl=sd_xl_base_1.0.safetensors, v1-5-pruned-emaonly.safetensors')

let upstream: FakeComfyUi
const opened: ComfyUiEngine[] = []
const fakes: FakeComfyUi[] = []
beforeEach(async () => {
  upstream = await startFakeComfyUi()
  fakes.push(upstream)
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((e) => e.close()))
  await Promise.all(fakes.splice(0).map((f) => f.close()))
})

function engine(options: Partial<ComfyUiEngineOptions> = {}): ComfyUiEngine {
  const made = new ComfyUiEngine({ urls: [upstream.url], checkpoints: CHECKPOINTS, pollMs: 5, ...options })
  opened.push(made)
  return made
}

async function another(): Promise<FakeComfyUi> {
  const fake = await startFakeComfyUi()
  fakes.push(fake)
  return fake
}

const base = {
  n: 1,
  size: '256x256',
  width: 256,
  height: 256,
  quality: 'standard',
  seed: 42,
  model: 'sdxl',
} as const
const generate: EngineRequest = { ...base, operation: 'generate', prompt: 'a lighthouse at dusk' }
const never = () => new AbortController().signal

function rgba(width: number, height: number, pixel: (x: number, y: number) => number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4)
  return { width, height, data }
}
const square = (size: number, pixel: (x: number, y: number) => number[]) => rgba(size, size, pixel)
const at = (image: RgbaImage, x: number, y: number) => [
  ...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4),
]

/** OpenAI-style: the left half transparent (change it), the right half opaque (keep it). */
const leftHalfMask = (size: number) =>
  encodePng(square(size, (x) => (x < size / 2 ? [0, 0, 0, 0] : [0, 0, 0, 255])))
const photo = (size: number) => encodePng(square(size, (x, y) => [x % 256, y % 256, 77, 255]))

/** The workflow the fake received last, and its nodes by class. */
function lastPrompt(fake = upstream): Prompt {
  return fake.prompts.at(-1)!.prompt
}
function node(prompt: Prompt, classType: string) {
  const found = Object.values(prompt).find((n) => n.class_type === classType)
  if (!found) throw new Error(`no ${classType} node`)
  return found.inputs
}

async function failure(run: Promise<unknown>, code: EngineErrorCode): Promise<EngineError> {
  const error = await run.then(
    () => expect.unreachable('the run should have failed'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EngineError)
  expect((error as EngineError).code, (error as EngineError).message).toBe(code)
  return error as EngineError
}

describe('ComfyUI pieces', () => {
  it("ships default workflows that pass the same checks as an operator's", () => {
    for (const op of ['generate', 'edit', 'variation'] as const) {
      expect(checkWorkflow(op, DEFAULT_WORKFLOWS[op].prompt, DEFAULT_WORKFLOWS[op].mapping), op).toEqual([])
    }
  })

  it('turns an OpenAI mask into ComfyUI polarity: transparent → white (change), the rest black, opaque', () => {
    const mask = encodePng(square(4, (x) => [90, 90, 90, [0, 1, 128, 255][x]!]))
    const converted = decodePng(comfyMaskFromOpenAi(mask, 4, 4))
    for (let y = 0; y < 4; y++) {
      expect(at(converted, 0, y)).toEqual([255, 255, 255, 255])
      for (const x of [1, 2, 3]) expect(at(converted, x, y)).toEqual([0, 0, 0, 255])
    }
  })

  it('names checkpoints by name=file, or by the file name without folder and extension', () => {
    expect(checkpointsOf('sdxl=sd_xl_base_1.0.safetensors, SD15/v1-5-pruned-emaonly.ckpt')).toEqual([
      { name: 'sdxl', file: 'sd_xl_base_1.0.safetensors' },
      { name: 'v1-5-pruned-emaonly', file: 'SD15/v1-5-pruned-emaonly.ckpt' },
    ])
  })

  it('counts progress over every sampler of a workflow, never going back, and leaves other counters out', () => {
    const sampler = (steps?: number) => ({
      class_type: steps === undefined ? 'SamplerCustom' : 'KSampler',
      inputs: { latent_image: ['5', 0], ...(steps === undefined ? {} : { steps }) },
    })
    const two = new WorkflowProgress({
      '3': sampler(20),
      '13': sampler(10),
      '8': { class_type: 'VAEDecodeTiled', inputs: {} },
    })
    expect(two.step('3', 1, 20)).toEqual({ done: 1, total: 30 })
    expect(two.step('3', 20, 20)).toEqual({ done: 20, total: 30 })
    expect(two.step('8', 1, 4)).toBeNull() // a tiled decode counts its tiles
    expect(two.step('13', 5, 10)).toEqual({ done: 25, total: 30 })
    expect(two.step('13', 10, 10)).toEqual({ done: 30, total: 30 })

    // A sampler without a steps literal counts as the max it reports; until then, as the others.
    const custom = new WorkflowProgress({ '3': sampler(20), '30': sampler() })
    expect(custom.step('3', 20, 20)).toEqual({ done: 20, total: 40 })
    // Its real count (40) lowers the fraction (20/60 < 20/40): not told until it has caught up.
    expect(custom.step('30', 1, 40)).toBeNull()
    expect(custom.step('30', 40, 40)).toEqual({ done: 60, total: 60 })

    // No sampler at all: ComfyUI's own count, node by node.
    const none = new WorkflowProgress({ '1': { class_type: 'UpscaleWithModel', inputs: {} } })
    expect(none.step('1', 3, 8)).toEqual({ done: 3, total: 8 })
    expect(none.step('1', 3, 0)).toBeNull()
  })

  it("describes ComfyUI's refusals and execution errors by node", () => {
    expect(
      describeRejection({
        error: {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details: '',
        },
        node_errors: {
          '4': {
            class_type: 'CheckpointLoaderSimple',
            errors: [{ message: 'Value not in list', details: "ckpt_name: 'x.safetensors' not in []" }],
          },
        },
      }),
    ).toBe("CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'x.safetensors' not in []")
    expect(
      describeRejection({
        error: { message: 'Cannot execute because node Foo does not exist.', details: "Node ID '#3'" },
        node_errors: {},
      }),
    ).toBe("Cannot execute because node Foo does not exist.: Node ID '#3'")
    expect(
      describeExecutionError({
        node_id: '3',
        node_type: 'KSampler',
        exception_type: 'RuntimeError',
        exception_message: 'boom',
      }),
    ).toBe('KSampler (node 3) failed: RuntimeError: boom')
  })
})

describe('ComfyUiEngine operations', () => {
  it('generates with the txt2img workflow: prompt, seed, size, batch of n, checkpoint, steps; over the websocket', async () => {
    const progress: EngineProgress[] = []
    const result = await engine({ negativePrompt: 'blurry' }).run(
      { ...generate, n: 3, size: '512x512', width: 512, height: 512 },
      { signal: never(), onProgress: (p) => progress.push(p) },
    )

    expect(upstream.prompts).toHaveLength(1)
    const prompt = lastPrompt()
    expect(upstream.prompts[0]!.clientId).toMatch(/^easel-/)
    expect(node(prompt, 'CheckpointLoaderSimple')).toEqual({ ckpt_name: 'sd_xl_base_1.0.safetensors' })
    expect(prompt['6']!.inputs.text).toBe('a lighthouse at dusk')
    expect(prompt['7']!.inputs.text).toBe('blurry')
    expect(node(prompt, 'EmptyLatentImage')).toEqual({ width: 512, height: 512, batch_size: 3 })
    expect(node(prompt, 'KSampler')).toMatchObject({ seed: 42, steps: 20, denoise: 1 })
    expect(result.images).toHaveLength(3)
    for (const image of result.images) {
      expect([image.width, image.height]).toEqual([512, 512])
      expect(pngInfo(image.png)).toMatchObject({ width: 512, height: 512 })
    }
    expect(progress[0]).toEqual({ done: 1, total: 20 })
    expect(progress.at(-1)).toEqual({ done: 20, total: 20 })
    // Followed by its events: no polling of /history before the prompt was over.
    expect(upstream.requests.filter((r) => r.startsWith('GET /history'))).toHaveLength(1)
    expect(upstream.requests).not.toContain('GET /queue')
  })

  it('maps quality to sampling steps, asks for the checkpoint the model names, and draws non-square sizes', async () => {
    const e = engine()
    await e.run({ ...generate, quality: 'low' }, { signal: never() })
    expect(node(lastPrompt(), 'KSampler').steps).toBe(12)
    await e.run({ ...generate, quality: 'hd', model: 'v1-5-pruned-emaonly' }, { signal: never() })
    expect(node(lastPrompt(), 'KSampler').steps).toBe(30)
    expect(node(lastPrompt(), 'CheckpointLoaderSimple').ckpt_name).toBe('v1-5-pruned-emaonly.safetensors')
    const wide = await e.run(
      { ...generate, size: '1536x1024', width: 1536, height: 1024 },
      { signal: never() },
    )
    expect(node(lastPrompt(), 'EmptyLatentImage')).toMatchObject({ width: 1536, height: 1024 })
    expect(pngInfo(wide.images[0]!.png)).toMatchObject({ width: 1536, height: 1024 })
    expect(e.models).toEqual(['sdxl', 'v1-5-pruned-emaonly'])
    expect(e.sizes).toContain('1792x1024')
  })

  it('inpaints an edit: image and mask uploaded, the mask in ComfyUI polarity, only the transparent area changed', async () => {
    const image = photo(256)
    const result = await engine().run(
      { ...base, n: 2, operation: 'edit', prompt: 'a boat', image, mask: leftHalfMask(256) },
      { signal: never() },
    )

    const prompt = lastPrompt()
    const loaded = node(prompt, 'LoadImage').image as string
    const maskName = node(prompt, 'LoadImageMask').image as string
    expect(node(prompt, 'LoadImageMask').channel).toBe('red')
    expect(upstream.uploads.get(loaded)!.equals(image)).toBe(true)
    const mask = decodePng(upstream.uploads.get(maskName)!)
    expect(at(mask, 10, 10)).toEqual([255, 255, 255, 255])
    expect(at(mask, 200, 10)).toEqual([0, 0, 0, 255])
    expect(node(prompt, 'RepeatLatentBatch').amount).toBe(2)
    expect(node(prompt, 'VAEEncodeForInpaint')).toMatchObject({ pixels: ['10', 0], mask: ['11', 0] })
    expect(prompt['6']!.inputs.text).toBe('a boat')
    // End to end: what ComfyUI re-drew is what OpenAI's convention says to change.
    expect(result.images).toHaveLength(2)
    const out = decodePng(result.images[0]!.png)
    expect(at(out, 10, 10).slice(0, 3)).toEqual([...INPAINT_COLOUR])
    expect(at(out, 200, 10)).toEqual([200, 10, 77, 255])
  })

  it("takes an edit's mask from its image's transparency when it has no mask, and scales inputs to the size asked", async () => {
    const image = encodePng(square(512, (x) => (x < 256 ? [0, 0, 0, 0] : [10, 20, 30, 255])))
    await engine().run({ ...base, operation: 'edit', prompt: 'sky', image, mask: null }, { signal: never() })
    const prompt = lastPrompt()
    expect(pngInfo(upstream.uploads.get(node(prompt, 'LoadImage').image as string)!)).toMatchObject({
      width: 256,
    })
    const mask = decodePng(upstream.uploads.get(node(prompt, 'LoadImageMask').image as string)!)
    expect([mask.width, at(mask, 5, 5), at(mask, 250, 5)]).toEqual([
      256,
      [255, 255, 255, 255],
      [0, 0, 0, 255],
    ])
  })

  it('changes an opaque image without a mask as a whole: img2img following the prompt', async () => {
    await engine().run(
      { ...base, operation: 'edit', prompt: 'at night', image: photo(256), mask: null },
      { signal: never() },
    )
    const prompt = lastPrompt()
    expect(Object.values(prompt).map((n) => n.class_type)).not.toContain('LoadImageMask')
    expect(node(prompt, 'KSampler').denoise).toBe(0.75)
    expect(prompt['6']!.inputs.text).toBe('at night')
  })

  it('makes variations with img2img at partial denoise, n by RepeatLatentBatch', async () => {
    const result = await engine().run(
      { ...base, n: 3, seed: 7, operation: 'variation', image: photo(256), prompt: null },
      { signal: never() },
    )
    const prompt = lastPrompt()
    expect(node(prompt, 'VAEEncode').pixels).toEqual(['10', 0])
    expect(node(prompt, 'RepeatLatentBatch').amount).toBe(3)
    expect(node(prompt, 'KSampler')).toMatchObject({ denoise: 0.6, seed: 7 })
    expect(prompt['6']!.inputs.text).toBe('')
    expect(result.images).toHaveLength(3)
  })

  it('reports progress over a workflow with two samplers (base, then a refiner) that only ever grows', async () => {
    const base = DEFAULT_WORKFLOWS.generate
    const refined: ApiWorkflow = {
      ...base.prompt,
      '20': {
        class_type: 'KSampler',
        inputs: { ...base.prompt['3']!.inputs, steps: 10, denoise: 0.3, latent_image: ['3', 0] },
      },
      '8': { class_type: 'VAEDecode', inputs: { samples: ['20', 0], vae: ['4', 2] } },
    }
    const progress: EngineProgress[] = []
    const result = await engine({ workflows: { generate: { prompt: refined, mapping: base.mapping } } }).run(
      generate,
      { signal: never(), onProgress: (p) => progress.push(p) },
    )
    expect(result.images).toHaveLength(1)
    expect(progress).toHaveLength(30)
    const fractions = progress.map((p) => p.done / p.total)
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b))
    expect(progress[0]).toEqual({ done: 1, total: 30 })
    expect(progress.at(-1)).toEqual({ done: 30, total: 30 })
  })

  it('sends HTTP basic credentials written into the URL, to HTTP and the websocket', async () => {
    const guarded = await startFakeComfyUi({ auth: { username: 'easel', password: 'p@ss:word' } })
    fakes.push(guarded)
    const url = new URL(guarded.url)
    url.username = 'easel'
    url.password = encodeURIComponent('p@ss:word')
    const progress: EngineProgress[] = []
    await engine({ urls: [url.href] }).run(generate, { signal: never(), onProgress: (p) => progress.push(p) })
    expect(guarded.prompts).toHaveLength(1)
    expect(progress).toHaveLength(20)
  })
})

describe('ComfyUiEngine cancel', () => {
  it('takes a waiting prompt off the queue, and leaves the running one alone', async () => {
    upstream.hold()
    const e = engine()
    const first = e.run(generate, { signal: never() })
    await upstream.started(1)
    const cancel = new AbortController()
    const second = e.run({ ...generate, prompt: 'second' }, { signal: cancel.signal })
    await upstream.queued(2)
    const cancelled = new EngineError('CANCELLED', 'the job was cancelled')
    cancel.abort(cancelled)
    expect(await failure(second, 'CANCELLED')).toBe(cancelled)

    const [running, waiting] = upstream.prompts
    expect(upstream.deletes).toEqual([waiting!.id])
    expect(upstream.interrupts).toEqual([])
    expect([running!.status, waiting!.status]).toEqual(['running', 'deleted'])
    upstream.release()
    expect((await first).images).toHaveLength(1)
  })

  it('interrupts the running prompt by its id; the one waiting behind it runs on', async () => {
    upstream.hold()
    const e = engine()
    const cancel = new AbortController()
    const first = e.run(generate, { signal: cancel.signal })
    await upstream.started(1)
    const second = e.run({ ...generate, prompt: 'second' }, { signal: never() })
    await upstream.queued(2)
    cancel.abort(new EngineError('CANCELLED', 'the job was cancelled'))
    await failure(first, 'CANCELLED')

    const [running, waiting] = upstream.prompts
    expect(upstream.interrupts).toEqual([running!.id])
    await upstream.started(2)
    expect([running!.status, waiting!.status]).toEqual(['interrupted', 'running'])
    upstream.release()
    expect((await second).images).toHaveLength(1)
    expect(upstream.interrupts).not.toContain(null)
  })

  it("stops with TIMEOUT when the runner's deadline aborts, withdrawing the prompt", async () => {
    upstream.hold()
    const deadline = new AbortController()
    const run = engine().run(generate, { signal: deadline.signal })
    await upstream.started(1)
    deadline.abort()
    await failure(run, 'TIMEOUT')
    expect(upstream.interrupts).toEqual([upstream.prompts[0]!.id])
  })
})

describe('ComfyUiEngine failures', () => {
  it("fails with UPSTREAM_ERROR and ComfyUI's reason on execution_error", async () => {
    upstream.failure = 'execution_error'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(error.message).toBe(
      `ComfyUI at ${upstream.url}: KSampler (node 3) failed: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB`,
    )
  })

  it('fails with UPSTREAM_REJECTED naming the node when ComfyUI refuses the workflow', async () => {
    upstream.failure = 'node_errors'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_REJECTED')
    expect(error.message).toContain(
      "KSampler (node 3): Value not in list: sampler_name: 'euler' not in ['dpmpp_2m']",
    )
    upstream.failure = null
    upstream.checkpoints = ['other.safetensors']
    const missing = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_REJECTED')
    expect(missing.message).toContain(
      'ckpt_name: \'sd_xl_base_1.0.safetensors\' not in ["other.safetensors"]',
    )
  })

  it('reads an execution_error from /history when there is no websocket', async () => {
    upstream.failure = 'execution_error'
    upstream.websocket = false
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(error.message).toBe(
      `ComfyUI at ${upstream.url}: KSampler (node 3) failed: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB`,
    )
  })

  it('waits for a slow backend on its websocket, without polling, and finishes once it does', async () => {
    upstream.hold()
    const progress: EngineProgress[] = []
    let firstStep!: () => void
    const stepped = new Promise<void>((resolve) => {
      firstStep = resolve
    })
    const run = engine().run(generate, {
      signal: never(),
      onProgress: (p) => {
        progress.push(p)
        firstStep()
      },
    })
    await stepped
    expect(progress).toEqual([{ done: 1, total: 20 }])
    expect(upstream.requests.filter((r) => r.startsWith('GET /history') || r === 'GET /queue')).toEqual([])
    upstream.release()
    expect((await run).images).toHaveLength(1)
    expect(progress.at(-1)).toEqual({ done: 20, total: 20 })
    expect(upstream.requests.filter((r) => r.startsWith('GET /history'))).toHaveLength(1)
  })

  it('follows the run by polling /history when the websocket drops mid-run', async () => {
    upstream.failure = 'drop_ws'
    const progress: EngineProgress[] = []
    const result = await engine().run(generate, { signal: never(), onProgress: (p) => progress.push(p) })
    expect(result.images).toHaveLength(1)
    expect(progress.length).toBeLessThan(20)
    expect(upstream.requests).toContain('GET /queue')
  })

  it('works without a websocket at all (a proxy that refuses upgrades), by polling', async () => {
    upstream.websocket = false
    const result = await engine().run({ ...generate, n: 2 }, { signal: never() })
    expect(result.images).toHaveLength(2)
  })

  it('fails with UPSTREAM_ERROR when someone else interrupts the prompt on the server', async () => {
    upstream.failure = 'interrupted'
    const error = await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(error.message).toContain('interrupted the prompt')
    upstream.websocket = false
    await failure(engine().run(generate, { signal: never() }), 'UPSTREAM_ERROR')
  })

  it('fails with UPSTREAM_ERROR, without the credentials, when the server cannot be reached', async () => {
    const url = new URL(await closedPortUrl())
    url.username = 'easel'
    url.password = 'hunter2'
    const error = await failure(
      engine({ urls: [url.href] }).run(generate, { signal: never() }),
      'UPSTREAM_ERROR',
    )
    expect(error.message).toMatch(
      /^ComfyUI at http:\/\/127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)$/,
    )
    expect(error.message).not.toContain('hunter2')
  })
})

describe('ComfyUiEngine backends', () => {
  it('sends a run to the least busy backend', async () => {
    const second = await another()
    upstream.hold()
    const e = engine({ urls: [upstream.url, second.url] })
    const first = e.run(generate, { signal: never() })
    await upstream.started(1)
    expect(e.backends().map((b) => b.running)).toEqual([1, 0])
    await e.run(generate, { signal: never() })
    expect([upstream.prompts.length, second.prompts.length]).toEqual([1, 1])
    upstream.release()
    await first
    expect(e.backends().map((b) => [b.url, b.healthy, b.running])).toEqual([
      [upstream.url, true, 0],
      [second.url, true, 0],
    ])
  })

  it('takes a backend that is down out of rotation, and runs go to the other', async () => {
    const second = await another()
    const down = await closedPortUrl()
    const e = engine({ urls: [down, second.url], pool: { failuresBeforeOut: 1 } })
    await failure(e.run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    await e.run(generate, { signal: never() })
    expect(second.prompts).toHaveLength(1)
    const [out] = e.backends()
    expect(out).toMatchObject({ url: down, healthy: false })
    expect(out!.lastError).toContain('could not be reached')
  })

  it('takes out a backend after repeated errors, and brings it back once its health check passes', async () => {
    const second = await another()
    let now = 1_000_000
    const e = engine({
      urls: [upstream.url, second.url],
      pool: { failuresBeforeOut: 2, retryAfterMs: 60_000, now: () => now },
    })
    upstream.failure = 'execution_error'
    await failure(e.run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    await failure(e.run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(e.backends()[0]).toMatchObject({ healthy: false, retryAt: now + 60_000 })
    await e.run(generate, { signal: never() })
    expect([upstream.prompts.length, second.prompts.length]).toEqual([2, 1])

    // The second fails too and is out; the first is mended, the second now fails its check.
    second.failure = 'execution_error'
    await failure(e.run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    await failure(e.run(generate, { signal: never() }), 'UPSTREAM_ERROR')
    expect(e.backends().map((b) => b.healthy)).toEqual([false, false])
    upstream.failure = null
    second.failure = 'unhealthy'
    now += 60_001
    const result = await e.run(generate, { signal: never() })
    expect(result.images).toHaveLength(1)
    expect(upstream.requests).toContain('GET /system_stats')
    const [back, out] = e.backends()
    expect(back).toMatchObject({ healthy: true, retryAt: null })
    expect(out).toMatchObject({ healthy: false })
    expect(out!.lastError).toContain('health check failed')
  })
})

async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
