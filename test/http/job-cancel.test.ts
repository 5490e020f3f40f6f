import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { InjectOptions } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Scheduler } from '../../src/app/index.ts'
import { loadConfig } from '../../src/config.ts'
import { JobBody } from '../../src/contracts/index.ts'
import { EngineError } from '../../src/engines/engine.ts'
import { type RunningServer, startServer } from '../../src/http/server.ts'
import { systemClock } from '../../src/util/clock.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseAs } from '../support/contracts.ts'
import { ControlledEngine, type ControlledRun } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser, testEnv } from '../support/server.ts'

// Issue 13's cancel through HTTP on every backend: POST /api/jobs/:id/cancel takes a waiting job
// out of line and stops a running one at its engine; either way its hold is released and nothing is
// charged. A job that finished first answers as it ended; another account's job is 404. The job's
// events carry its place in line while it waits and its progress while it runs. With PostgreSQL, a
// cancel sent to one process stops the job another process runs.

/** One engine run at a time, so that a second job waits behind the first. */
const ENV = { EASEL_ENGINE_CONCURRENCY: '1', EASEL_QUEUE_LIMIT: '100' }

const job = (prompt: string) => ({ kind: 'generate', prompt, n: 1, size: '256x256', model: 'controlled' })

/** The job without its images' signed links (each answer signs them afresh). */
const unsigned = (j: JobBody) => ({ ...j, images: j.images.map(({ url: _url, ...image }) => image) })

/** The `job` events of a job's event stream, read one at a time as they come. */
class JobEvents {
  private buffer = ''
  private readonly decoder = new TextDecoder()
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  /** Every event read so far. */
  readonly seen: JobBody[] = []

  private constructor(response: Response) {
    this.reader = response.body!.getReader()
  }

  static async open(base: string, user: TestUser, jobId: string): Promise<JobEvents> {
    const response = await fetch(`${base}/api/jobs/${jobId}/events`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    return new JobEvents(response)
  }

  /** The next event; throws when the stream ended first. */
  async next(): Promise<JobBody> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = this.buffer.slice(0, end)
        this.buffer = this.buffer.slice(end + 2)
        const data = block.split('\n').find((line) => line.startsWith('data: '))
        // A comment (the keep-alive) carries no event.
        if (data === undefined) continue
        expect(block).toMatch(/^event: job$/m)
        const event = parseAs(JobBody, JSON.parse(data.slice('data: '.length)))
        this.seen.push(event)
        return event
      }
      const { done, value } = await this.reader.read()
      if (done) throw new Error(`the event stream ended; events so far: ${JSON.stringify(this.seen)}`)
      this.buffer += this.decoder.decode(value, { stream: true })
    }
  }

  /** Reads events until one satisfies `test` (at most `bound` events), and returns it. */
  async until(test: (job: JobBody) => boolean, bound = 20): Promise<JobBody> {
    for (let i = 0; i < bound; i++) {
      const event = await this.next()
      if (test(event)) return event
    }
    throw new Error(`no such event within ${bound}: ${JSON.stringify(this.seen)}`)
  }

  /** Whether the server ended the stream after what was read (nothing more comes). */
  async ended(): Promise<boolean> {
    if (this.buffer.includes('data: ')) return false
    const { done } = await this.reader.read()
    return done
  }

  close(): void {
    this.reader.cancel().catch(() => {})
  }
}

