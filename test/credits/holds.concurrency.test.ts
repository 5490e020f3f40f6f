import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Result } from '../../src/credits/errors.ts'
import { Ledger } from '../../src/credits/ledger.ts'
import type { Database } from '../../src/db/open.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import {
  killStrayWorkers,
  startTogether,
  type WorkerFailure,
  type WorkerOp,
} from '../support/spawn-ledger-worker.ts'

// Each process's writer runs `poolSize - 2` write transactions at once: 4 connections per process.
const POOL_SIZE = 6
const PROCESSES = 2
// With group commit a process's whole burst can share one transaction; one operation per
// transaction makes the processes interleave statement by statement and fight for every lock.
const BATCHING = [
  { batching: 'group commit', maxBatch: undefined },
  { batching: 'one transaction per operation', maxBatch: 1 },
]
/** A few seconds is normal; a deadlocked worker would otherwise be waited for until the global timeout. */
const MULTI_PROCESS_TIMEOUT_MS = 20_000

type Outcome = Result<unknown> | WorkerFailure
const thrown = (outcomes: readonly Outcome[]) => outcomes.filter((o): o is WorkerFailure => 'thrown' in o)
const errorCodes = (outcomes: readonly Outcome[]) =>
  outcomes.flatMap((o) => ('thrown' in o || o.ok ? [] : [o.error.code]))

