import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JobBody } from '../../src/contracts/index.ts'
import type { EngineRequest, EngineResult, ImageEngine, SizeName } from '../../src/engines/engine.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { flatPng } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

/**
 * An engine that holds every run until the test lets it finish: `calls` is the order runs reached
 * it (by prompt), `finishNext()` ends the oldest unfinished one, `open()` ends all, now and later.
 */
class BlockedEngine implements ImageEngine {
  readonly name = 'blocked'
  readonly models = ['blocked']
  readonly procedural = false
  readonly sizes: readonly SizeName[] = ['256x256']
  readonly calls: string[] = []
  private readonly pending: Array<() => void> = []
  private opened = false
  private onCall: (() => void) | null = null

  supports(): boolean {
    return true
  }

  run(request: EngineRequest): Promise<EngineResult> {
    this.calls.push(request.prompt ?? '')
    this.onCall?.()
    const { width, height } = request
    const result = { images: [{ png: flatPng(width, height), width, height }] }
    if (this.opened) return Promise.resolve(result)
    return new Promise((resolve) => this.pending.push(() => resolve(result)))
  }

  /** Resolves once the engine has been called `count` times in all. */
  called(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve()
    return new Promise((resolve) => {
      this.onCall = () => {
        if (this.calls.length >= count) {
          this.onCall = null
          resolve()
        }
      }
    })
  }

  finishNext(): void {
    const finish = this.pending.shift()
    if (!finish) throw new Error('no engine run is waiting to finish')
    finish()
  }

  open(): void {
    this.opened = true
    for (const finish of this.pending.splice(0)) finish()
  }
}

function client(t: TestServer) {
  return async (user: TestUser, url: string, body: unknown) => {
    const res = await t.server.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    })
    return Reply.injected(res)
  }
}

const job = (prompt: string) => ({ kind: 'generate', prompt, n: 1, size: '256x256', model: 'blocked' })

async function balance(t: TestServer, accountId: string) {
  const b = await t.server.services.ledger.balance(accountId)
  if (!b.ok) throw new Error(b.error.message)
  return { available: b.value.available, held: b.value.held }
}

async function jobRows(t: TestServer, accountId: string): Promise<number> {
  const rows = await t.server.services.db.kysely
    .selectFrom('jobs')
    .select('id')
    .where('account_id', '=', accountId)
    .execute()
  return rows.length
}

