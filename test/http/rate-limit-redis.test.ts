import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyBaseLogger, HTTPMethods } from 'fastify'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { Scheduler } from '../../src/app/index.ts'
import { loadConfig } from '../../src/config.ts'
import { ErrorBody } from '../../src/contracts/index.ts'
import { CREDENTIAL_ROUTES, SlidingWindowStore } from '../../src/http/rate-limit.ts'
import { RedisSlidingWindowStore } from '../../src/http/rate-limit-redis.ts'
import type { StoreAnswer } from '../../src/http/rate-limit-window.ts'
import { type RunningServer, startServer } from '../../src/http/server.ts'
import { systemClock } from '../../src/util/clock.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS, type Backend, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import {
  deleteRedisKeys,
  REDIS_AVAILABLE,
  REDIS_TEST_URL,
  RedisRelay,
  uniqueRedisPrefix,
} from '../support/redis.ts'
import { setCredits, startTestServer, testEnv } from '../support/server.ts'

const MINUTE = 60_000

/** Periodic work that never runs (as in startTestServer). */
const neverScheduler: Scheduler = { every: () => () => {} }

interface LogLine {
  level: number
  msg: string
}

interface Node {
  readonly server: RunningServer
  /** What the node logged (info and above). */
  readonly logs: LogLine[]
}

/** What a test started, closed after it (nodes first, then their databases and Redis keys). */
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function testDatabase(backend: Backend): Promise<TestDatabase> {
  const testDb = await createTestDatabase(backend)
  cleanups.push(() => testDb.destroy())
  return testDb
}

function redisPrefix(): string {
  const prefix = uniqueRedisPrefix()
  cleanups.push(() => deleteRedisKeys(prefix))
  return prefix
}

