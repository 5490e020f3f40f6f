import { afterEach, describe, expect, it } from 'vitest'
import {
  type Backend,
  BackendPool,
  type BackendPoolOptions,
  backendAt,
} from '../../src/engines/backend-pool.ts'
import { EngineError, type EngineErrorCode } from '../../src/engines/engine.ts'

const A = 'http://gpu-a:7860'
const B = 'http://gpu-b:7860'
const C = 'http://gpu-c:7860'

/** A clock the test moves by hand: retry times are reached without waiting. */
function clock(start = 1_000_000) {
  let t = start
  return {
    now: () => t,
    advance(ms: number) {
      t += ms
    },
  }
}

/** A health call whose answer per backend the test sets; it records what it was asked. */
function healthCalls() {
  const down = new Map<string, string>()
  const asked: string[] = []
  return {
    asked,
    down,
    health: async (backend: Backend) => {
      const url = backend.base.origin
      asked.push(url)
      const reason = down.get(url)
      if (reason) throw new Error(reason)
    },
  }
}

const pools: BackendPool[] = []
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close()
})

function pool(options: Partial<BackendPoolOptions> & { urls: readonly string[] }) {
  const created = new BackendPool({ label: 'SD WebUI', health: async () => {}, ...options })
  pools.push(created)
  return created
}

const never = () => new AbortController().signal
const origin = (backend: Backend) => backend.base.origin

/** A task held open until the test lets it finish, so that runs overlap. */
function held() {
  let release!: () => void
  const done = new Promise<void>((resolve) => {
    release = resolve
  })
  const task = async (backend: Backend) => {
    await done
    return origin(backend)
  }
  return { release, task }
}

const failWith = (code: EngineErrorCode) => async () => {
  throw new EngineError(code, `it failed with ${code}`)
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => expect.unreachable('the run should have failed'),
    (e: unknown) => e,
  )
}

describe('picking a backend', () => {
  it('sends one run at a time to the first listed', async () => {
    const p = pool({ urls: [A, B] })
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
  })

  it('sends overlapping runs to the least busy, ties by the order listed', async () => {
    const p = pool({ urls: [A, B, C] })
    const first = held()
    const second = held()
    const one = p.run(never(), first.task)
    const two = p.run(never(), second.task)
    // A and B each run one: C is least busy.
    expect(await p.run(never(), async (b) => origin(b))).toBe(C)
    expect(p.states().map((s) => s.running)).toEqual([1, 1, 0])
    first.release()
    expect(await one).toBe(A)
    // A is free again, B still busy: A is picked before C by order.
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
    second.release()
    expect(await two).toBe(B)
    expect(p.states().map((s) => s.running)).toEqual([0, 0, 0])
  })

  it('refuses a run whose signal has already aborted, without touching a backend', async () => {
    const p = pool({ urls: [A] })
    const controller = new AbortController()
    controller.abort(new EngineError('CANCELLED', 'cancelled'))
    let called = false
    const error = await rejection(
      p.run(controller.signal, async () => {
        called = true
      }),
    )
    expect((error as EngineError).code).toBe('CANCELLED')
    expect(called).toBe(false)
  })
})