describe.each(BACKENDS)('one account cannot lock the others out of an engine (%s)', (backend) => {
  describe('queues are fair across accounts', () => {
    const engine = new BlockedEngine()
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(backend, {
        engines: [engine],
        env: {
          EASEL_ENGINE_CONCURRENCY: '1',
          EASEL_QUEUE_LIMIT: '1000',
          EASEL_MAX_JOBS_PER_ACCOUNT: '1000',
        },
      })
    }, 60_000)
    afterAll(async () => {
      engine.open()
      await t?.close()
    })

    it('a second account’s job runs next, behind 200 of the first’s', async () => {
      const post = client(t)
      const a = await t.user({ credits: 250 })
      const b = await t.user({ credits: 5 })
      const aJobs: string[] = []
      for (let i = 1; i <= 201; i++) {
        const res = await post(a, '/api/jobs', job(`a ${i}`))
        expect(res.status, res.text).toBe(202)
        aJobs.push(res.as(JobBody).id)
      }
      const bJob = await post(b, '/api/jobs', job('b 1'))
      expect(bJob.status).toBe(202)
      expect(engine.calls).toEqual(['a 1'])
      expect(t.server.services.studio.queueSizes().blocked).toEqual({ running: 1, waiting: 201 })

      const next = engine.called(2)
      engine.finishNext()
      await next
      expect(engine.calls).toEqual(['a 1', 'b 1'])
      const third = engine.called(3)
      engine.finishNext()
      await third
      expect(engine.calls).toEqual(['a 1', 'b 1', 'a 2'])

      engine.open()
      const { studio } = t.server.services
      const bDone = await studio.waitForJob(b.user.accountId, bJob.as(JobBody).id)
      expect(bDone).toMatchObject({ status: 'succeeded', creditsCharged: 1 })
      const aDone = await Promise.all(aJobs.map((id) => studio.waitForJob(a.user.accountId, id)))
      expect(aDone.every((j) => j.status === 'succeeded')).toBe(true)
      // A's own jobs ran in the order they were submitted.
      expect(engine.calls.filter((p) => p.startsWith('a '))).toEqual(aJobs.map((_, i) => `a ${i + 1}`))
      expect(await balance(t, a.user.accountId)).toEqual({ available: 250 - 201, held: 0 })
      const report = await t.server.services.ledger.verify()
      expect(report.violations).toEqual([])
    }, 120_000)
  })

  describe('an account may have EASEL_MAX_JOBS_PER_ACCOUNT jobs in flight', () => {
    const engine = new BlockedEngine()
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(backend, {
        engines: [engine],
        env: { EASEL_ENGINE_CONCURRENCY: '1', EASEL_MAX_JOBS_PER_ACCOUNT: '32' },
      })
    }, 60_000)
    afterAll(async () => {
      engine.open()
      await t?.close()
    })

    it('beyond it a job is refused with 429, holding and writing nothing; one finishing makes room', async () => {
      const post = client(t)
      const a = await t.user({ credits: 50 })
      const b = await t.user({ credits: 5 })
      // 40 at once: the check and the hold race, yet exactly 32 get in.
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post(a, '/api/jobs', job(`a ${i + 1}`))),
      )
      const accepted = burst.filter((r) => r.status === 202)
      expect(accepted).toHaveLength(32)
      expect(burst.filter((r) => r.status === 429)).toHaveLength(8)
      const before = await balance(t, a.user.accountId)
      expect(before).toEqual({ available: 50 - 32, held: 32 })
      expect(await jobRows(t, a.user.accountId)).toBe(32)

      const v1 = await post(a, '/v1/images/generations', { prompt: 'one more', size: '256x256' })
      expect(v1.status).toBe(429)
      expect(v1.openAiError).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' })
      expect(v1.openAiError.message).toMatch(/32 jobs waiting or running.*at most 32/)
      expect(v1.headers.get('retry-after')).toBe('5')
      expect(v1.headers.get('x-should-retry')).toBeNull()

      const native = await post(a, '/api/jobs', job('one more'))
      expect(native.status).toBe(429)
      expect(native.headers.get('retry-after')).toBe('5')
      expect(native.error).toMatchObject({ code: 'RATE_LIMITED', inFlight: 32, limit: 32 })
      expect(native.error.message).toMatch(
        /^Too many jobs in flight: this account already has 32 jobs waiting or running and may have at most 32 at once/,
      )
      expect(await balance(t, a.user.accountId)).toEqual(before)
      expect(await jobRows(t, a.user.accountId)).toBe(32)

      // Another account is not held back by A's cap.
      const other = await post(b, '/api/jobs', job('b 1'))
      expect(other.status).toBe(202)

      // The job running is whichever of the burst reached the engine first.
      const running = accepted.map((r) => r.as(JobBody)).find((j) => j.prompt === engine.calls[0])!
      engine.finishNext()
      const first = await t.server.services.studio.waitForJob(a.user.accountId, running.id)
      expect(first.status).toBe('succeeded')
      const again = await post(a, '/api/jobs', job('a again'))
      expect(again.status).toBe(202)
      expect((await post(a, '/api/jobs', job('a too many'))).status).toBe(429)

      engine.open()
      const { studio } = t.server.services
      await Promise.all(
        [...accepted, again].map((r) => studio.waitForJob(a.user.accountId, r.as(JobBody).id)),
      )
      expect(await balance(t, a.user.accountId)).toEqual({ available: 50 - 33, held: 0 })
      const report = await t.server.services.ledger.verify()
      expect(report.violations).toEqual([])
    }, 120_000)
  })
})