describe.each(BACKENDS)('cancelling a job through HTTP (%s)', (backend) => {
  const engine = new ControlledEngine('controlled')
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer(backend, { engines: [engine], env: ENV })
  }, 60_000)
  // A test that failed half-way may have left jobs waiting or running: cancel them, so that the
  // next test finds the engine free.
  afterEach(async () => {
    engine.ignoresAbort = false
    const { db, studio } = t.server.services
    const open = await db.kysely
      .selectFrom('jobs')
      .select(['id', 'account_id'])
      .where('status', 'in', ['queued', 'running'])
      .execute()
    for (const j of open) await studio.cancel(j.account_id, j.id)
  })
  afterAll(() => t?.close())

  const call = async (user: TestUser, method: InjectOptions['method'], url: string, body?: unknown) =>
    Reply.injected(
      await t.server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${user.apiKey}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      }),
    )

  /** Starts a job (202) and answers with it as the POST did. */
  async function start(user: TestUser, prompt: string): Promise<JobBody> {
    const res = await call(user, 'POST', '/api/jobs', job(prompt))
    expect(res.status, res.text).toBe(202)
    return res.as(JobBody)
  }

  /** Starts a job that reaches the engine at once, and gives its run. */
  async function startRunning(user: TestUser, prompt: string): Promise<{ job: JobBody; run: ControlledRun }> {
    const next = engine.started(engine.runs.length + 1)
    const started = await start(user, prompt)
    const run = await next
    expect(run.request.prompt).toBe(prompt)
    return { job: started, run }
  }

  const cancel = (user: TestUser, id: string) => call(user, 'POST', `/api/jobs/${id}/cancel`)
  const read = async (user: TestUser, id: string) => (await call(user, 'GET', `/api/jobs/${id}`)).as(JobBody)

  async function balance(user: TestUser) {
    const b = await t.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return { available: b.value.available, held: b.value.held }
  }

  async function holdOf(jobId: string) {
    const { kysely } = t.server.services.db
    const row = await kysely
      .selectFrom('jobs')
      .select('hold_id')
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow()
    return kysely
      .selectFrom('holds')
      .select(['status', 'captured'])
      .where('id', '=', row.hold_id!)
      .executeTakeFirstOrThrow()
  }

  async function imagesOf(jobId: string): Promise<number> {
    const rows = await t.server.services.db.kysely
      .selectFrom('images')
      .select('id')
      .where('job_id', '=', jobId)
      .execute()
    return rows.length
  }

  /** What `easel ledger verify` checks: every invariant of the ledger holds. */
  async function expectLedgerClean() {
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  }

  /** The job's hold went back whole: released, nothing captured, no images kept. */
  async function expectNothingCharged(cancelled: JobBody) {
    expect(cancelled).toMatchObject({ status: 'cancelled', creditsCharged: 0, images: [], cost: null })
    expect(cancelled.error?.code).toBe('CANCELLED')
    expect(cancelled.finishedAt).not.toBeNull()
    expect(await holdOf(cancelled.id)).toEqual({ status: 'released', captured: 0 })
    expect(await imagesOf(cancelled.id)).toBe(0)
  }

  it('a waiting job is taken out of line: its engine never sees it, its hold goes back', async () => {
    const me = await t.user({ credits: 10 })
    const first = await startRunning(me, 'the one running')
    const waiting = await start(me, 'the one waiting')
    expect(waiting).toMatchObject({ status: 'queued', queuePosition: 1, progress: null })
    const quoted = first.job.creditsQuoted
    expect(await balance(me)).toEqual({
      available: 10 - quoted - waiting.creditsQuoted,
      held: quoted + waiting.creditsQuoted,
    })
    expect(t.server.services.studio.queueSizes().controlled).toEqual({ running: 1, waiting: 1 })

    const res = await cancel(me, waiting.id)
    expect(res.status, res.text).toBe(200)
    const cancelled = res.as(JobBody)
    expect(cancelled.error?.message).toMatch(/cancelled before it started; nothing was charged/)
    expect(cancelled.startedAt).toBeNull()
    expect(cancelled.queuePosition).toBeNull()
    await expectNothingCharged(cancelled)
    expect(await read(me, waiting.id)).toEqual(cancelled)
    expect(t.server.services.studio.queueSizes().controlled).toEqual({ running: 1, waiting: 0 })
    expect(await balance(me)).toEqual({ available: 10 - quoted, held: quoted })
    await expectLedgerClean()

    // The running one is untouched, and when it ends nothing else reaches the engine.
    first.run.finish()
    const done = await t.server.services.studio.waitForJob(me.user.accountId, first.job.id)
    expect(done).toMatchObject({ status: 'succeeded', creditsCharged: quoted })
    expect(engine.runs.filter((r) => r.request.prompt === 'the one waiting')).toEqual([])
    expect(t.server.services.studio.queueSizes().controlled).toEqual({ running: 0, waiting: 0 })
    expect(await balance(me)).toEqual({ available: 10 - quoted, held: 0 })
    await expectLedgerClean()
  })

  it('a running job is stopped at its engine (its signal aborts with CANCELLED); its hold goes back', async () => {
    const me = await t.user({ credits: 10 })
    const { job: running, run } = await startRunning(me, 'stop me')
    run.report(1, 4)
    expect(run.signal.aborted).toBe(false)
    expect((await read(me, running.id)).status).toBe('running')

    const res = await cancel(me, running.id)
    expect(res.status, res.text).toBe(200)
    const cancelled = res.as(JobBody)
    expect(cancelled.error?.message).toMatch(/cancelled while it ran; nothing was charged/)
    expect(cancelled.startedAt).not.toBeNull()
    expect(cancelled.progress).toBeNull()
    await expectNothingCharged(cancelled)
    // The engine was told, with the reason it must stop for.
    expect(run.signal.aborted).toBe(true)
    expect(run.signal.reason).toBeInstanceOf(EngineError)
    expect((run.signal.reason as EngineError).code).toBe('CANCELLED')
    expect(await balance(me)).toEqual({ available: 10, held: 0 })
    expect(t.server.services.studio.queueSizes().controlled).toEqual({ running: 0, waiting: 0 })
    await expectLedgerClean()
  })

  it('an engine that ignores the abort does not keep the cancel waiting, and what it sends late is not kept', async () => {
    const me = await t.user({ credits: 10 })
    engine.ignoresAbort = true
    try {
      const { job: running, run } = await startRunning(me, 'a stubborn engine')
      const res = await cancel(me, running.id)
      expect(res.status, res.text).toBe(200)
      await expectNothingCharged(res.as(JobBody))
      expect(run.signal.aborted).toBe(true)
      // The engine answers anyway, after the job stopped waiting for it.
      run.finish()
      const after = await read(me, running.id)
      expect(after.status).toBe('cancelled')
      await expectNothingCharged(after)
      expect(await balance(me)).toEqual({ available: 10, held: 0 })
      await expectLedgerClean()
    } finally {
      engine.ignoresAbort = false
    }
  })

  it('a job that finished first answers with its final state: succeeded, charged once', async () => {
    const me = await t.user({ credits: 10 })
    const { job: started, run } = await startRunning(me, 'quick')
    run.finish()
    const done = await t.server.services.studio.waitForJob(me.user.accountId, started.id)
    expect(done.status).toBe('succeeded')
    const before = await balance(me)
    expect(before).toEqual({ available: 10 - started.creditsQuoted, held: 0 })

    const res = await cancel(me, started.id)
    expect(res.status, res.text).toBe(200)
    const answered = res.as(JobBody)
    expect(answered).toMatchObject({
      status: 'succeeded',
      creditsCharged: started.creditsQuoted,
      error: null,
    })
    expect(answered.images).toHaveLength(1)
    expect(answered.cost).not.toBeNull()
    expect(unsigned(answered)).toEqual(unsigned(await read(me, started.id)))
    expect(await holdOf(started.id)).toEqual({ status: 'captured', captured: started.creditsQuoted })
    // Twice more, at once: still the same job, still charged once.
    const again = await Promise.all([cancel(me, started.id), cancel(me, started.id)])
    for (const r of again) expect(unsigned(r.as(JobBody))).toEqual(unsigned(answered))
    expect(await balance(me)).toEqual(before)
    await expectLedgerClean()
  })

  it('a cancel racing the engine’s answer: the job either succeeds charged once or is cancelled charging nothing, and the cancel says which', async () => {
    const me = await t.user({ credits: 40 })
    let charged = 0
    // The engine answers, and the cancel comes through HTTP, or straight to the studio 0 to 64 turns
    // of the event loop later: each lands at another step of the job's settling.
    for (const lag of ['http', 0, 1, 4, 16, 64] as const) {
      const { job: started, run } = await startRunning(me, `race: ${lag}`)
      run.finish()
      let told: { status: string; creditsCharged: number }
      if (lag === 'http') {
        const answer = await cancel(me, started.id)
        expect(answer.status, answer.text).toBe(200)
        told = answer.as(JobBody)
      } else {
        for (let i = 0; i < lag; i++) await new Promise((resolve) => setImmediate(resolve))
        told = (await t.server.services.studio.cancel(me.user.accountId, started.id))!
      }
      const settled = await t.server.services.studio.waitForJob(me.user.accountId, started.id)
      // What the cancel answered is how the job ended.
      expect(told.status).toBe(settled.status)
      expect(told.creditsCharged).toBe(settled.creditsCharged)
      if (told.status === 'succeeded') {
        expect(told.creditsCharged).toBe(started.creditsQuoted)
        expect(await holdOf(started.id)).toEqual({ status: 'captured', captured: started.creditsQuoted })
        expect(await imagesOf(started.id)).toBe(1)
        charged += told.creditsCharged
      } else {
        await expectNothingCharged(await read(me, started.id))
      }
      expect(await balance(me)).toEqual({ available: 40 - charged, held: 0 })
    }
    // Whichever way each race went, nothing was held back or charged twice.
    await expectLedgerClean()
  })

  it('cancelling twice (one after the other, or at once) answers the cancelled job and changes nothing more', async () => {
    const me = await t.user({ credits: 10 })
    const { job: running } = await startRunning(me, 'cancel me twice')
    const both = await Promise.all([cancel(me, running.id), cancel(me, running.id)])
    for (const r of both) expect(r.status, r.text).toBe(200)
    const cancelled = both[0]!.as(JobBody)
    await expectNothingCharged(cancelled)
    expect(both[1]!.as(JobBody)).toEqual(cancelled)
    const third = await cancel(me, running.id)
    expect(third.status).toBe(200)
    expect(third.as(JobBody)).toEqual(cancelled)
    expect(await balance(me)).toEqual({ available: 10, held: 0 })

    // And a waiting one, cancelled twice.
    const blocker = await startRunning(me, 'blocker')
    const waiting = await start(me, 'waiting, cancelled twice')
    const first = (await cancel(me, waiting.id)).as(JobBody)
    const second = await cancel(me, waiting.id)
    expect(second.status).toBe(200)
    expect(second.as(JobBody)).toEqual(first)
    await expectNothingCharged(first)
    blocker.run.finish()
    await t.server.services.studio.waitForJob(me.user.accountId, blocker.job.id)
    expect(await balance(me)).toEqual({ available: 10 - blocker.job.creditsQuoted, held: 0 })
    await expectLedgerClean()
  })

  it('another account’s job is 404, exactly like an unknown id, and goes on untouched', async () => {
    const owner = await t.user({ credits: 10 })
    const stranger = await t.user({ credits: 10 })
    const { job: running, run } = await startRunning(owner, 'not yours')
    const waiting = await start(owner, 'not yours either')

    for (const id of [running.id, waiting.id]) {
      const res = await cancel(stranger, id)
      expect(res.status).toBe(404)
      expect(res.error).toMatchObject({ code: 'NOT_FOUND', message: `no job ${id}` })
    }
    const unknown = 'job_01jd3q8z6x4c9m2k7w5e0t1r8b'
    const none = await cancel(owner, unknown)
    expect(none.status).toBe(404)
    expect(none.error).toMatchObject({ code: 'NOT_FOUND', message: `no job ${unknown}` })
    expect(run.signal.aborted).toBe(false)
    expect((await read(owner, running.id)).status).toBe('running')
    expect((await read(owner, waiting.id)).status).toBe('queued')
    expect(await balance(stranger)).toEqual({ available: 10, held: 0 })

    run.finish()
    const second = await engine.started(engine.runs.length + 1)
    expect(second.request.prompt).toBe('not yours either')
    second.finish()
    const { studio } = t.server.services
    for (const id of [running.id, waiting.id]) {
      expect((await studio.waitForJob(owner.user.accountId, id)).status).toBe('succeeded')
    }
    await expectLedgerClean()
  })

  it('the job’s events: its place in line while it waits, its progress while it runs, then cancelled', async () => {
    const other = await t.user({ credits: 10 })
    const me = await t.user({ credits: 10 })
    const ahead = await startRunning(other, 'running ahead')
    const firstOfMine = await start(me, 'mine, first')
    const mine = await start(me, 'mine, second')
    expect(mine.queuePosition).toBe(2)

    const events = await JobEvents.open(t.url, me, mine.id)
    try {
      expect(await events.next()).toMatchObject({ status: 'queued', queuePosition: 2, progress: null })
      // The job ahead of it in line is cancelled: it moves up.
      expect((await cancel(me, firstOfMine.id)).status).toBe(200)
      expect(await events.next()).toMatchObject({ status: 'queued', queuePosition: 1 })

      // The job running ends: this one starts, and tells how far it has got.
      const next = engine.started(engine.runs.length + 1)
      ahead.run.finish()
      const run = await next
      expect(run.request.prompt).toBe('mine, second')
      expect(await events.next()).toMatchObject({ status: 'running', queuePosition: null, progress: null })
      run.report(1, 4)
      expect(await events.next()).toMatchObject({ status: 'running', progress: 0.25 })
      // Steps within one whole percent are not told again.
      run.report(1001, 4000)
      run.report(21, 40)
      expect(await events.next()).toMatchObject({ status: 'running', progress: 0.525 })
      // Reading the job says the same as its last event.
      expect((await read(me, mine.id)).progress).toBe(0.525)

      expect((await cancel(me, mine.id)).status).toBe(200)
      const last = await events.next()
      expect(last).toMatchObject({ status: 'cancelled', progress: null, queuePosition: null })
      await expectNothingCharged(last)
      expect(await events.ended()).toBe(true)
      expect(events.seen.map((e) => e.status)).toEqual([
        'queued',
        'queued',
        'running',
        'running',
        'running',
        'cancelled',
      ])
    } finally {
      events.close()
    }
    await t.server.services.studio.waitForJob(other.user.accountId, ahead.job.id)
    expect(await balance(me)).toEqual({ available: 10, held: 0 })
    await expectLedgerClean()
  })

  it('a finished job’s events are its final state, at once, and the stream ends', async () => {
    const me = await t.user({ credits: 10 })
    const { job: running } = await startRunning(me, 'cancelled before anyone listened')
    expect((await cancel(me, running.id)).status).toBe(200)
    const events = await JobEvents.open(t.url, me, running.id)
    try {
      expect(await events.next()).toMatchObject({ status: 'cancelled', creditsCharged: 0 })
      expect(await events.ended()).toBe(true)
    } finally {
      events.close()
    }
  })
})