describe('taking a failing backend out', () => {
  it('takes a backend out after N consecutive failures and stops picking it', async () => {
    const c = clock()
    const p = pool({ urls: [A, B], failuresBeforeOut: 2, retryAfterMs: 30_000, now: c.now })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    expect(p.states()[0]).toMatchObject({ healthy: true, lastError: 'it failed with UPSTREAM_ERROR' })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    expect(p.states()[0]).toEqual({
      url: A,
      healthy: false,
      running: 0,
      lastError: '2 failures in a row, the last: it failed with UPSTREAM_ERROR',
      checkedAt: c.now(),
      retryAt: c.now() + 30_000,
    })
    expect(await p.run(never(), async (b) => origin(b))).toBe(B)
    expect(await p.run(never(), async (b) => origin(b))).toBe(B)
  })

  it('counts network errors (not EngineErrors) against the backend', async () => {
    const p = pool({ urls: [A, B], failuresBeforeOut: 1 })
    await rejection(
      p.run(never(), async () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
      }),
    )
    expect(p.states()[0]).toMatchObject({
      healthy: false,
      lastError: '1 failures in a row, the last: fetch failed (ECONNREFUSED)',
    })
  })

  it('a success resets the count: only consecutive failures take a backend out', async () => {
    const p = pool({ urls: [A, B], failuresBeforeOut: 2 })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    await p.run(never(), async () => 'ok')
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    expect(p.states()[0]!.healthy).toBe(true)
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
  })

  it.each<EngineErrorCode>(['CANCELLED', 'TIMEOUT', 'UPSTREAM_REJECTED', 'CONTENT_POLICY', 'NO_IMAGES'])(
    'does not count %s against the backend',
    async (code) => {
      const p = pool({ urls: [A, B], failuresBeforeOut: 1 })
      const error = await rejection(p.run(never(), failWith(code)))
      expect((error as EngineError).code).toBe(code)
      expect(p.states()[0]).toMatchObject({ healthy: true, lastError: null })
    },
  )

  it('does not count a failure once the run was stopped (its signal aborted)', async () => {
    const p = pool({ urls: [A, B], failuresBeforeOut: 1 })
    const controller = new AbortController()
    await rejection(
      p.run(controller.signal, async () => {
        controller.abort(new EngineError('CANCELLED', 'cancelled'))
        throw new EngineError('UPSTREAM_ERROR', 'the connection closed')
      }),
    )
    expect(p.states()[0]!.healthy).toBe(true)
  })
})

describe('checking a backend again', () => {
  it('checks a backend after its retry time and puts it back when the check passes', async () => {
    const c = clock()
    const h = healthCalls()
    const p = pool({ urls: [A], failuresBeforeOut: 1, retryAfterMs: 30_000, now: c.now, health: h.health })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    expect(p.states()[0]!.healthy).toBe(false)

    // Before the retry time, nothing is checked and the run fails naming why.
    c.advance(29_999)
    const early = (await rejection(p.run(never(), async () => 'ok'))) as EngineError
    expect(early.code).toBe('UPSTREAM_ERROR')
    expect(early.message).toBe(
      `no SD WebUI backend is available: ${A} 1 failures in a row, the last: it failed with UPSTREAM_ERROR (checked again in 1 s)`,
    )
    expect(h.asked).toEqual([])

    c.advance(1)
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
    expect(h.asked).toEqual(['http://gpu-a:7860'])
    expect(p.states()[0]).toMatchObject({ healthy: true, retryAt: null, checkedAt: c.now() })
  })

  it('keeps a backend out when its check fails, until the next retry time', async () => {
    const c = clock()
    const h = healthCalls()
    h.down.set(A, 'HTTP 502')
    const p = pool({ urls: [A], failuresBeforeOut: 1, retryAfterMs: 10_000, now: c.now, health: h.health })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    c.advance(10_000)
    const error = (await rejection(p.run(never(), async () => 'ok'))) as EngineError
    expect(error.code).toBe('UPSTREAM_ERROR')
    expect(error.message).toBe(
      `no SD WebUI backend is available: ${A} health check failed: HTTP 502 (checked again in 10 s)`,
    )
    expect(p.states()[0]).toMatchObject({ healthy: false, retryAt: c.now() + 10_000 })
    expect(h.asked).toHaveLength(1)

    // Not checked again before the new retry time; checked and back after it.
    await rejection(p.run(never(), async () => 'ok'))
    expect(h.asked).toHaveLength(1)
    h.down.delete(A)
    c.advance(10_000)
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
    expect(h.asked).toHaveLength(2)
  })

  it('while another backend serves, checks a due one in the background and uses it again after', async () => {
    const c = clock()
    const h = healthCalls()
    const p = pool({ urls: [A, B], failuresBeforeOut: 1, retryAfterMs: 5_000, now: c.now, health: h.health })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    c.advance(5_000)
    // B serves this run straight away; A's check starts beside it.
    expect(await p.run(never(), async (b) => origin(b))).toBe(B)
    expect(h.asked).toEqual([A])
    await Promise.resolve()
    expect(p.states()[0]!.healthy).toBe(true)
    expect(await p.run(never(), async (b) => origin(b))).toBe(A)
  })

  it('shares one check between runs waiting for the same backend', async () => {
    const c = clock()
    let calls = 0
    let pass!: () => void
    const p = pool({
      urls: [A],
      failuresBeforeOut: 1,
      retryAfterMs: 1_000,
      now: c.now,
      health: () => {
        calls += 1
        return new Promise<void>((resolve) => {
          pass = resolve
        })
      },
    })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    c.advance(1_000)
    const runs = [p.run(never(), async () => 1), p.run(never(), async () => 2)]
    await Promise.resolve()
    pass()
    expect(await Promise.all(runs)).toEqual([1, 2])
    expect(calls).toBe(1)
  })

  it('stops waiting for a check when the run is cancelled, without blaming the backend', async () => {
    const c = clock()
    const p = pool({
      urls: [A],
      failuresBeforeOut: 1,
      retryAfterMs: 1_000,
      now: c.now,
      health: () => new Promise<void>(() => {}),
    })
    await rejection(p.run(never(), failWith('UPSTREAM_ERROR')))
    c.advance(1_000)
    const controller = new AbortController()
    const run = p.run(controller.signal, async () => 'ok')
    controller.abort(new EngineError('CANCELLED', 'the job was cancelled'))
    const error = (await rejection(run)) as EngineError
    expect(error.code).toBe('CANCELLED')
  })
})

