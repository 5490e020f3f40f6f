import OpenAI, { toFile } from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JobBody } from '../../src/contracts/index.ts'
import { decodePng, encodePng, pngInfo } from '../../src/images/png.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseAs } from '../support/contracts.ts'
import { type FakeComfyUi, startFakeComfyUi } from '../support/fake-comfyui.ts'
import { INPAINT_COLOUR } from '../support/fake-comfyui-nodes.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

/**
 * Easel with the comfyui engine on, against a local fake ComfyUI: through the OpenAI-style API, and
 * jobs of the native API followed by their events and cancelled.
 */
describe.each(BACKENDS)('the comfyui engine through /v1 (%s)', (backend) => {
  let comfy: FakeComfyUi
  // Read when the server starts, in useTestServer's beforeAll: after this one has started the fake.
  const env: Record<string, string> = { EASEL_COMFYUI_MODELS: 'sdxl=sd_xl_base_1.0.safetensors' }
  beforeAll(async () => {
    comfy = await startFakeComfyUi()
    env.EASEL_COMFYUI_URLS = comfy.url
  })
  const t = useTestServer(backend, { env })
  afterAll(async () => {
    await comfy?.close()
  })

  const sdk = (user: TestUser) =>
    new OpenAI({ baseURL: `${t.current.url}/v1`, apiKey: user.apiKey, maxRetries: 0 })
  async function balance(user: TestUser) {
    const b = await t.current.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return b.value
  }
  const picture = (size: number) => {
    const data = new Uint8Array(size * size * 4)
    for (let i = 0; i < size * size; i++) data.set([(i % size) % 256, 40, 90, 255], i * 4)
    return encodePng({ width: size, height: size, data })
  }
  /** OpenAI-style: the left half transparent (change it). */
  const leftHalfMask = (size: number) => {
    const data = new Uint8Array(size * size * 4)
    for (let i = 0; i < size * size; i++) data.set([0, 0, 0, i % size < size / 2 ? 0 : 255], i * 4)
    return encodePng({ width: size, height: size, data })
  }

  it('a generation, an edit with a mask and a variation each charge 1 credit', async () => {
    const user = await t.current.user()
    const client = sdk(user)
    const generated = await client.images
      .generate({
        model: 'sdxl',
        prompt: 'a fox in the snow',
        n: 2,
        size: '256x256',
        response_format: 'b64_json',
      })
      .withResponse()
    expect(generated.data.data).toHaveLength(2)
    expect(generated.response.headers.get('x-credits-charged')).toBe('1')
    const sent = comfy.prompts.at(-1)!.prompt
    expect(sent['6']!.inputs.text).toBe('a fox in the snow')
    expect(sent['5']!.inputs).toEqual({ width: 256, height: 256, batch_size: 2 })

    const edited = await client.images
      .edit({
        model: 'sdxl',
        image: await toFile(picture(256), 'image.png', { type: 'image/png' }),
        mask: await toFile(leftHalfMask(256), 'mask.png', { type: 'image/png' }),
        prompt: 'a boat',
        n: 1,
        size: '256x256',
        response_format: 'b64_json',
      })
      .withResponse()
    expect(edited.response.headers.get('x-credits-charged')).toBe('1')
    const out = decodePng(Buffer.from(edited.data.data![0]!.b64_json!, 'base64'))
    const pixel = (x: number) => [...out.data.subarray((20 * 256 + x) * 4, (20 * 256 + x) * 4 + 3)]
    expect(pixel(10)).toEqual([...INPAINT_COLOUR])
    expect(pixel(200)).toEqual([200, 40, 90])

    const varied = await client.images
      .createVariation({
        model: 'sdxl',
        image: await toFile(picture(256), 'in.png', { type: 'image/png' }),
        n: 1,
        size: '256x256',
      })
      .withResponse()
    expect(varied.data.data).toHaveLength(1)
    expect(varied.response.headers.get('x-credits-charged')).toBe('1')
    const url = varied.data.data![0]!.url!
    expect(pngInfo(Buffer.from(await (await fetch(url)).arrayBuffer()))).toMatchObject({
      width: 256,
      height: 256,
    })
    expect(comfy.prompts.at(-1)!.prompt['3']!.inputs.denoise).toBe(0.6)

    expect(await balance(user)).toMatchObject({ available: 12, held: 0 })
  })

  /** Starts a native job for ComfyUI (202). */
  async function start(user: TestUser, prompt: string): Promise<JobBody> {
    const res = await keyed(t.current.url, user.apiKey)('POST', '/api/jobs', {
      kind: 'generate',
      prompt,
      n: 1,
      size: '256x256',
      model: 'sdxl',
    })
    expect(res.status, res.text).toBe(202)
    return res.as(JobBody)
  }
  const cancel = async (user: TestUser, id: string) => {
    const res = await keyed(t.current.url, user.apiKey)('POST', `/api/jobs/${id}/cancel`)
    expect(res.status, res.text).toBe(200)
    return res.as(JobBody)
  }
  /** The prompt ComfyUI received for a job, by its prompt text (each test's own). */
  const promptOf = (text: string) => {
    const found = comfy.prompts.find((p) => p.prompt['6']?.inputs.text === text)
    if (!found) throw new Error(`ComfyUI received no prompt "${text}"`)
    return found
  }

  /** A job's event stream, read one `job` event at a time. */
  async function jobEvents(user: TestUser, jobId: string) {
    const response = await fetch(`${t.current.url}/api/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    const next = async (): Promise<JobBody> => {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end < 0) {
          const { done, value } = await reader.read()
          if (done) throw new Error('the event stream ended')
          buffer += decoder.decode(value, { stream: true })
          continue
        }
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data: '))
        buffer = buffer.slice(end + 2)
        if (data !== undefined) return parseAs(JobBody, JSON.parse(data.slice('data: '.length)))
        // else the keep-alive comment
      }
    }
    return {
      next,
      /** Reads events until one satisfies `test` (at most `bound` events). */
      async until(test: (job: JobBody) => boolean, bound = 20): Promise<JobBody> {
        for (let i = 0; i < bound; i++) {
          const job = await next()
          if (test(job)) return job
        }
        throw new Error(`no such event within ${bound}`)
      },
      close: () => reader.cancel().catch(() => {}),
    }
  }

  it("shows a running job's progress as 0–1, and its cancel interrupts that prompt alone at ComfyUI", async () => {
    const user = await t.current.user()
    // Nothing is reported until the job's events are followed; then the run stops after its first
    // of 20 sampling steps.
    comfy.pauseSteps()
    comfy.hold()
    try {
      const job = await start(user, 'a lantern in the fog')
      const events = await jobEvents(user, job.id)
      try {
        await events.next() // the job as it is: from here on, every change is told
        comfy.resumeSteps()
        const running = await events.until((j) => j.progress !== null && j.progress > 0)
        expect(running).toMatchObject({ status: 'running', progress: 0.05 })
      } finally {
        await events.close()
      }
      expect(await balance(user)).toMatchObject({ held: 1 })

      const prompt = promptOf('a lantern in the fog')
      expect(await cancel(user, job.id)).toMatchObject({ status: 'cancelled', creditsCharged: 0 })
      expect((await comfy.settled(prompt.id)).status).toBe('interrupted')
      expect(comfy.interrupts.at(-1)).toBe(prompt.id)
      expect(comfy.interrupts).not.toContain(null)
      expect(comfy.deletes).toContain(prompt.id) // asked first: a no-op for a prompt already running
    } finally {
      comfy.release()
    }
    expect(await balance(user)).toMatchObject({ available: 15, held: 0 })
  })

  it("takes a job waiting in ComfyUI's queue off it on cancel; the one running there goes on", async () => {
    const user = await t.current.user()
    comfy.hold()
    let running: JobBody | undefined
    try {
      const before = comfy.prompts.length
      running = await start(user, 'the first in line')
      await comfy.queued(before + 1)
      // Two jobs at a time reach the engine (the default): the second waits in ComfyUI's queue,
      // behind the first, which ComfyUI holds.
      const waiting = await start(user, 'the second in line')
      await comfy.queued(before + 2)
      const prompt = promptOf('the second in line')
      expect([promptOf('the first in line').status, prompt.status]).toEqual(['running', 'pending'])

      expect(await cancel(user, waiting.id)).toMatchObject({ status: 'cancelled', creditsCharged: 0 })
      expect((await comfy.settled(prompt.id)).status).toBe('deleted')
      expect(comfy.deletes.at(-1)).toBe(prompt.id)
      expect(comfy.interrupts).not.toContain(prompt.id)
      expect(comfy.interrupts).not.toContain(promptOf('the first in line').id)
      expect(promptOf('the first in line').status).toBe('running')
    } finally {
      comfy.release()
    }
    const done = await t.current.server.services.studio.waitForJob(user.user.accountId, running.id)
    expect(done).toMatchObject({ status: 'succeeded', creditsCharged: 1 })
    expect(await balance(user)).toMatchObject({ available: 14, held: 0 })
  })

  it('a failing backend charges nothing, and the ledger stays whole', async () => {
    const user = await t.current.user()
    comfy.failure = 'execution_error'
    try {
      const failed = (await sdk(user)
        .images.generate({ model: 'sdxl', prompt: 'x', size: '256x256' })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
      expect(failed.status).toBe(502)
      expect(failed.type).toBe('server_error')
    } finally {
      comfy.failure = null
    }
    expect(await balance(user)).toMatchObject({ available: 15, held: 0 })
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  })
})
