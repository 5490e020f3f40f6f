import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { App } from './app-type.ts'
import { ApiError } from './errors.ts'

/** What a rate-limit store answers for one request: the count in the window and when it frees up. */
interface StoreAnswer {
  current: number
  ttl: number
}
type StoreCallback = (error: Error | null, answer: StoreAnswer) => void

interface Window {
  /** Start of the current fixed slot (a multiple of the window's length). */
  start: number
  previous: number
  current: number
}

/**
 * A sliding-window counter for @fastify/rate-limit, in memory. A fixed window lets a client send
 * twice the limit across a boundary (the end of one minute and the start of the next); here the
 * count is the current slot's plus the previous slot's weighted by how much of it still lies in
 * the last `timeWindow` ms, the approximation Cloudflare and others use. Only accepted requests
 * are counted, so a client that keeps knocking while refused is not locked out for longer.
 * Memory is bounded: past `capacity` keys the least recently seen are forgotten.
 */
export class SlidingWindowStore {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly now: () => number = Date.now,
    private readonly capacity = 100_000,
  ) {}

  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    callback(null, this.take(key, timeWindow, max))
  }

  /** The plugin's read-only peek: the state without counting a request. */
  read(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    const w = this.roll(this.windows.get(key), timeWindow)
    callback(null, {
      current: Math.ceil(this.estimate(w, timeWindow)),
      ttl: this.waitFor(w, timeWindow, max),
    })
  }

  /** Every route shares this one store; keys are namespaced by the limiter that uses them. */
  child(): SlidingWindowStore {
    return this
  }

  private take(key: string, timeWindow: number, max: number): StoreAnswer {
    const w = this.roll(this.windows.get(key), timeWindow)
    const before = this.estimate(w, timeWindow)
    if (before + 1 > max) {
      this.remember(key, w)
      return { current: max + 1, ttl: this.waitFor(w, timeWindow, max) }
    }
    w.current++
    this.remember(key, w)
    return { current: Math.ceil(before + 1), ttl: w.start + timeWindow - this.now() }
  }

  /** The key's window moved on to the slot that contains now. */
  private roll(w: Window | undefined, timeWindow: number): Window {
    const now = this.now()
    const start = now - (now % timeWindow)
    if (!w) return { start, previous: 0, current: 0 }
    if (w.start === start) return w
    return { start, previous: start - w.start === timeWindow ? w.current : 0, current: 0 }
  }

  private estimate(w: Window, timeWindow: number): number {
    const elapsed = this.now() - w.start
    return (w.previous * (timeWindow - elapsed)) / timeWindow + w.current
  }

  /** Milliseconds until one more request fits under `max`. */
  private waitFor(w: Window, timeWindow: number, max: number): number {
    const toSlotEnd = w.start + timeWindow - this.now()
    if (w.current + 1 <= max) {
      // The previous slot's weight must fall far enough: previous × (toSlotEnd − t) / W ≤ max − 1 − current.
      if (w.previous === 0) return 0
      const t = toSlotEnd - (timeWindow * (max - 1 - w.current)) / w.previous
      return Math.max(1, Math.ceil(t))
    }
    // This slot alone is full: it becomes the previous one and must decay to max − 1.
    const after = timeWindow * (1 - (max - 1) / w.current)
    return Math.max(1, Math.ceil(toSlotEnd + after))
  }

  private remember(key: string, w: Window): void {
    this.windows.delete(key)
    this.windows.set(key, w)
    if (this.windows.size > this.capacity) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
  }
}

export interface RateLimits {
  /** Counts a request from a client address; throws RATE_LIMITED (429, retry-after) past the limit. */
  perIp(request: FastifyRequest): Promise<void>
  /** Counts a request of a caller (API key, or a signed-in user); throws RATE_LIMITED past the limit. */
  perCaller(request: FastifyRequest): Promise<void>
}

/**
 * Registers @fastify/rate-limit with the sliding-window store and makes the two limits Easel
 * applies to /api and /v1: per client address and per caller, each `perMinute` requests in any
 * minute. They are called from the app's onRequest hook once the caller is known, so the refusal
 * comes before any body is read, in the surface's error shape.
 */
export async function registerRateLimits(
  app: App,
  limits: { perIp: number; perKey: number },
  now: () => number,
): Promise<RateLimits> {
  const store = new SlidingWindowStore(now)
  await app.register(fastifyRateLimit, {
    global: false,
    // The plugin makes the store with `new`; this one closes over the clock and is shared.
    store: function sharedStore() {
      return store
    } as unknown as new () => SlidingWindowStore,
  })
  const minute = 60_000
  const byIp = app.createRateLimit({
    max: limits.perIp,
    timeWindow: minute,
    keyGenerator: (request) => `ip:${request.ip}`,
  })
  const byCaller = app.createRateLimit({
    max: limits.perKey,
    timeWindow: minute,
    keyGenerator: (request) => {
      const p = request.principal
      return p ? (p.keyId ? `key:${p.keyId}` : `user:${p.user.id}`) : `ip:${request.ip}`
    },
  })
  const check = async (
    request: FastifyRequest,
    limiter: typeof byIp,
    what: (request: FastifyRequest) => string,
  ): Promise<void> => {
    const answer = await limiter(request)
    if (answer.isAllowed || !answer.isExceeded) return
    const wait = Math.max(1, answer.ttlInSeconds)
    throw new ApiError('RATE_LIMITED', `too many requests ${what(request)}; try again in ${wait} s`, {
      retryAfterSeconds: wait,
    })
  }
  return {
    perIp: (request) => check(request, byIp, () => 'from this address'),
    perCaller: (request) =>
      check(request, byCaller, (r) => (r.principal?.keyId ? 'for this API key' : 'for this account')),
  }
}