describe('every backend out', () => {
  it('fails with UPSTREAM_ERROR naming each backend and why', async () => {
    const c = clock()
    const p = pool({ urls: [A, B], failuresBeforeOut: 1, retryAfterMs: 60_000, now: c.now })
    await rejection(
      p.run(never(), async () => {
        throw new EngineError('UPSTREAM_ERROR', 'HTTP 500')
      }),
    )
    c.advance(20_000)
    await rejection(
      p.run(never(), async () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
      }),
    )
    let ran = false
    const error = (await rejection(
      p.run(never(), async () => {
        ran = true
      }),
    )) as EngineError
    expect(ran).toBe(false)
    expect(error).toBeInstanceOf(EngineError)
    expect(error.code).toBe('UPSTREAM_ERROR')
    expect(error.message).toBe(
      `no SD WebUI backend is available: ${A} 1 failures in a row, the last: HTTP 500 (checked again in 40 s); ` +
        `${B} 1 failures in a row, the last: fetch failed (ECONNREFUSED) (checked again in 60 s)`,
    )
  })
})

describe('states()', () => {
  it('lists every backend in order, without credentials, before any use', () => {
    const p = pool({ urls: ['http://user:secret@gpu-a:7860/sd/', B] })
    expect(p.states()).toEqual([
      {
        url: 'http://gpu-a:7860/sd',
        healthy: true,
        running: 0,
        lastError: null,
        checkedAt: null,
        retryAt: null,
      },
      { url: B, healthy: true, running: 0, lastError: null, checkedAt: null, retryAt: null },
    ])
  })
})

describe('backendAt', () => {
  it('moves credentials into a basic authorization header and keeps a path prefix', () => {
    const backend = backendAt('http://me:p%40ss@gpu:8188/comfy?x=1#y', 'ComfyUI')
    expect(backend.base.href).toBe('http://gpu:8188/comfy/')
    expect(backend.where).toBe('ComfyUI at http://gpu:8188/comfy')
    expect(backend.headers).toEqual({ authorization: `Basic ${Buffer.from('me:p@ss').toString('base64')}` })
    expect(new URL('prompt', backend.base).href).toBe('http://gpu:8188/comfy/prompt')
  })

  it('sends no header for a URL without credentials', () => {
    expect(backendAt('http://gpu:8188', 'ComfyUI').headers).toEqual({})
  })
})
