import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { EngineError, type EngineProgress, type EngineRequest } from '../../src/engines/engine.ts'
import {
  progressOf,
  runningTask,
  SdWebUiEngine,
  type SdWebUiEngineOptions,
} from '../../src/engines/sdwebui/engine.ts'
import { type FakeSdWebUi, startFakeSdWebUis } from '../support/fake-sdwebui.ts'

const generate: EngineRequest = {
  operation: 'generate',
  prompt: 'a lighthouse at dusk',
  n: 1,
  size: '256x256',
  width: 256,
  height: 256,
  quality: 'standard',
  seed: 42,
  model: 'stable-diffusion',
}
const never = () => new AbortController().signal

let fakes: FakeSdWebUi[] = []
const engines: SdWebUiEngine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()))
  await Promise.all(fakes.map((f) => f.close()))
  fakes = []
})

async function webUis(count: number): Promise<FakeSdWebUi[]> {
  fakes = await startFakeSdWebUis(count)
  return fakes
}

function engine(urls: string[], options: Partial<SdWebUiEngineOptions> = {}): SdWebUiEngine {
  const created = new SdWebUiEngine({ urls, progressIntervalMs: 2, ...options })
  engines.push(created)
  return created
}

/** A clock the test moves by hand, so a backend's retry time comes without waiting. */
function clock() {
  let t = 1_700_000_000_000
  return {
    now: () => t,
    advance(ms: number) {
      t += ms
    },
  }
}

const generations = (fake: FakeSdWebUi) => fake.requests.filter((r) => r.path === '/sdapi/v1/txt2img')
const progressCalls = (fake: FakeSdWebUi) => fake.requests.filter((r) => r.path === '/sdapi/v1/progress')

async function rejection(run: Promise<unknown>): Promise<EngineError> {
  const error = await run.then(
    () => expect.unreachable('the run should have failed'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EngineError)
  return error as EngineError
}

describe('several WebUIs', () => {
  it('sends overlapping runs to different WebUIs, the least busy first', async () => {
    const [a, b] = await webUis(2)
    a!.holdJobs = true
    b!.holdJobs = true
    const e = engine([a!.url, b!.url])
    const first = e.run(generate, { signal: never() })
    const second = e.run(generate, { signal: never() })
    await Promise.all([a!.jobsStarted(1), b!.jobsStarted(1)])
    expect(e.backends().map((s) => s.running)).toEqual([1, 1])

    a!.finishJob()
    await first
    b!.finishJob()
    await second
    expect([generations(a!).length, generations(b!).length]).toEqual([1, 1])
    // Idle again: the first listed takes the next run.
    a!.holdJobs = false
    await e.run(generate, { signal: never() })
    expect([generations(a!).length, generations(b!).length]).toEqual([2, 1])
  })

  it('takes a failing WebUI out, checks it after its retry time and puts it back', async () => {
    const [a, b] = await webUis(2)
    const c = clock()
    const e = engine([a!.url, b!.url], { pool: { failuresBeforeOut: 2, retryAfterMs: 30_000, now: c.now } })
    a!.down = true
    for (let i = 0; i < 2; i++) {
      const error = await rejection(e.run(generate, { signal: never() }))
      expect(error.code).toBe('UPSTREAM_ERROR')
      expect(error.message).toContain(`the Stable Diffusion WebUI at ${a!.url} failed (HTTP 503)`)
    }
    expect(e.backends()).toEqual([
      {
        url: a!.url,
        healthy: false,
        running: 0,
        lastError: `2 failures in a row, the last: the Stable Diffusion WebUI at ${a!.url} failed (HTTP 503)`,
        checkedAt: c.now(),
        retryAt: c.now() + 30_000,
      },
      { url: b!.url, healthy: true, running: 0, lastError: null, checkedAt: null, retryAt: null },
    ])

    // Out: B serves, and A is not asked anything.
    const asked = a!.requests.length
    await e.run(generate, { signal: never() })
    expect(generations(b!)).toHaveLength(1)
    expect(a!.requests).toHaveLength(asked)

    // Past the retry time, while still down: its health check fails and it stays out.
    c.advance(30_000)
    b!.holdJobs = true
    const busy = e.run(generate, { signal: never() })
    await a!.received(asked + 1)
    expect(a!.requests[asked]).toMatchObject({ method: 'GET', path: '/sdapi/v1/progress' })
    await b!.jobsStarted(2)
    b!.holdJobs = false
    b!.finishJob()
    await busy

    // Back up: the next check passes and A serves again.
    a!.down = false
    c.advance(30_000)
    await e.run(generate, { signal: never() }) // served by B; A's check runs beside it
    await a!.received(asked + 2)
    await expect.poll(() => e.backends()[0]!.healthy, { interval: 1 }).toBe(true)
    await e.run(generate, { signal: never() })
    // The two that failed while it was down, and this one.
    expect(generations(a!)).toHaveLength(3)
    expect(e.backends()[0]).toMatchObject({ healthy: true, retryAt: null })
  })

  it('fails with UPSTREAM_ERROR naming every WebUI when all are out', async () => {
    const [a, b] = await webUis(2)
    a!.down = true
    b!.down = true
    const e = engine([a!.url, b!.url], { pool: { failuresBeforeOut: 1, retryAfterMs: 60_000 } })
    await rejection(e.run(generate, { signal: never() }))
    await rejection(e.run(generate, { signal: never() }))
    const asked = a!.requests.length + b!.requests.length
    const error = await rejection(e.run(generate, { signal: never() }))
    expect(error.code).toBe('UPSTREAM_ERROR')
    expect(error.message).toMatch(/^no Stable Diffusion WebUI backend is available: /)
    expect(error.message).toContain(`${a!.url} 1 failures in a row`)
    expect(error.message).toContain(`${b!.url} 1 failures in a row`)
    expect(a!.requests.length + b!.requests.length).toBe(asked)
  })

  it('does not count a rejected request (422) against the WebUI', async () => {
    const [a] = await webUis(1)
    a!.behaviour = 'bad_request'
    const e = engine([a!.url], { pool: { failuresBeforeOut: 1 } })
    expect((await rejection(e.run(generate, { signal: never() }))).code).toBe('UPSTREAM_REJECTED')
    expect(e.backends()[0]).toMatchObject({ healthy: true, lastError: null })
  })

  it('health-checks with the credentials of the URL, or EASEL_SDWEBUI_AUTH', async () => {
    const [a] = await webUis(1)
    a!.down = true
    const url = new URL(a!.url)
    url.username = 'easel'
    url.password = 'secret'
    const c = clock()
    const e = engine([url.href], { pool: { failuresBeforeOut: 1, retryAfterMs: 1, now: c.now } })
    await rejection(e.run(generate, { signal: never() }))
    a!.down = false
    c.advance(1)
    await e.run(generate, { signal: never() })
    const expected = `Basic ${Buffer.from('easel:secret').toString('base64')}`
    expect(a!.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/sdapi/v1/txt2img', expected],
      ['/sdapi/v1/progress', expected],
      ['/sdapi/v1/txt2img', expected],
    ])
  })
})

