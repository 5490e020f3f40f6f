import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AppLog,
  type EaselApp,
  intervalScheduler,
  MAIL_EVERY_MS,
  NOTICES_EVERY_MS,
  openApp,
  RECOVER_EVERY_MS,
  type Scheduler,
  type SweepOutcome,
} from '../../src/app/index.ts'
import { withAccounts, withLedger } from '../../src/cli/ledger-session.ts'
import { loadConfig } from '../../src/config.ts'
import { LABS_2022 } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import type { Database } from '../../src/db/open.ts'
import { RunnerRegistry, STALE_AFTER_MS } from '../../src/studio/runners.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { newId } from '../../src/util/ids.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import { testEnv } from '../support/server.ts'

/** A scheduler the test drives: `fire(ms)` runs, and waits for, every task scheduled every `ms`. */
class ManualScheduler implements Scheduler {
  readonly tasks = new Set<{ ms: number; task: () => Promise<void> }>()
  every(ms: number, task: () => Promise<void>): () => void {
    const entry = { ms, task }
    this.tasks.add(entry)
    return () => this.tasks.delete(entry)
  }
  intervals(): number[] {
    return [...this.tasks].map((t) => t.ms).sort((a, b) => a - b)
  }
  async fire(ms: number): Promise<void> {
    await Promise.all([...this.tasks].filter((t) => t.ms === ms).map((t) => t.task()))
  }
}

function spyLog(): AppLog & { lines: Array<{ level: string; obj: object; msg: string }> } {
  const lines: Array<{ level: string; obj: object; msg: string }> = []
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg })
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

const SWEEP_EVERY = 5 * 60_000
const HOUR = 3_600_000