/** An Easel process on `testDb`, as `easel start` runs it, with its log kept. */
async function startNode(testDb: TestDatabase, env: Record<string, string>): Promise<Node> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-data-'))
  const logs: LogLine[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
  const server = await startServer(loadConfig(testEnv(testDb, dataDir, env)), {
    clock: systemClock,
    scheduler: neverScheduler,
    log: log as unknown as FastifyBaseLogger,
  })
  cleanups.push(async () => {
    await server.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  return { server, logs }
}

let serial = 0

/** A user with an API key and `credits`, made through `node`. */
async function userOn(node: Node, credits = 100) {
  const { accounts } = node.server.services
  const email = `redis${++serial}-${process.pid}-${Date.now()}@example.test`
  const password = 'correct horse battery'
  const created = await accounts.createUser({ email, password })
  if (!created.ok) throw new Error(created.error.message)
  const key = await accounts.createApiKey(created.value.id, { name: 'test' })
  if (!key.ok) throw new Error(key.error.message)
  await setCredits(node.server, created.value.accountId, credits)
  return { email, password, apiKey: key.value.secret }
}

/**
 * The client's next `event`. (Not `events.once`: it rejects on the 'error' each failed reconnection
 * attempt emits, which is expected here.)
 */
const next = (client: Redis, event: 'ready' | 'close') =>
  new Promise<void>((resolve) => client.once(event, () => resolve()))

const fromAddress = (node: Node, remoteAddress: string) =>
  node.server.app.inject({ method: 'GET', url: '/api/setup', remoteAddress })

const signIn = (node: Node, user: { email: string; password: string }) =>
  node.server.app.inject({ method: 'POST', url: '/api/session', payload: user })

/** The node's log lines about Redis: `warn` when it stops answering, `info` when it is back. */
const redisLines = (node: Node, level: 'warn' | 'info') =>
  node.logs.filter((l) => l.level === (level === 'warn' ? 40 : 30) && /^Redis /.test(l.msg))

describe.runIf(REDIS_AVAILABLE)('the sliding window in Redis', () => {
  it('decides as the in-memory store does, request by request, across slot boundaries', async () => {
    const clock = { t: 7 * MINUTE + 50_000 }
    const prefix = redisPrefix()
    const client = new Redis(REDIS_TEST_URL)
    cleanups.push(async () => client.disconnect())
    await once(client, 'ready')
    const log = { warn: () => {}, info: () => {} }
    const redis = new RedisSlidingWindowStore(client, {
      now: () => clock.t,
      keyPrefix: prefix,
      server: '',
      log,
    })
    const memory = new SlidingWindowStore(() => clock.t)
    const take = (store: SlidingWindowStore | RedisSlidingWindowStore) =>
      new Promise<StoreAnswer>((resolve, reject) =>
        store.incr('k', (error, answer) => (error ? reject(error) : resolve(answer)), MINUTE, 10),
      )
    // Bursts and pauses over four minutes: each answer (count and wait) the same from both.
    const steps = [0, 0, 0, 900, 1_000, 3_000, 3_000, 7_000, 13_000, 0, 0, 0, 0, 0, 20_000, 40_000]
    for (let round = 0; round < 12; round++) {
      for (const step of steps) {
        clock.t += step + round * 37
        expect(await take(redis)).toEqual(await take(memory))
      }
    }
  })
})

describe.runIf(REDIS_AVAILABLE).each(BACKENDS)('rate limits in Redis (%s)', (backend) => {
  it('are counted together by two nodes: one address, an IPv6 network (/64) as one', async () => {
    const prefix = redisPrefix()
    const env = {
      EASEL_REDIS_URL: REDIS_TEST_URL,
      EASEL_REDIS_KEY_PREFIX: prefix,
      EASEL_RATE_LIMIT_PER_IP: '4',
    }
    // Each node on a database of its own: the per-address counts are Redis's alone.
    const a = await startNode(await testDatabase(backend), env)
    const b = await startNode(await testDatabase(backend), env)
    expect((await fromAddress(a, '2001:db8:aa:bb::1')).statusCode).toBe(200)
    expect((await fromAddress(b, '2001:db8:aa:bb::2')).statusCode).toBe(200)
    expect((await fromAddress(a, '2001:db8:aa:bb::3')).statusCode).toBe(200)
    expect((await fromAddress(b, '2001:db8:aa:bb:1234::4')).statusCode).toBe(200)
    // A fifth request from the same /64, on either node, whatever address inside it.
    for (const [node, address] of [
      [a, '2001:db8:aa:bb:ffff::9'],
      [b, '2001:db8:aa:bb::1'],
    ] as const) {
      const refused = await fromAddress(node, address)
      expect(refused.statusCode).toBe(429)
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect((await readJson(refused, ErrorBody)).error).toMatchObject({ code: 'RATE_LIMITED' })
    }
    // The next network, and an IPv4 address, have their own allowance.
    expect((await fromAddress(b, '2001:db8:aa:bc::1')).statusCode).toBe(200)
    expect((await fromAddress(a, '203.0.113.5')).statusCode).toBe(200)
    expect(redisLines(a, 'warn')).toHaveLength(0)
  }, 60_000)

  it('when Redis does not answer: credentials refused (503), the rest unlimited, said once per outage; back with Redis', async () => {
    const relay = await RedisRelay.reserve() // not open: Redis is away from the start
    cleanups.push(() => relay.cut())
    const node = await startNode(await testDatabase(backend), {
      EASEL_REDIS_URL: relay.url,
      EASEL_REDIS_KEY_PREFIX: redisPrefix(),
      EASEL_RATE_LIMIT_PER_KEY: '3',
    })
    const redis = node.server.services.redis!
    const user = await userOn(node)
    const call = keyed(node.server.url, user.apiKey)
    expect(redisLines(node, 'warn')).toHaveLength(1) // said at start-up

    for (let i = 0; i < 3; i++) {
      const refused = await signIn(node, user)
      expect(refused.statusCode).toBe(503)
      expect(refused.headers['retry-after']).toBe('5')
      const { error } = await readJson(refused, ErrorBody)
      expect(error.code).toBe('UNAVAILABLE')
      expect(error.message).toMatch(/rate-limit store does not answer/)
    }
    const signUp = await node.server.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { email: 'new@example.test', password: 'a long enough passphrase' },
    })
    expect(signUp.statusCode).toBe(503)
    const reset = await node.server.app.inject({
      method: 'POST',
      url: '/api/password-reset',
      payload: { email: user.email },
    })
    expect(reset.statusCode).toBe(503)
    // Everything else goes on, past the per-key limit of 3: nothing is counted.
    for (let i = 0; i < 5; i++) expect((await call('GET', '/api/me')).status).toBe(200)
    const generated = await call('POST', '/v1/images/generations', { prompt: 'a lighthouse at dusk' })
    expect(generated.status).toBe(200)
    expect(redisLines(node, 'warn')).toHaveLength(1) // once, not per request

    // Redis comes back: the client reconnects on its own.
    const ready = next(redis, 'ready')
    await relay.open()
    await ready
    expect((await signIn(node, user)).statusCode).toBe(200)
    expect(redisLines(node, 'info')).toHaveLength(1)
    // …and the limits count again.
    for (let i = 0; i < 3; i++) expect((await call('GET', '/api/me')).status).toBe(200)
    const limited = await call('GET', '/api/me')
    expect(limited.status).toBe(429)
    expect(limited.error.code).toBe('RATE_LIMITED')

    // A second outage, mid-run this time: said once more.
    const closed = next(redis, 'close')
    await relay.cut()
    await closed
    for (let i = 0; i < 3; i++) expect((await signIn(node, user)).statusCode).toBe(503)
    expect((await call('POST', '/v1/images/generations', { prompt: 'a harbour' })).status).toBe(200)
    expect(redisLines(node, 'warn')).toHaveLength(2)
    expect(redisLines(node, 'info')).toHaveLength(1)
  }, 60_000)
})