describe('progress', () => {
  it("reports the run's sampling steps while its job runs", async () => {
    const [a] = await webUis(1)
    a!.holdJobs = true
    const seen: EngineProgress[] = []
    let reached!: () => void
    const halfway = new Promise<void>((resolve) => {
      reached = resolve
    })
    const run = engine([a!.url]).run(generate, {
      signal: never(),
      onProgress: (p) => {
        seen.push(p)
        if (p.done === 10) reached()
      },
    })
    await a!.jobsStarted(1)
    a!.running!.step = 10
    await halfway
    a!.finishJob()
    await run
    expect(seen.at(-1)).toEqual({ done: 10, total: 20 })
    expect(seen.every((p) => p.total === 20 && p.done <= 10)).toBe(true)
    expect(progressCalls(a!).length).toBeGreaterThan(0)
  })

  it('reports nothing while another client’s job runs there', async () => {
    const [a] = await webUis(1)
    a!.holdJobs = true
    const foreign = fetch(`${a!.url}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'theirs', steps: 30, force_task_id: 'someone-else' }),
    })
    await a!.jobsStarted(1)
    a!.running!.step = 12
    const seen: EngineProgress[] = []
    const run = engine([a!.url]).run(generate, { signal: never(), onProgress: (p) => seen.push(p) })
    await a!.received(5) // the foreign job, ours, and three progress polls
    expect(progressCalls(a!).length).toBeGreaterThanOrEqual(3)
    expect(seen).toEqual([])
    a!.finishJob()
    await foreign
    await a!.jobsStarted(2)
    a!.finishJob()
    await run
  })
})

describe('cancel', () => {
  it("interrupts the WebUI when the cancelled run's job is the one running", async () => {
    const [a] = await webUis(1)
    a!.holdJobs = true
    const controller = new AbortController()
    const run = engine([a!.url]).run(generate, { signal: controller.signal })
    await a!.jobsStarted(1)
    const ours = a!.started[0]!
    expect(ours).toMatch(/^easel-/)
    controller.abort(new EngineError('CANCELLED', 'the job was cancelled'))
    expect((await rejection(run)).code).toBe('CANCELLED')
    await a!.interrupts(1)
    expect(a!.interrupted).toEqual([ours])
  })

  it("never interrupts another client's job; interrupts its own once it starts", async () => {
    const [a] = await webUis(1)
    a!.holdJobs = true
    const foreign = fetch(`${a!.url}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'theirs', steps: 30, force_task_id: 'someone-else' }),
    })
    await a!.jobsStarted(1)
    const controller = new AbortController()
    const e = engine([a!.url])
    const run = e.run(generate, { signal: controller.signal })
    await a!.received(2)
    controller.abort(new EngineError('CANCELLED', 'the job was cancelled'))
    expect((await rejection(run)).code).toBe('CANCELLED')
    // The follow-up keeps looking while the other job runs, without touching it.
    const polled = progressCalls(a!).length
    await a!.received(a!.requests.length + 2)
    expect(progressCalls(a!).length).toBeGreaterThan(polled)
    expect(a!.interrupted).toEqual([])

    // The other job ends; the cancelled request still starts at the WebUI, and is interrupted.
    a!.finishJob()
    expect((await foreign).status).toBe(200)
    await a!.jobsStarted(2)
    await a!.interrupts(1)
    expect(a!.interrupted).toEqual([a!.started[1]])
    expect(a!.started[1]).toMatch(/^easel-/)
  })

  it('does not interrupt a WebUI that cannot say which task it runs (older than 1.9)', async () => {
    const [a] = await webUis(1)
    a!.holdJobs = true
    a!.reportsCurrentTask = false
    const controller = new AbortController()
    const e = engine([a!.url])
    const run = e.run(generate, { signal: controller.signal })
    await a!.jobsStarted(1)
    const asked = a!.requests.length
    controller.abort(new EngineError('CANCELLED', 'the job was cancelled'))
    expect((await rejection(run)).code).toBe('CANCELLED')
    await a!.received(asked + 1) // the follow-up's one look
    a!.finishJob()
    // A whole run after it: the follow-up, had it meant to interrupt, would have by now.
    a!.holdJobs = false
    await e.run(generate, { signal: never() })
    expect(a!.interrupted).toEqual([])
    expect(a!.requests.filter((r) => r.path === '/sdapi/v1/interrupt')).toEqual([])
  })
})

