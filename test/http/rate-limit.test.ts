import { describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/contracts/index.ts'
import { SlidingWindowStore } from '../../src/http/rate-limit.ts'
import { keyed } from '../support/api-client.ts'
import { readJson } from '../support/contracts.ts'
import { startTestServer } from '../support/server.ts'

const MINUTE = 60_000

function storeAt(start: number) {
  const clock = { t: start }
  const store = new SlidingWindowStore(() => clock.t)
  const take = (key = 'k', max = 10) => {
    let answer = { current: 0, ttl: 0 }
    store.incr(key, (_e, a) => (answer = a), MINUTE, max)
    return answer
  }
  return { clock, store, take }
}

describe('the sliding-window rate-limit store', () => {
  it('does not let a client send twice the limit across a window boundary (a fixed window would)', () => {
    const { clock, take } = storeAt(10 * MINUTE + 59_000)
    for (let i = 0; i < 10; i++) expect(take().current).toBeLessThanOrEqual(10)
    expect(take().current).toBe(11) // the 11th in the same second
    clock.t = 11 * MINUTE + 1_000 // two seconds later, in the next fixed minute
    const refused = take()
    expect(refused.current).toBeGreaterThan(10)
    // It frees up as the earlier requests slide out of the last minute.
    expect(refused.ttl).toBeGreaterThan(0)
    expect(refused.ttl).toBeLessThanOrEqual(MINUTE)
    clock.t += refused.ttl
    expect(take().current).toBeLessThanOrEqual(10)
  })

  it('counts only accepted requests, so knocking while refused does not extend the wait', () => {
    const { clock, take } = storeAt(20 * MINUTE)
    for (let i = 0; i < 10; i++) take()
    const first = take()
    for (let i = 0; i < 1000; i++) take()
    expect(take().ttl).toBeLessThanOrEqual(first.ttl)
    clock.t += 2 * MINUTE
    expect(take().current).toBe(1)
  })

  it('keeps keys apart and forgets the least recently seen past its capacity', () => {
    const clock = { t: 0 }
    const store = new SlidingWindowStore(() => clock.t, 3)
    const take = (key: string) => {
      let current = 0
      store.incr(key, (_e, a) => (current = a.current), MINUTE, 1)
      return current
    }
    expect(take('a')).toBe(1)
    expect(take('b')).toBe(1)
    expect(take('a')).toBe(2)
    take('c')
    take('d') // 'b' is the least recently seen: forgotten
    expect(take('b')).toBe(1)
  })
})

describe('rate limits per client address', () => {
  it('are a 429 with retry-after before the caller or the body is looked at', async () => {
    const t = await startTestServer('sqlite', { env: { EASEL_RATE_LIMIT_PER_IP: '5' } })
    try {
      const app = t.server.app
      for (let i = 0; i < 5; i++) {
        expect((await app.inject({ method: 'GET', url: '/api/setup' })).statusCode).toBe(200)
      }
      const limited = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: '{"email": "x@example.test", "password": "whatever it is"}',
        headers: { 'content-type': 'application/json' },
      })
      expect(limited.statusCode).toBe(429)
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
      const { error } = await readJson(limited, ErrorBody)
      expect(error).toMatchObject({ code: 'RATE_LIMITED' })
      expect(error.message).toMatch(/from this address/)
      // Another address has its own allowance.
      const other = await app.inject({ method: 'GET', url: '/api/setup', remoteAddress: '10.9.8.7' })
      expect(other.statusCode).toBe(200)
    } finally {
      await t.close()
    }
  })
})

describe('rate limits per API key', () => {
  it('over the limit is a 429 with retry-after, in each surface’s shape', async () => {
    const t = await startTestServer('sqlite', { env: { EASEL_RATE_LIMIT_PER_KEY: '3' } })
    try {
      const user = await t.user()
      const call = keyed(t.url, user.apiKey)
      for (let i = 0; i < 3; i++) expect((await call('GET', '/api/me')).status).toBe(200)
      const limited = await call('GET', '/api/me')
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(limited.error.code).toBe('RATE_LIMITED')
      const v1 = await call('POST', '/v1/images/generations', { prompt: 'x' })
      expect(v1.status).toBe(429)
      expect(v1.openAiError).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' })
      // Another key has its own allowance.
      const other = await t.user()
      expect((await keyed(t.url, other.apiKey)('GET', '/api/me')).status).toBe(200)
    } finally {
      await t.close()
    }
  })
})
