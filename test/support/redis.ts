import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { Redis } from 'ioredis'

/** The Redis the suites use: `EASEL_TEST_REDIS_URL`, else the local one. */
export const REDIS_TEST_URL = process.env.EASEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function checkRedis(): Promise<boolean> {
  const client = new Redis(REDIS_TEST_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/**
 * Whether the Redis suites can run. They are skipped when no Redis answers, except under `CI=true`,
 * where a missing server fails the run instead of silently testing less (as for PostgreSQL).
 */
export const REDIS_AVAILABLE: boolean = await (async () => {
  if (await checkRedis()) return true
  if (process.env.CI === 'true') {
    throw new Error(`Redis is not reachable at ${REDIS_TEST_URL}, and CI=true forbids skipping its suites`)
  }
  console.warn(`Redis not reachable at ${REDIS_TEST_URL}: skipping the Redis suites`)
  return false
})()

/** A key prefix of its own (EASEL_REDIS_KEY_PREFIX), so tests running at once never count together. */
export function uniqueRedisPrefix(): string {
  return `easel-test:${randomBytes(6).toString('hex')}:`
}

/** Deletes every key under `prefix` (what a test left behind). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_TEST_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}

/**
 * A TCP relay in front of the test Redis, on a port of its own, that a test can cut (the listener
 * closed and every connection through it dropped: to Easel, Redis is gone) and open again on the
 * same port (Redis is back).
 */
export class RedisRelay {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()

  private constructor(readonly port: number) {}

  /** A relay on a free port, not yet open: whoever connects now is refused. */
  static async reserve(): Promise<RedisRelay> {
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as net.AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    return new RedisRelay(port)
  }

  /** The URL Easel is given: Redis through this relay. */
  get url(): string {
    const target = new URL(REDIS_TEST_URL)
    target.host = `127.0.0.1:${this.port}`
    return target.toString()
  }

  async open(): Promise<void> {
    const target = new URL(REDIS_TEST_URL)
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => {
          this.sockets.delete(s)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.server = server
  }

  async cut(): Promise<void> {
    const server = this.server
    this.server = null
    for (const s of this.sockets) s.destroy()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