describe('reading /sdapi/v1/progress', () => {
  const answer = (current_task: unknown, state: Record<string, unknown>, progress = 0.5) => ({
    progress,
    eta_relative: 1,
    state,
    current_task,
  })
  const steps = { job_no: 0, job_count: 1, sampling_step: 8, sampling_steps: 20 }

  it('knows whose task runs: ours, another, none, or cannot tell', () => {
    expect(runningTask(answer('easel-1', steps))).toBe('easel-1')
    expect(runningTask(answer(null, {}))).toBeNull()
    expect(runningTask({ progress: 0, state: {} })).toBeUndefined()
    expect(runningTask('nonsense')).toBeUndefined()
  })

  it('counts sampling steps over every batch, and falls back to a thousandth scale', () => {
    expect(progressOf(answer('easel-1', steps), 'easel-1')).toEqual({ done: 8, total: 20 })
    expect(
      progressOf(
        answer('easel-1', { job_no: 1, job_count: 2, sampling_step: 5, sampling_steps: 20 }),
        'easel-1',
      ),
    ).toEqual({ done: 25, total: 40 })
    expect(progressOf(answer('easel-1', {}, 0.42), 'easel-1')).toEqual({ done: 420, total: 1000 })
    expect(progressOf(answer('someone-else', steps), 'easel-1')).toBeNull()
    expect(progressOf(answer('easel-1', {}, Number.NaN), 'easel-1')).toBeNull()
  })
})

describe('EASEL_SDWEBUI_URLS', () => {
  it('turns the engine on with several WebUIs, and keeps EASEL_SDWEBUI_URL as the one-WebUI form', () => {
    expect(
      loadConfig({ EASEL_SDWEBUI_URLS: ' http://gpu1:7860, http://gpu2:7860 ,' }).engines.settings.sdwebui,
    ).toEqual({ urls: ['http://gpu1:7860', 'http://gpu2:7860'], models: ['stable-diffusion'], auth: null })
    expect(loadConfig({ EASEL_SDWEBUI_URL: 'http://gpu1:7860' }).engines.settings.sdwebui).toEqual({
      urls: ['http://gpu1:7860'],
      models: ['stable-diffusion'],
      auth: null,
    })
    expect(loadConfig({}).engines.settings.sdwebui).toBeNull()
  })

  it('names both variables when both are set, and each bad URL', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env)
      } catch (error) {
        if (error instanceof ConfigError) return error.problems
        throw error
      }
      return []
    }
    expect(problems({ EASEL_SDWEBUI_URL: 'http://a:1', EASEL_SDWEBUI_URLS: 'http://b:1' })).toEqual([
      'EASEL_SDWEBUI_URLS: set it or EASEL_SDWEBUI_URL (the one-WebUI form), not both',
    ])
    expect(problems({ EASEL_SDWEBUI_URLS: 'http://a:1, gpu2:7860, http://a:1' })).toEqual([
      'EASEL_SDWEBUI_URLS: "gpu2:7860" is not an http(s) URL',
      'EASEL_SDWEBUI_URLS: lists http://a:1 twice',
    ])
  })
})
