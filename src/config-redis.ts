import { inspect } from 'node:util'
import { z } from 'zod'

/**
 * The Redis server Easel processes share (EASEL_REDIS_URL), or null: without it each process keeps
 * its rate limits in its own memory, which is right for one process and wrong for several (each
 * would let a client through its own full allowance).
 *
 * Its JSON and `util.inspect` forms show the URL without its user and password, as the mail
 * settings do.
 */
export interface RedisConfig {
  /** `redis://[user:password@]host:6379[/db]`, or `rediss://…` for TLS. */
  readonly url: string
  /**
   * Put in front of every key Easel writes (EASEL_REDIS_KEY_PREFIX, default `easel:`), so that
   * several installations (or test runs) can share one Redis without counting each other.
   */
  readonly keyPrefix: string
}

/** The variables read here; `config.ts` merges them into its own schema. */
export const redisEnvShape = {
  // The value is never repeated in a message: it may hold the Redis password.
  EASEL_REDIS_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.trim() === '' || isRedisUrl(v.trim()), {
      message:
        'must be a redis:// or rediss:// URL with a host, such as redis://127.0.0.1:6379 or rediss://:password@redis.example.com:6380/0',
    }),
  EASEL_REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{0,64}$/, 'must be at most 64 letters, digits and : . _ -')
    .optional(),
}

type RedisEnv = z.output<z.ZodObject<typeof redisEnvShape>>

/**
 * The Redis settings, or null when EASEL_REDIS_URL is not set; problems are pushed.
 *
 * @example
 * redisConfig({ EASEL_REDIS_URL: 'redis://127.0.0.1:6379' }, problems)
 * // { url: 'redis://127.0.0.1:6379', keyPrefix: 'easel:' }
 */
export function redisConfig(e: RedisEnv, problems: string[]): RedisConfig | null {
  const url = e.EASEL_REDIS_URL?.trim() || null
  if (url === null) {
    if (e.EASEL_REDIS_KEY_PREFIX !== undefined) {
      problems.push('EASEL_REDIS_KEY_PREFIX: set without EASEL_REDIS_URL (limits stay in memory)')
    }
    return null
  }
  const config = { url, keyPrefix: e.EASEL_REDIS_KEY_PREFIX ?? 'easel:' }
  const printable = () => ({ url: redisServerOf(url), keyPrefix: config.keyPrefix })
  Object.defineProperty(config, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(config, inspect.custom, { value: printable, enumerable: false })
  return config
}

/** `redis://:secret@host:6379/2` → `redis://host:6379/2`: a URL to show, without credentials. */
export function redisServerOf(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`
}

function isRedisUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return false
  // ioredis reads the path as the database number: /0 … /15 (or none).
  return url.hostname !== '' && /^\/?(\d{1,2})?$/.test(url.pathname) && url.search === ''
}
