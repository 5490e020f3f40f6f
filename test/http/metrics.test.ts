import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { runOutcome, statusClass } from '../../src/app/metrics.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { EngineError } from '../../src/engines/engine.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseExposition } from '../support/prometheus-text.ts'
import { type TestServer, useTestServer } from '../support/server.ts'

// GET /metrics: what a generation shows (the job by engine and state, the route's latency, the
// credits consumed, holds back to 0), the token that guards it, and the format Prometheus reads.

const GEN = { prompt: 'a lighthouse at dusk', n: 2, size: '256x256' }
const TOKEN = 'metrics-token-0123456789abcdef'

async function scrape(t: TestServer, headers: Record<string, string> = {}) {
  const res = await t.server.app.inject({ method: 'GET', url: '/metrics', headers })
  expect(res.statusCode, res.body.slice(0, 400)).toBe(200)
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
  expect(res.headers['cache-control']).toBe('no-store')
  return parseExposition(res.body)
}

describe.each(BACKENDS)('GET /metrics, open (no EASEL_METRICS_TOKEN) (%s)', (backend) => {
  const t = useTestServer(backend)

  it('after a generation: the job by engine and state, its route’s latency, credits consumed, no hold open', async () => {
    const s = t.current
    const user = await s.user({ credits: 15 })
    const route = { method: 'POST', route: '/v1/images/generations', status_class: '2xx' }
    const before = await scrape(s)
    const count = (m: typeof before, name: string, labels: Record<string, string> = {}) =>
      m.value(name, labels) ?? 0

    const res = await s.server.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers: { authorization: `Bearer ${user.apiKey}` },
      payload: GEN,
    })
    expect(res.statusCode, res.body).toBe(200)
    const charged = Number(res.headers['x-credits-charged'])
    expect(charged).toBeGreaterThan(0)
    // A request the router cannot match, and one whose route has a parameter: labelled by pattern.
    const missing = await s.server.app.inject({ method: 'POST', url: '/nowhere/job_secret123?token=x' })
    expect(missing.statusCode).toBe(404)
    const job = await s.server.app.inject({
      method: 'GET',
      url: '/api/jobs/job_unknown456',
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    // Refused (the id is malformed), but by the route: timed under its pattern.
    expect(job.statusCode).toBe(400)

    const after = await scrape(s)
    const sketch = { engine: 'sketch' }
    expect(count(after, 'easel_jobs_finished_total', { ...sketch, state: 'succeeded' })).toBe(
      count(before, 'easel_jobs_finished_total', { ...sketch, state: 'succeeded' }) + 1,
    )
    expect(after.value('easel_jobs', { ...sketch, state: 'queued' })).toBe(0)
    expect(after.value('easel_jobs', { ...sketch, state: 'running' })).toBe(0)
    expect(after.value('easel_engine_queue_jobs', { ...sketch, state: 'waiting' })).toBe(0)
    expect(count(after, 'easel_engine_run_seconds_count', { ...sketch, outcome: 'ok' })).toBe(
      count(before, 'easel_engine_run_seconds_count', { ...sketch, outcome: 'ok' }) + 1,
    )
    expect(count(after, 'easel_engine_queue_wait_seconds_count', sketch)).toBe(
      count(before, 'easel_engine_queue_wait_seconds_count', sketch) + 1,
    )
    expect(count(after, 'easel_http_request_duration_seconds_count', route)).toBe(
      count(before, 'easel_http_request_duration_seconds_count', route) + 1,
    )
    expect(after.value('easel_http_request_duration_seconds_sum', route)).toBeGreaterThan(0)
    expect(
      after.value('easel_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/jobs/:id',
        status_class: '4xx',
      }),
    ).toBe(1)
    expect(count(after, 'easel_credits_consumed_total')).toBe(
      count(before, 'easel_credits_consumed_total') + charged,
    )
    expect(after.value('easel_holds_open')).toBe(0)
    // The hold, the capture and the job's own writes were committed through group commit.
    expect(count(after, 'easel_ledger_batch_operations_count')).toBeGreaterThan(
      count(before, 'easel_ledger_batch_operations_count'),
    )
    expect(count(after, 'easel_ledger_commit_seconds_count')).toBe(
      count(after, 'easel_ledger_batch_operations_count'),
    )

    // No raw address reaches a label, and the scrape does not time itself.
    const labels = after.samples.flatMap((sample) => Object.values(sample.labels))
    expect(labels.filter((v) => /secret123|unknown456|nowhere/.test(v))).toEqual([])
    expect(after.select('easel_http_request_duration_seconds_count', { route: 'unmatched' })).not.toEqual([])
    expect(after.select('easel_http_request_duration_seconds_count', { route: '/metrics' })).toEqual([])
  })

  it('counts credits granted, and holds open while a job is held', async () => {
    const s = t.current
    const user = await s.user()
    const before = await scrape(s)
    const granted = await s.server.services.ledger.grant({
      accountId: user.user.accountId,
      amount: 7,
      source: 'promotional',
    })
    expect(granted.ok).toBe(true)
    const held = await s.server.services.ledger.hold({ accountId: user.user.accountId, amount: 3 })
    if (!held.ok) throw new Error(held.error.message)
    const during = await scrape(s)
    // The account's first activity granted its free allowance too: at least the 7.
    expect(
      during.value('easel_credits_granted_total')! - (before.value('easel_credits_granted_total') ?? 0),
    ).toBeGreaterThanOrEqual(7)
    expect(during.value('easel_holds_open')).toBe(1)
    const released = await s.server.services.ledger.release({ holdId: held.value.holdId })
    expect(released.ok).toBe(true)
    const after = await scrape(s)
    expect(after.value('easel_holds_open')).toBe(0)
    expect(after.value('easel_credits_consumed_total')).toBe(during.value('easel_credits_consumed_total'))
  })

  it('is valid exposition text with a HELP and TYPE for every family, and without a token is open', async () => {
    const res = await t.current.server.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    const m = parseExposition(res.body)
    for (const name of [
      'easel_http_request_duration_seconds',
      'easel_jobs_finished_total',
      'easel_jobs',
      'easel_engine_queue_jobs',
      'easel_engine_queue_wait_seconds',
      'easel_engine_run_seconds',
      'easel_holds_open',
      'easel_ledger_batch_operations',
      'easel_ledger_commit_seconds',
      'easel_credits_granted_total',
      'easel_credits_consumed_total',
    ]) {
      const family = name.replace(/_total$/, '')
      expect(m.types.has(family) || m.types.has(name), name).toBe(true)
      expect(res.body, name).toContain(`# HELP ${name.endsWith('_total') ? name : family} `)
    }
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0)
  })
})