/** Periodic work that never runs on its own (as startTestServer does). */
const neverScheduler: Scheduler = { every: () => () => {} }

describe.each(BACKENDS.filter((b) => b === 'postgres'))(
  'cancelling a job another process runs (%s, two processes on one database)',
  (backend) => {
    // Process A runs the jobs; the cancel is sent to process B, which knows them only from the
    // database. A sees the job settled there and stops its engine.
    const engineA = new ControlledEngine('controlled')
    const engineB = new ControlledEngine('controlled')
    let a: TestServer
    let b: RunningServer
    let dataDirB: string
    beforeAll(async () => {
      a = await startTestServer(backend, { engines: [engineA], env: ENV })
      dataDirB = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-data-'))
      b = await startServer(loadConfig(testEnv(a.testDb, dataDirB, ENV)), {
        clock: systemClock,
        engines: [engineB],
        scheduler: neverScheduler,
      })
    }, 60_000)
    afterAll(async () => {
      for (const run of [...engineA.runs, ...engineB.runs]) run.finish()
      await b?.close()
      await a?.close()
      if (dataDirB) fs.rmSync(dataDirB, { recursive: true, force: true })
    })

    const on = async (
      server: RunningServer,
      user: TestUser,
      method: InjectOptions['method'],
      url: string,
      body?: unknown,
    ) =>
      Reply.injected(
        await server.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${user.apiKey}` },
          ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
        }),
      )

    async function balance(user: TestUser) {
      const r = await a.server.services.ledger.balance(user.user.accountId)
      if (!r.ok) throw new Error(r.error.message)
      return { available: r.value.available, held: r.value.held }
    }

    /** Resolves with the job as process A's studio tells it once it has finished there. */
    function settledOnA(jobId: string): Promise<JobBody['status']> {
      return new Promise((resolve) => {
        const stop = a.server.services.studio.subscribe(jobId, (view) => {
          if (view.status !== 'queued' && view.status !== 'running') {
            stop()
            resolve(view.status)
          }
        })
      })
    }

    it('a running job: B answers cancelled, A’s engine is aborted, nothing is charged', async () => {
      const me = await a.user({ credits: 10 })
      const next = engineA.started(engineA.runs.length + 1)
      const started = await on(a.server, me, 'POST', '/api/jobs', job('run on A, cancel on B'))
      expect(started.status, started.text).toBe(202)
      const id = started.as(JobBody).id
      const run = await next
      expect(a.server.services.studio.isLocal(id)).toBe(true)
      expect(b.services.studio.isLocal(id)).toBe(false)
      const aborted = new Promise<unknown>((resolve) =>
        run.signal.addEventListener('abort', () => resolve(run.signal.reason), { once: true }),
      )
      const settled = settledOnA(id)

      const res = await on(b, me, 'POST', `/api/jobs/${id}/cancel`)
      expect(res.status, res.text).toBe(200)
      const cancelled = res.as(JobBody)
      expect(cancelled).toMatchObject({ status: 'cancelled', creditsCharged: 0 })
      expect(cancelled.error?.code).toBe('CANCELLED')
      expect(await balance(me)).toEqual({ available: 10, held: 0 })

      // A looks for its jobs settled elsewhere, stops the engine, and settles nothing more.
      const reason = await aborted
      expect(reason).toBeInstanceOf(EngineError)
      expect((reason as EngineError).code).toBe('CANCELLED')
      expect(await settled).toBe('cancelled')
      expect((await on(a.server, me, 'GET', `/api/jobs/${id}`)).as(JobBody)).toEqual(cancelled)
      expect(engineB.runs).toEqual([])
      expect(await balance(me)).toEqual({ available: 10, held: 0 })
      expect((await a.server.services.ledger.verify()).violations).toEqual([])
    })

    it('a waiting job: taken out of A’s line, never reaching its engine', async () => {
      const me = await a.user({ credits: 10 })
      const next = engineA.started(engineA.runs.length + 1)
      const first = await on(a.server, me, 'POST', '/api/jobs', job('ahead on A'))
      const run = await next
      const waiting = await on(a.server, me, 'POST', '/api/jobs', job('waiting on A'))
      const id = waiting.as(JobBody).id
      expect(waiting.as(JobBody).queuePosition).toBe(1)
      const settled = settledOnA(id)

      const res = await on(b, me, 'POST', `/api/jobs/${id}/cancel`)
      expect(res.status, res.text).toBe(200)
      expect(res.as(JobBody)).toMatchObject({ status: 'cancelled', creditsCharged: 0, startedAt: null })
      expect(await settled).toBe('cancelled')
      expect(a.server.services.studio.queueSizes().controlled).toEqual({ running: 1, waiting: 0 })

      run.finish()
      const done = await a.server.services.studio.waitForJob(me.user.accountId, first.as(JobBody).id)
      expect(done.status).toBe('succeeded')
      expect(engineA.runs.map((r) => r.request.prompt)).not.toContain('waiting on A')
      expect(await balance(me)).toEqual({ available: 10 - done.creditsCharged, held: 0 })
      expect((await a.server.services.ledger.verify()).violations).toEqual([])
    })

    it('B’s event stream of a job A runs ends with the cancel', async () => {
      const me = await a.user({ credits: 10 })
      const next = engineA.started(engineA.runs.length + 1)
      const started = await on(a.server, me, 'POST', '/api/jobs', job('watched on B'))
      const id = started.as(JobBody).id
      await next
      const events = await JobEvents.open(b.url, me, id)
      try {
        expect(await events.next()).toMatchObject({ status: 'running' })
        expect((await on(b, me, 'POST', `/api/jobs/${id}/cancel`)).status).toBe(200)
        expect(await events.until((e) => e.status !== 'running')).toMatchObject({ status: 'cancelled' })
        expect(await events.ended()).toBe(true)
      } finally {
        events.close()
      }
    })
  },
)
