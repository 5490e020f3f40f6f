import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
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

/** The rate-limit store could not be asked (Redis does not answer): the caller fails open or closed. */
export class LimitStoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the rate-limit store does not answer: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    })
    this.name = 'LimitStoreUnavailable'
  }
}

/**
 * One decision of the sliding window, atomic in Redis: read both slots' counters, and count the
 * request in the current slot only if it fits — the same comparison, in the same floating-point
 * order, as `slidingCount` makes in memory. Two processes asking at once are serialized by Redis,
 * so N requests spread over any number of processes let exactly the allowance through.
 *
 * KEYS[1] the current slot's counter, KEYS[2] the previous slot's.
 * ARGV[1] ms elapsed in the current slot, ARGV[2] the window (ms), ARGV[3] the limit,
 * ARGV[4] the counter's lifetime (ms): to the end of the next slot, which still weighs it.
 * Returns {admitted (1/0), current slot's count (after counting), previous slot's count}.
 */
const TAKE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local window = tonumber(ARGV[2])
local before = previous * (window - tonumber(ARGV[1])) / window + current
if before + 1 > tonumber(ARGV[3]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {1, current, previous}
`

type TakeReply = [admitted: number, current: number, previous: number]

/** The client with the script defined on it (ioredis runs it by its SHA, loading it when Redis lacks it). */
type ScriptedRedis = Redis & {
  easelRateLimitTake(
    currentKey: string,
    previousKey: string,
    elapsed: number,
    window: number,
    max: number,
    lifetime: number,
  ): Promise<TakeReply>
}

export interface RedisStoreOptions {
  now: () => number
  /** EASEL_REDIS_KEY_PREFIX: the counters are `<prefix>rate:{<key>}:<slot start>`. */
  keyPrefix: string
  /** Where Redis is, for the log (no credentials). */
  server: string
  log: Pick<FastifyBaseLogger, 'warn' | 'info'>
}

/**
 * The sliding-window store of `rate-limit.ts` with its counters in Redis, so every Easel process
 * pointed at the same Redis shares each limit. Two counters per key and slot (`{key}` is a hash
 * tag: both land on one Redis Cluster node, as a script needs). The time is the app's clock, as in
 * memory; processes whose clocks disagree by a few milliseconds only move where a slot ends.
 *
 * A command that fails (Redis away, timed out) fails the check with {@link LimitStoreUnavailable},
 * and the caller decides: closed for the routes guarding credentials, open for the rest. The log
 * says so once when the first check fails, and once when one succeeds again — not per request.
 */
export class RedisSlidingWindowStore implements RateLimitStore {
  private readonly redis: ScriptedRedis
  private down = false

  constructor(
    redis: Redis,
    private readonly options: RedisStoreOptions,
  ) {
    if (!('easelRateLimitTake' in redis))
      redis.defineCommand('easelRateLimitTake', { numberOfKeys: 2, lua: TAKE })
    this.redis = redis as ScriptedRedis
    // Easel started while Redis was away: say so now rather than at the first request.
    if (redis.status !== 'ready') this.failed(new Error(`not connected (${redis.status})`))
  }

  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    this.take(key, timeWindow, max).then(
      (answer) => callback(null, answer),
      (error: Error) => callback(error, { current: 0, ttl: 0 }),
    )
  }

  /** The plugin's read-only peek: the state without counting a request. */
  read(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
    this.peek(key, timeWindow, max).then(
      (answer) => callback(null, answer),
      (error: Error) => callback(error, { current: 0, ttl: 0 }),
    )
  }

  /** Every route shares this one store; keys are namespaced by the limiter that uses them. */
  child(): RedisSlidingWindowStore {
    return this
  }

  private async take(key: string, timeWindow: number, max: number): Promise<StoreAnswer> {
    const now = this.options.now()
    const start = slotStart(now, timeWindow)
    const reply = await this.ask(() =>
      this.redis.easelRateLimitTake(
        this.counter(key, start),
        this.counter(key, start - timeWindow),
        now - start,
        timeWindow,
        max,
        start + 2 * timeWindow - now,
      ),
    )
    const [admitted, current, previous] = reply
    // The count before this request: the current slot's without it when it was counted.
    const w: Window = { start, previous, current: admitted === 1 ? current - 1 : current }
    const before = slidingCount(w, now, timeWindow)
    return slidingAnswer(w, before, admitted === 1, now, timeWindow, max)
  }

  private async peek(key: string, timeWindow: number, max: number): Promise<StoreAnswer> {
    const now = this.options.now()
    const start = slotStart(now, timeWindow)
    const [current, previous] = await this.ask(() =>
      this.redis.mget(this.counter(key, start), this.counter(key, start - timeWindow)),
    )
    const w: Window = { start, current: Number(current ?? 0), previous: Number(previous ?? 0) }
    return {
      current: Math.ceil(slidingCount(w, now, timeWindow)),
      ttl: slidingWait(w, now, timeWindow, max),
    }
  }

  private counter(key: string, start: number): string {
    return `${this.options.keyPrefix}rate:{${key}}:${start}`
  }

  /** Runs a command, keeping track of whether Redis answers (and logging each change once). */
  private async ask<T>(command: () => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await command()
    } catch (error) {
      this.failed(error)
      throw new LimitStoreUnavailable(error)
    }
    if (this.down) {
      this.down = false
      this.options.log.info(
        { redis: this.options.server },
        'Redis answers again: rate limits are shared again, and sign-in, sign-up and password checks are open',
      )
    }
    return result
  }

  private failed(error: unknown): void {
    if (this.down) return
    this.down = true
    this.options.log.warn(
      { redis: this.options.server, err: error instanceof Error ? error.message : String(error) },
      'Redis does not answer: until it does, requests are not rate-limited, and sign-in, sign-up, password reset and other password or code checks are refused (503)',
    )
  }
}