describe.each(BACKENDS)('app lifecycle (%s)', (backend) => {
  let testDb: TestDatabase
  let dataDir: string
  /** Another connection to the same database: what a peer process, or the test's own eyes, see. */
  let peer: Database
  let clock: ManualClock
  let scheduler: ManualScheduler
  let swept: SweepOutcome[]
  let log: ReturnType<typeof spyLog>
  let easel: EaselApp

  beforeEach(async () => {
    testDb = await createTestDatabase(backend)
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-lifecycle-'))
    peer = await testDb.open()
    clock = new ManualClock()
    scheduler = new ManualScheduler()
    swept = []
    log = spyLog()
    easel = await openApp(loadConfig(testEnv(testDb, dataDir)), {
      clock,
      log,
      scheduler,
      sweepEveryMs: SWEEP_EVERY,
      onSweep: (o) => swept.push(o),
    })
  })

  afterEach(async () => {
    await easel.lifecycle.stop(0)
    await peer.close()
    await testDb.destroy()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  let serial = 0
  async function newAccount(): Promise<{ accountId: string; userId: string }> {
    const created = await easel.services.accounts.createUser({
      email: `lifecycle${++serial}-${process.pid}@example.test`,
      password: 'correct horse battery',
    })
    if (!created.ok) throw new Error(created.error.message)
    return { accountId: created.value.accountId, userId: created.value.id }
  }

  /** What a process that crashed mid-job leaves: a running job on a held credit, its runner silent. */
  async function crashedJob(): Promise<{ jobId: string; holdId: string; accountId: string }> {
    const { accountId, userId } = await newAccount()
    const hold = await easel.services.ledger.hold({ accountId, amount: 1, ttlMs: 24 * HOUR })
    if (!hold.ok) throw new Error(hold.error.message)
    const runnerId = newId('run')
    const now = clock.now()
    await peer.kysely
      .insertInto('runners')
      .values({
        id: runnerId,
        hostname: 'a-host-that-crashed',
        pid: 1,
        started_at: now - 2 * STALE_AFTER_MS,
        heartbeat_at: now - 2 * STALE_AFTER_MS,
        stopped_at: null,
      })
      .execute()
    const jobId = newId('job')
    await peer.kysely
      .insertInto('jobs')
      .values({
        id: jobId,
        account_id: accountId,
        user_id: userId,
        api_key_id: null,
        kind: 'generate',
        engine: 'sketch',
        model: 'sketch',
        prompt: 'a lighthouse',
        parameters: JSON.stringify({ n: 1, size: 256, seed: 1 }),
        status: 'running',
        hold_id: hold.value.holdId,
        credits_quoted: 1,
        credits_charged: 0,
        book_version: null,
        error_code: null,
        error_message: null,
        idempotency_key: null,
        request_hash: null,
        runner_id: runnerId,
        created_at: now,
        started_at: now,
        finished_at: null,
      })
      .execute()
    return { jobId, holdId: hold.value.holdId, accountId }
  }

  async function jobAndHold(jobId: string, holdId: string) {
    const job = await peer.kysely
      .selectFrom('jobs')
      .select(['status', 'error_code'])
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow()
    const hold = await peer.kysely
      .selectFrom('holds')
      .select('status')
      .where('id', '=', holdId)
      .executeTakeFirstOrThrow()
    return { job: job.status, error: job.error_code, hold: hold.status }
  }

  it('start settles the jobs a crashed process left running, once; peers that crash later are found on schedule', async () => {
    const crashed = await crashedJob()
    const report = await easel.lifecycle.start()
    expect(report.recovered).toBe(1)
    expect(await jobAndHold(crashed.jobId, crashed.holdId)).toEqual({
      job: 'failed',
      error: 'INTERRUPTED',
      hold: 'released',
    })
    const balance = await easel.services.ledger.balance(crashed.accountId)
    expect(balance.ok && balance.value).toMatchObject({ held: 0 })
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', obj: { recovered: 1 } }))

    // A second start is the first: recovery does not run again…
    const later = await crashedJob()
    expect(await easel.lifecycle.start()).toBe(report)
    expect(await jobAndHold(later.jobId, later.holdId)).toMatchObject({ job: 'running', hold: 'pending' })
    // …the periodic recovery finds it, when its time comes (and a sweep's tick does not).
    expect(scheduler.intervals()).toEqual(
      [SWEEP_EVERY, RECOVER_EVERY_MS, MAIL_EVERY_MS, NOTICES_EVERY_MS].sort((a, b) => a - b),
    )
    await scheduler.fire(SWEEP_EVERY)
    expect(await jobAndHold(later.jobId, later.holdId)).toMatchObject({ job: 'running' })
    await scheduler.fire(RECOVER_EVERY_MS)
    expect(await jobAndHold(later.jobId, later.holdId)).toEqual({
      job: 'failed',
      error: 'INTERRUPTED',
      hold: 'released',
    })
  })

  it('sweeps at start and then on its schedule: due lots expire and overdue holds are released', async () => {
    const { accountId } = await newAccount()
    const granted = await easel.services.ledger.grant({
      accountId,
      amount: 4,
      source: 'bonus',
      expiresInMs: 2 * HOUR,
    })
    expect(granted.ok).toBe(true)
    const hold = await easel.services.ledger.hold({ accountId, amount: 1, ttlMs: 60_000 })
    expect(hold.ok).toBe(true)

    const report = await easel.lifecycle.start()
    const nothing = { holdsReleased: 0, lotsExpired: 0, creditsExpired: 0 }
    expect(report.sweep).toEqual({ ok: true, value: expect.objectContaining(nothing) })
    expect(swept).toEqual([report.sweep])

    clock.advance(3 * HOUR)
    // Due, but not swept until the sweep's time comes: the lot still holds its credits on the record.
    const lot = () =>
      peer.kysely
        .selectFrom('lots')
        .select('remaining')
        .where('account_id', '=', accountId)
        .where('source', '=', 'bonus')
        .executeTakeFirstOrThrow()
    expect(Number((await lot()).remaining)).toBe(4)
    await scheduler.fire(RECOVER_EVERY_MS)
    expect(swept).toHaveLength(1)

    await scheduler.fire(SWEEP_EVERY)
    expect(swept).toHaveLength(2)
    expect(swept[1]).toEqual({
      ok: true,
      value: expect.objectContaining({ holdsReleased: 1, lotsExpired: 1, creditsExpired: 4 }),
    })
    expect(Number((await lot()).remaining)).toBe(0)
    const h = await peer.kysely
      .selectFrom('holds')
      .select('status')
      .where('id', '=', hold.ok ? hold.value.holdId : '')
      .executeTakeFirstOrThrow()
    expect(h.status).toBe('expired')

    // Nothing more is due: the next sweep changes nothing.
    await scheduler.fire(SWEEP_EVERY)
    expect(swept[2]).toEqual({ ok: true, value: expect.objectContaining(nothing) })
  })

  it('runs the notices at start and then hourly, and nudges the mail sender after a run that queued mail', async () => {
    expect(NOTICES_EVERY_MS).toBe(HOUR)
    const { accountId, userId } = await newAccount()
    const expiresAt = clock.now() + 7 * 24 * HOUR + 30 * 60_000
    const granted = await easel.services.ledger.grant({ accountId, amount: 9, source: 'purchase', expiresAt })
    expect(granted.ok).toBe(true)
    const warnings = () =>
      peer.kysely
        .selectFrom('mail_outbox')
        .select(['subject', 'sent_at'])
        .where('kind', '=', 'credits-expiring')
        .execute()

    // At start the grant is 7 days and 30 minutes from expiring: nothing due.
    await easel.lifecycle.start()
    expect(await warnings()).toEqual([])

    // An hour later the notices' turn comes: the warning is queued, and the nudged sender sends it
    // (mail off: into the log) without waiting for its own tick.
    clock.advance(HOUR)
    await scheduler.fire(SWEEP_EVERY)
    expect(await warnings()).toEqual([])
    await scheduler.fire(NOTICES_EVERY_MS)
    expect((await warnings()).map((w) => w.subject)).toEqual([
      '9 of your Easel credits expire on 8 January 2026',
    ])
    await easel.services.mail.outbox.runOnce()
    expect((await warnings())[0]!.sent_at).not.toBeNull()
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'info', obj: { expiryWarnings: 1, freeCredits: 0, more: false } }),
    )
    const sentTo = await peer.kysely
      .selectFrom('users')
      .select('email')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow()
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        obj: expect.objectContaining({ kind: 'credits-expiring', to: sentTo.email }),
      }),
    )

    // The next hour finds nothing more to send.
    clock.advance(HOUR)
    await scheduler.fire(NOTICES_EVERY_MS)
    expect(await warnings()).toHaveLength(1)
  })

  it('the sweep re-reads the price books: a version another process activated is in force after it', async () => {
    await easel.lifecycle.start()
    const other = await DatabasePricing.load(peer.kysely, clock)
    const book = { ...LABS_2022, version: 'labs-2026-lifecycle', effectiveFrom: undefined }
    const activated = await other.activate(book, 'now')
    expect(activated.ok).toBe(true)
    const { pricing } = easel.services
    expect(pricing.versions().map((v) => v.version)).not.toContain(book.version)

    await scheduler.fire(SWEEP_EVERY)
    expect(pricing.versions().map((v) => v.version)).toContain(book.version)
    expect(pricing.bookAt(clock.now()).version).toBe(book.version)
    // The ledger prices by the same catalogue.
    expect(easel.services.ledger.pricing).toBe(pricing)
  })

  it('stop is idempotent, waits for a sweep under way, and leaves nothing scheduled', async () => {
    await easel.lifecycle.start()
    const runnerId = (
      await peer.kysely
        .selectFrom('runners')
        .select('id')
        .where('stopped_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).id
    const tasks = [...scheduler.tasks]
    // The sweep, the recovery of crashed peers, the mail sender's tick and the notices.
    expect(tasks).toHaveLength(4)

    // A sweep is under way when the stop comes: it finishes on an open database.
    const sweeping = scheduler.fire(SWEEP_EVERY)
    const first = easel.lifecycle.stop(0)
    const second = easel.lifecycle.stop(0)
    expect(second).toBe(first)
    await Promise.all([sweeping, first])
    expect(swept).toHaveLength(2)
    expect(swept.every((o) => o.ok)).toBe(true)
    expect(scheduler.tasks.size).toBe(0)

    // A timer that fired anyway (a tick racing the stop) does no work.
    await Promise.all(tasks.map((t) => t.task()))
    expect(swept).toHaveLength(2)
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([])

    const runner = await peer.kysely
      .selectFrom('runners')
      .select('stopped_at')
      .where('id', '=', runnerId)
      .executeTakeFirstOrThrow()
    expect(runner.stopped_at).not.toBeNull()
    await expect(easel.lifecycle.start()).rejects.toThrow(/stopped/)
    await easel.lifecycle.stop()
  })

  it('a CLI command builds the core through the same root and leaves nothing running', async () => {
    const { accountId } = await newAccount()
    const ctx = {
      config: loadConfig(testEnv(testDb, dataDir)),
      clock,
      out: () => {},
      err: () => {},
      stopSignal: new Promise<void>(() => {}),
    }
    const balance = await withLedger(ctx, async (ledger) => {
      // Priced by the books in force, as the server's ledger is.
      expect(ledger.pricing).toBeInstanceOf(DatabasePricing)
      return ledger.balance(accountId)
    })
    expect(balance.ok && balance.value.available).toBe(15)
    const signup = await withAccounts(ctx, async (accounts) => accounts.signup)
    expect(signup).toBe(easel.services.accounts.signup)
    // No runner registered, nothing scheduled: only `start` runs the lifecycle.
    expect(await peer.kysely.selectFrom('runners').selectAll().execute()).toEqual([])
  })

  it('a failed heartbeat is logged and does not throw', async () => {
    const db = await testDb.open()
    const runners = new RunnerRegistry(db.kysely, clock, { log })
    await runners.register()
    await db.close()
    await expect(runners.beat()).resolves.toBeUndefined()
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'runner heartbeat failed',
        obj: expect.objectContaining({ runnerId: runners.id }),
      }),
    )
    await runners.stop().catch(() => {})
  })
})

describe('intervalScheduler', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs a task every interval until cancelled', () => {
    vi.useFakeTimers()
    let runs = 0
    const cancel = intervalScheduler.every(1_000, async () => {
      runs++
    })
    vi.advanceTimersByTime(3_500)
    expect(runs).toBe(3)
    cancel()
    vi.advanceTimersByTime(10_000)
    expect(runs).toBe(3)
  })
})
