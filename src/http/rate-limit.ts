import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { clientAddressKey } from '../accounts/client-address.ts'
import type { Services } from '../app/index.ts'
import { redisServerOf } from '../config-redis.ts'
import type { App } from './app-type.ts'
import { ApiError } from './errors.ts'
import { LimitStoreUnavailable, RedisSlidingWindowStore } from './rate-limit-redis.ts'
import {
  type RateLimitStore,
  type StoreAnswer,
  type StoreCallback,
  slidingAnswer,
  slidingCount,
  slidingWait,
  slotStart,
  type Window,
} from './rate-limit-window.ts'

/**
 * A sliding-window counter for @fastify/rate-limit, in memory (see {@link slidingCount}). Only
 * accepted requests are counted, so a client that keeps knocking while refused is not locked out
 * for longer. Memory is bounded: past `capacity` keys the least recently seen are forgotten.
 */
export class SlidingWindowStore implements RateLimitStore {
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
    const now = this.now()
    const w = this.roll(this.windows.get(key), now, timeWindow)
    callback(null, {
      current: Math.ceil(slidingCount(w, now, timeWindow)),
      ttl: slidingWait(w, now, timeWindow, max),
    })
  }

  /** Every route shares this one store; keys are namespaced by the limiter that uses them. */
  child(): SlidingWindowStore {
    return this
  }

  private take(key: string, timeWindow: number, max: number): StoreAnswer {
    const now = this.now()
    const w = this.roll(this.windows.get(key), now, timeWindow)
    const before = slidingCount(w, now, timeWindow)
    const admitted = before + 1 <= max
    if (admitted) w.current++
    this.remember(key, w)
    return slidingAnswer(w, before, admitted, now, timeWindow, max)
  }

  /** The key's window moved on to the slot that contains now. */
  private roll(w: Window | undefined, now: number, timeWindow: number): Window {
    const start = slotStart(now, timeWindow)
    if (!w) return { start, previous: 0, current: 0 }
    if (w.start === start) return w
    return { start, previous: start - w.start === timeWindow ? w.current : 0, current: 0 }
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
 * The routes that take a password, a one-time code or a mailed token, or make an account: when the
 * shared counts cannot be read they are refused (503) rather than left unlimited, since guessing
 * is what a limit stops there. Every other route goes on unlimited while the counts are away.
 */
export const CREDENTIAL_ROUTES: ReadonlySet<string> = new Set([
  'POST /api/setup',
  'POST /api/signup',
  'POST /api/session',
  'POST /api/password-reset',
  'POST /api/password-reset/confirm',
  'POST /api/verify-email',
  'POST /api/account/password',
  'POST /api/account/email',
  'POST /api/account/email/confirm',
  'POST /api/account/delete',
  'POST /api/account/two-factor/setup',
  'POST /api/account/two-factor/enable',
  'POST /api/account/two-factor/disable',
  'POST /api/account/two-factor/recovery-codes',
])

/** A route that guards credentials (see {@link CREDENTIAL_ROUTES}), by its matched route. */
export function guardsCredentials(request: FastifyRequest): boolean {
  return CREDENTIAL_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)
}

/** How long a client refused because the shared counts are away is told to wait. */
const UNAVAILABLE_RETRY_SECONDS = 5

/**
 * Registers @fastify/rate-limit with a sliding-window store — in Redis when the process has one
 * (EASEL_REDIS_URL: every process counts together), else in this process's memory — and makes the
 * two limits Easel applies to /api and /v1: per client address and per caller, each `perMinute`
 * requests in any minute. They are called from the app's onRequest hook once the caller is known,
 * so the refusal comes before any body is read, in the surface's error shape.
 *
 * A client address is counted as {@link clientAddressKey} has it: an IPv6 address by its /64,
 * which one subscriber holds whole, so hopping addresses inside it gains nothing.
 *
 * When Redis does not answer, the credential routes fail closed (503 UNAVAILABLE, retry-after) and
 * the rest fail open (not limited); the store says so in the log once per outage.
 */
export async function registerRateLimits(
  app: App,
  services: Pick<Services, 'config' | 'clock' | 'redis'>,
): Promise<RateLimits> {
  const limits = services.config.server.rateLimit
  const now = () => services.clock.now()
  const redis = services.config.redis
  const store: RateLimitStore =
    services.redis && redis
      ? new RedisSlidingWindowStore(services.redis, {
          now,
          keyPrefix: redis.keyPrefix,
          server: redisServerOf(redis.url),
          log: app.log,
        })
      : new SlidingWindowStore(now)
  await app.register(fastifyRateLimit, {
    global: false,
    // The plugin makes the store with `new`; this one closes over the clock and is shared.
    store: function sharedStore() {
      return store
    } as unknown as new () => RateLimitStore,
  })
  const minute = 60_000
  const byIp = app.createRateLimit({
    max: limits.perIp,
    timeWindow: minute,
    keyGenerator: (request) => `ip:${clientAddressKey(request.ip)}`,
  })
  const byCaller = app.createRateLimit({
    max: limits.perKey,
    timeWindow: minute,
    keyGenerator: (request) => {
      const p = request.principal
      return p ? (p.keyId ? `key:${p.keyId}` : `user:${p.user.id}`) : `ip:${clientAddressKey(request.ip)}`
    },
  })
  const check = async (
    request: FastifyRequest,
    limiter: typeof byIp,
    what: (request: FastifyRequest) => string,
  ): Promise<void> => {
    let answer: Awaited<ReturnType<typeof limiter>>
    try {
      answer = await limiter(request)
    } catch (error) {
      if (!(error instanceof LimitStoreUnavailable)) throw error
      if (!guardsCredentials(request)) return
      throw new ApiError(
        'UNAVAILABLE',
        `sign-in, sign-up and other password and code checks are paused: the rate-limit store does not answer; try again in ${UNAVAILABLE_RETRY_SECONDS} s`,
        { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS },
      )
    }
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