describe.runIf(REDIS_AVAILABLE && BACKENDS.includes('postgres'))('two API nodes on one PostgreSQL', () => {
  it('share the per-key limit: N requests split across both, the N+1th refused on either', async () => {
    const testDb = await testDatabase('postgres')
    const env = {
      EASEL_REDIS_URL: REDIS_TEST_URL,
      EASEL_REDIS_KEY_PREFIX: redisPrefix(),
      EASEL_RATE_LIMIT_PER_KEY: '4',
    }
    const a = await startNode(testDb, env)
    const b = await startNode(testDb, env)
    const user = await userOn(a)
    const onA = keyed(a.server.url, user.apiKey)
    const onB = keyed(b.server.url, user.apiKey)
    for (const call of [onA, onB, onA, onB]) expect((await call('GET', '/api/me')).status).toBe(200)
    for (const call of [onA, onB]) {
      const limited = await call('GET', '/api/me')
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(limited.error).toMatchObject({ code: 'RATE_LIMITED' })
      expect(limited.error.message).toMatch(/for this API key/)
    }
    const v1 = await onB('POST', '/v1/images/generations', { prompt: 'x' })
    expect(v1.status).toBe(429)
    expect(v1.openAiError).toMatchObject({ code: 'rate_limit_exceeded' })

    // Sent all at once, half to each node: exactly the allowance gets through.
    const other = await userOn(b)
    const calls = [keyed(a.server.url, other.apiKey), keyed(b.server.url, other.apiKey)]
    const statuses = (
      await Promise.all(Array.from({ length: 16 }, (_, i) => calls[i % 2]!('GET', '/api/me')))
    ).map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(4)
    expect(statuses.filter((s) => s === 429)).toHaveLength(12)
  }, 60_000)
})

describe('the routes that fail closed', () => {
  it('are all routes the app has (a renamed route would silently fail open)', async () => {
    const t = await startTestServer('sqlite')
    cleanups.push(() => t.close())
    for (const route of CREDENTIAL_ROUTES) {
      const [method, url] = route.split(' ') as [HTTPMethods, string]
      expect(t.server.app.hasRoute({ method, url }), route).toBe(true)
    }
  })
})