describe.each(BACKENDS)('holds under concurrency on %s', (backend) => {
  let tdb: TestDatabase
  let db: Database
  let ledger: Ledger

  beforeEach(async () => {
    tdb = await createTestDatabase(backend, { poolSize: POOL_SIZE })
    db = await tdb.open()
    ledger = new Ledger(db)
  })

  afterEach(async () => {
    await killStrayWorkers()
    await db.close()
    await tdb.destroy()
  })

  async function accountWith(credits: number): Promise<string> {
    const account = await ledger.createAccount({})
    if (!account.ok) throw new Error(account.error.message)
    const grant = await ledger.grant({
      accountId: account.value.accountId,
      amount: credits,
      source: 'purchase',
    })
    if (!grant.ok) throw new Error(grant.error.message)
    return account.value.accountId
  }

  async function expectBalance(accountId: string, expected: { available: number; held: number }) {
    const balance = await ledger.balance(accountId)
    expect(balance.ok && { available: balance.value.available, held: balance.value.held }).toEqual(expected)
  }

  async function expectVerifyClean() {
    const report = await ledger.verify()
    expect(report.violations).toEqual([])
    expect(report.ok).toBe(true)
  }

  test('200 holds of 1 credit at once through one Ledger on an account of 50: exactly 50 succeed', async () => {
    const accountId = await accountWith(50)

    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => ledger.hold({ accountId, amount: 1 })),
    )

    const holdIds = outcomes.flatMap((o) => (o.ok ? [o.value.holdId] : []))
    expect(holdIds).toHaveLength(50)
    expect(new Set(holdIds).size).toBe(50)
    expect(errorCodes(outcomes)).toEqual(Array(150).fill('INSUFFICIENT_CREDITS'))
    await expectBalance(accountId, { available: 0, held: 50 })
    await expectVerifyClean()
  })

  test.each(BATCHING)(
    `200 holds of 1 credit at once from ${PROCESSES} processes on an account of 50, $batching: exactly 50 succeed`,
    async ({ maxBatch }) => {
      const accountId = await accountWith(50)
      const ops: WorkerOp[] = Array.from({ length: 200 / PROCESSES }, () => ({
        op: 'hold',
        accountId,
        amount: 1,
      }))

      const workers = await startTogether(
        Array.from({ length: PROCESSES }, () => ({
          mode: 'burst' as const,
          database: tdb.config,
          ops,
          maxBatch,
        })),
      )
      const reports = await Promise.all(workers.map((w) => w.done()))
      const exits = await Promise.all(workers.map((w) => w.exited))

      expect(exits).toEqual(Array(PROCESSES).fill({ code: 0, signal: null }))
      expect(new Set([process.pid, ...reports.map((r) => r.pid)]).size).toBe(PROCESSES + 1)
      const outcomes = reports.flatMap((r) => r.outcomes)
      expect(thrown(outcomes)).toEqual([])
      const holdIds = outcomes.flatMap((o) =>
        'thrown' in o || !o.ok ? [] : [(o.value as { holdId: string }).holdId],
      )
      expect(holdIds).toHaveLength(50)
      expect(new Set(holdIds).size).toBe(50)
      expect(errorCodes(outcomes)).toEqual(Array(150).fill('INSUFFICIENT_CREDITS'))
      if (backend === 'postgres') {
        // The burst really ran on several server connections, not one after another on a single one.
        const backendPids = new Set(reports.flatMap((r) => r.backendPids))
        expect(backendPids.size).toBeGreaterThanOrEqual(4)
      }

      const stored = await db.kysely
        .selectFrom('holds')
        .select(['id', 'status', 'amount'])
        .where('account_id', '=', accountId)
        .execute()
      expect(stored.map((h) => h.id).sort()).toEqual([...holdIds].sort())
      expect(stored.every((h) => h.status === 'pending' && h.amount === 1)).toBe(true)
      await expectBalance(accountId, { available: 0, held: 50 })
      await expectVerifyClean()
    },
    MULTI_PROCESS_TIMEOUT_MS,
  )

  test.each(BATCHING)(
    `holds on 8 accounts from ${PROCESSES} processes in opposite orders, $batching: none overspent`,
    async ({ maxBatch }) => {
      // A batch locks every account it touches; two processes walking the accounts in opposite
      // orders deadlock unless the locks are taken in one fixed order.
      const accounts: string[] = []
      for (let i = 0; i < 8; i++) accounts.push(await accountWith(10))
      const walk = (order: readonly string[]): WorkerOp[] =>
        Array.from({ length: 200 }, (_, i) => ({
          op: 'hold',
          accountId: order[i % order.length]!,
          amount: 1,
        }))

      const workers = await startTogether([
        { mode: 'burst', database: tdb.config, ops: walk(accounts), maxBatch },
        { mode: 'burst', database: tdb.config, ops: walk([...accounts].reverse()), maxBatch },
      ])
      const reports = await Promise.all(workers.map((w) => w.done()))
      await Promise.all(workers.map((w) => w.exited))

      const outcomes = reports.flatMap((r) => r.outcomes)
      expect(thrown(outcomes)).toEqual([])
      expect(outcomes.filter((o) => !('thrown' in o) && o.ok)).toHaveLength(80)
      expect(errorCodes(outcomes)).toEqual(Array(320).fill('INSUFFICIENT_CREDITS'))
      for (const accountId of accounts) await expectBalance(accountId, { available: 0, held: 10 })
      await expectVerifyClean()
    },
    MULTI_PROCESS_TIMEOUT_MS,
  )

  test.each(BATCHING)(
    `captures and releases of the same holds from ${PROCESSES} processes, $batching: exactly one settles each`,
    async ({ maxBatch }) => {
      const holdCount = 48
      const accountId = await accountWith(2 * holdCount)
      const holdIds: string[] = []
      for (let i = 0; i < holdCount; i++) {
        const hold = await ledger.hold({ accountId, amount: 2 })
        if (!hold.ok) throw new Error(hold.error.message)
        holdIds.push(hold.value.holdId)
      }
      // Per hold, the two processes race with: capture part vs capture all, release vs release,
      // capture all vs release. Whichever commits first wins; the other must see it settled.
      const first: WorkerOp[] = holdIds.map((holdId, i) =>
        i % 3 === 0
          ? { op: 'capture', holdId, amount: 1 }
          : i % 3 === 1
            ? { op: 'release', holdId }
            : { op: 'capture', holdId },
      )
      const second: WorkerOp[] = holdIds.map((holdId, i) =>
        i % 3 === 0 ? { op: 'capture', holdId } : { op: 'release', holdId },
      )

      const workers = await startTogether([
        { mode: 'burst', database: tdb.config, ops: first, maxBatch },
        { mode: 'burst', database: tdb.config, ops: second, maxBatch },
      ])
      const [a, b] = await Promise.all(workers.map((w) => w.done()))
      await Promise.all(workers.map((w) => w.exited))

      expect(thrown([...a!.outcomes, ...b!.outcomes])).toEqual([])
      const stored = new Map(
        (
          await db.kysely
            .selectFrom('holds')
            .select(['id', 'status', 'captured'])
            .where('account_id', '=', accountId)
            .execute()
        ).map((h) => [h.id, h]),
      )
      let capturedTotal = 0
      for (const [i, holdId] of holdIds.entries()) {
        const pair = [
          { op: first[i]!, outcome: a!.outcomes[i]! },
          { op: second[i]!, outcome: b!.outcomes[i]! },
        ]
        const winners = pair.filter((p) => !('thrown' in p.outcome) && p.outcome.ok)
        const losers = pair.filter((p) => !('thrown' in p.outcome) && !p.outcome.ok)
        expect(winners, `hold ${i}`).toHaveLength(1)
        expect(errorCodes(losers.map((l) => l.outcome)), `hold ${i}`).toEqual(['HOLD_ALREADY_SETTLED'])
        const won = winners[0]!.op
        const expected =
          won.op === 'capture'
            ? { id: holdId, status: 'captured', captured: won.amount ?? 2 }
            : { id: holdId, status: 'released', captured: 0 }
        expect(stored.get(holdId)).toEqual(expected)
        capturedTotal += expected.captured
      }
      await expectBalance(accountId, { available: 2 * holdCount - capturedTotal, held: 0 })
      await expectVerifyClean()
    },
    MULTI_PROCESS_TIMEOUT_MS,
  )
})