describe.each(BACKENDS)('GET /metrics with EASEL_METRICS_TOKEN (%s)', (backend) => {
  const t = useTestServer(backend, { env: { EASEL_METRICS_TOKEN: TOKEN } })

  it('answers 401 without the token or with another, and 200 with it', async () => {
    const app = t.current.server.app
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN]) {
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      })
      expect(res.statusCode, String(authorization)).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"')
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } })
      expect(res.body).not.toContain('easel_')
    }
    const m = await scrape(t.current, { authorization: `Bearer ${TOKEN}` })
    expect(m.value('easel_holds_open')).toBe(0)
    // The refusals were timed like any request (by pattern), the answered scrape not at all.
    expect(m.select('easel_http_request_duration_seconds_count', { route: '/metrics' })).toEqual([])
  })
})

describe('EASEL_METRICS_TOKEN', () => {
  it('is refused when short or with spaces, never repeated in the message, and never printed', () => {
    for (const bad of ['short', 'has a space in it somewhere']) {
      let error: unknown
      try {
        loadConfig({ EASEL_METRICS_TOKEN: bad })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems.join('\n')).toMatch(/EASEL_METRICS_TOKEN: must be 16 to 512/)
      expect((error as ConfigError).message).not.toContain(bad)
    }
    const config = loadConfig({ EASEL_METRICS_TOKEN: TOKEN })
    expect(config.metrics.token).toBe(TOKEN)
    expect(JSON.stringify(config)).not.toContain(TOKEN)
    expect(inspect(config, { depth: 10 })).not.toContain(TOKEN)
    expect(loadConfig({ EASEL_METRICS_TOKEN: '' }).metrics.token).toBeNull()
    expect(loadConfig({}).metrics.token).toBeNull()
  })
})

describe('metric labels', () => {
  it('name an engine run’s outcome and a status class from a closed set', () => {
    expect(runOutcome(null)).toBe('ok')
    expect(runOutcome(new EngineError('TIMEOUT', 'slow'))).toBe('timeout')
    expect(runOutcome(new EngineError('CANCELLED', 'stopped'))).toBe('cancelled')
    expect(runOutcome(new EngineError('UPSTREAM_ERROR', 'broken'))).toBe('error')
    expect(runOutcome(new Error('socket hang up'))).toBe('error')
    expect(runOutcome(undefined)).toBe('error')
    expect([200, 302, 404, 503, 42].map(statusClass)).toEqual(['2xx', '3xx', '4xx', '5xx', 'other'])
  })
})
