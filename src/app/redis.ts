import { Redis } from 'ioredis'
import type { RedisConfig } from '../config-redis.ts'

/** How long a connection attempt may take before it counts as failed (and is tried again). */
const CONNECT_TIMEOUT_MS = 2_000
/** A command Redis has not answered in this long fails: a hung Redis must not hang every request. */
const COMMAND_TIMEOUT_MS = 1_000
/** Reconnection attempts back off up to this often, for as long as Redis stays away. */
const MAX_RECONNECT_DELAY_MS = 1_000

/**
 * The Redis client of one Easel process (EASEL_REDIS_URL), connected — or, when Redis does not
 * answer, still trying in the background: Easel starts either way, and each user of the client
 * decides what an unanswered command means (the rate limits: see `http/rate-limit-redis.ts`).
 *
 * Commands never wait for a connection: with ioredis's offline queue off, a command sent while
 * Redis is away fails at once instead of piling up (a queued rate-limit check would hold its
 * request until Redis came back, which is failing closed for everything). The client reconnects
 * on its own, every second at most, for as long as it takes.
 */
export async function connectRedis(config: RedisConfig): Promise<Redis> {
  const client = new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    connectionName: 'easel',
  })
  // Connection errors come here on every attempt; the client's users report outages once each
  // (a listener is needed anyway, or ioredis prints each one to the console).
  client.on('error', () => {})
  // The first attempt settles before the process takes requests; a failed one keeps retrying.
  await client.connect().catch(() => {})
  return client
}

/** Closes the client: politely when connected, at once when not (QUIT would wait for nothing). */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect())
  } else {
    client.disconnect()
  }
}
