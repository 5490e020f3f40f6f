import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Result } from '../../src/credits/errors.ts'
import { Ledger } from '../../src/credits/ledger.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const MIN = 60_000
const DAY = 86_400_000

/** A key nobody else uses: keys are global to the installation. */
const newKey = (label: string) => `${label}:${randomUUID()}`

/**
 * One idempotent operation, ready to be called: `call` makes the request on any ledger over the
 * database; `expectOneEffect` checks the account shows exactly one application of it.
 */
interface Arranged {
  call(ledger: Ledger, key: string): Promise<Result<unknown>>
  expectOneEffect(answer: unknown): Promise<void>
}

interface OperationCase {
  op: string
  arrange(ledger: Ledger): Promise<Arranged>
}

async function fundedAccount(ledger: Ledger, amount = 10) {
  const { accountId } = unwrap(await ledger.createAccount({}))
  unwrap(await ledger.grant({ accountId, amount, source: 'purchase' }))
  return accountId
}

/** The kinds of the account's journal transactions, oldest first. */
async function kinds(ledger: Ledger, accountId: string): Promise<string[]> {
  return unwrap(await ledger.history(accountId, { limit: 1000 }))
    .entries.map((e) => e.kind)
    .reverse()
}

async function expectBalance(ledger: Ledger, accountId: string, available: number, held: number) {
  const balance = unwrap(await ledger.balance(accountId))
  expect({ available: balance.available, held: balance.held }).toEqual({ available, held })
}

const CASES: OperationCase[] = [
  {
    op: 'createAccount',
    async arrange(ledger) {
      const reference = newKey('user')
      return {
        call: (l, idempotencyKey) => l.createAccount({ reference, idempotencyKey }),
        async expectOneEffect(answer) {
          const rows = await ledger.db.kysely
            .selectFrom('accounts')
            .select('id')
            .where('reference', '=', reference)
            .execute()
          expect(rows).toEqual([{ id: (answer as { accountId: string }).accountId }])
        },
      }
    },
  },
  {
    op: 'grant',
    async arrange(ledger) {
      const { accountId } = unwrap(await ledger.createAccount({}))
      return {
        call: (l, idempotencyKey) =>
          l.grant({ accountId, amount: 7, source: 'monthly', expiresInMs: 30 * DAY, idempotencyKey }),
        async expectOneEffect() {
          expect(await kinds(ledger, accountId)).toEqual(['grant'])
          await expectBalance(ledger, accountId, 7, 0)
        },
      }
    },
  },
  {
    op: 'hold',
    async arrange(ledger) {
      const accountId = await fundedAccount(ledger)
      return {
        call: (l, idempotencyKey) => l.hold({ accountId, amount: 3, reference: 'job_1', idempotencyKey }),
        async expectOneEffect() {
          expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold'])
          await expectBalance(ledger, accountId, 7, 3)
        },
      }
    },
  },
  {
    op: 'capture',
    async arrange(ledger) {
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      return {
        call: (l, idempotencyKey) => l.capture({ holdId, amount: 2, idempotencyKey }),
        async expectOneEffect() {
          // A partial capture: the charge, then the uncharged credit going back.
          expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold', 'capture', 'release'])
          await expectBalance(ledger, accountId, 8, 0)
        },
      }
    },
  },
  {
    op: 'release',
    async arrange(ledger) {
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      return {
        call: (l, idempotencyKey) => l.release({ holdId, idempotencyKey }),
        async expectOneEffect() {
          expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold', 'release'])
          await expectBalance(ledger, accountId, 10, 0)
        },
      }
    },
  },
  {
    op: 'refund',
    async arrange(ledger) {
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId }))
      return {
        call: (l, idempotencyKey) => l.refund({ holdId, amount: 1, reason: 'blurry', idempotencyKey }),
        async expectOneEffect(answer) {
          expect(answer).toMatchObject({ refunded: 1, refundable: 2 })
          expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold', 'capture', 'refund'])
          await expectBalance(ledger, accountId, 8, 0)
        },
      }
    },
  },
]

/** `n` calls started together, all in flight at once. */
function together<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)))
}

describe.each(BACKENDS)('ledger idempotency (%s)', (backend) => {
  let testDb: TestDatabase
  let db: Database
  /** A second connection set to the same database, as a second Easel process would have. */
  let otherDb: Database

  beforeAll(async () => {
    testDb = await createTestDatabase(backend)
    db = await testDb.open()
    otherDb = await testDb.open()
  })

  afterAll(async () => {
    await otherDb?.close()
    await db?.close()
    await testDb?.destroy()
  })

  function newLedger(clock = new ManualClock()) {
    return new Ledger(db, { clock })
  }

  async function expectVerified(ledger: Ledger) {
    const report = await ledger.verify()
    expect(report.violations).toEqual([])
    expect(report.ok).toBe(true)
  }

  describe('the same key replayed', () => {
    it.each(CASES)('$op replayed with the same key has one effect and gives the same answer', async (c) => {
      const ledger = newLedger()
      const arranged = await c.arrange(ledger)
      const key = newKey(c.op)
      const first = await arranged.call(ledger, key)
      expect(first.ok).toBe(true)
      const second = await arranged.call(ledger, key)
      const third = await arranged.call(ledger, key)
      expect(second).toStrictEqual(first)
      expect(third).toStrictEqual(first)
      await arranged.expectOneEffect(unwrap(first))
      await expectVerified(ledger)
    })

    it.each(CASES)('$op replayed after the clock moved on still gives the first answer', async (c) => {
      const clock = new ManualClock()
      const ledger = newLedger(clock)
      const arranged = await c.arrange(ledger)
      const key = newKey(c.op)
      const first = await arranged.call(ledger, key)
      expect(first.ok).toBe(true)
      clock.advance(1_500)
      expect(await arranged.call(ledger, key)).toStrictEqual(first)
      await arranged.expectOneEffect(unwrap(first))
    })

    it('grant with expiresInMs replayed a little later keeps the first expiry and makes one lot', async () => {
      const clock = new ManualClock()
      const ledger = newLedger(clock)
      const { accountId } = unwrap(await ledger.createAccount({}))
      const request = { accountId, amount: 15, source: 'monthly' as const, expiresInMs: 30 * DAY }
      const idempotencyKey = newKey('monthly')
      const first = unwrap(await ledger.grant({ ...request, idempotencyKey }))
      expect(first.expiresAt).toBe(clock.now() + 30 * DAY)
      clock.advance(2_000)
      const replay = await ledger.grant({ ...request, idempotencyKey })
      expect(replay).toStrictEqual({ ok: true, value: first })
      const balance = unwrap(await ledger.balance(accountId))
      expect(balance.lots.map((l) => [l.id, l.amount, l.expiresAt])).toEqual([
        [first.lotId, 15, first.expiresAt],
      ])
      await expectVerified(ledger)
    })

    it('grant with an absolute expiry replayed after that expiry still gives the first answer', async () => {
      const clock = new ManualClock()
      const ledger = newLedger(clock)
      const { accountId } = unwrap(await ledger.createAccount({}))
      const request = { accountId, amount: 5, source: 'bonus' as const, expiresAt: clock.now() + MIN }
      const idempotencyKey = newKey('bonus')
      const first = await ledger.grant({ ...request, idempotencyKey })
      expect(first.ok).toBe(true)
      clock.advance(2 * MIN)
      expect(await ledger.grant({ ...request, idempotencyKey })).toStrictEqual(first)
      expect(await kinds(ledger, accountId)).toEqual(['grant'])
    })

    it('capture replayed after the hold would have expired gives the first answer, not HOLD_EXPIRED', async () => {
      const clock = new ManualClock()
      const ledger = newLedger(clock)
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 2, ttlMs: MIN }))
      const idempotencyKey = newKey('capture')
      const first = await ledger.capture({ holdId, idempotencyKey })
      expect(first.ok).toBe(true)
      clock.advance(10 * MIN)
      expect(await ledger.capture({ holdId, idempotencyKey })).toStrictEqual(first)
      expect(await ledger.capture({ holdId })).toMatchObject({
        ok: false,
        error: { code: 'HOLD_ALREADY_SETTLED' },
      })
    })

    it('a later partial refund under a new key is a new refund, not a replay', async () => {
      const ledger = newLedger()
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId }))
      const a = unwrap(await ledger.refund({ holdId, amount: 1, idempotencyKey: newKey('refund') }))
      const b = unwrap(await ledger.refund({ holdId, amount: 1, idempotencyKey: newKey('refund') }))
      expect([a.refundable, b.refundable]).toEqual([2, 1])
      await expectBalance(ledger, accountId, 9, 0)
    })
  })

  describe('the same key at the same time', () => {
    it.each(CASES)('$op called 20 times at once with one key has one effect and one answer', async (c) => {
      const ledger = newLedger()
      const arranged = await c.arrange(ledger)
      const key = newKey(c.op)
      const results = await together(20, () => arranged.call(ledger, key))
      expect(results[0]!.ok).toBe(true)
      for (const r of results) expect(r).toStrictEqual(results[0])
      await arranged.expectOneEffect(unwrap(results[0]!))
      await expectVerified(ledger)
    })

    it.each(CASES)(
      '$op called at once from two processes with one key has one effect and one answer',
      async (c) => {
        const clock = new ManualClock()
        const ledger = new Ledger(db, { clock })
        const other = new Ledger(otherDb, { clock })
        const arranged = await c.arrange(ledger)
        const key = newKey(c.op)
        const results = await together(20, (i) => arranged.call(i % 2 === 0 ? ledger : other, key))
        expect(results[0]!.ok).toBe(true)
        for (const r of results) expect(r).toStrictEqual(results[0])
        await arranged.expectOneEffect(unwrap(results[0]!))
        await expectVerified(ledger)
      },
    )

    it('two different requests racing for one key: one wins, every other call gets the winner or a conflict', async () => {
      const clock = new ManualClock()
      const ledger = new Ledger(db, { clock })
      const other = new Ledger(otherDb, { clock })
      const accountId = await fundedAccount(ledger, 100)
      const idempotencyKey = newKey('race')
      const results = await together(20, (i) =>
        (i % 2 === 0 ? ledger : other).hold({ accountId, amount: i < 10 ? 1 : 2, idempotencyKey }),
      )
      const wins = results.filter((r) => r.ok)
      const conflicts = results.filter((r) => !r.ok)
      expect(wins.length).toBeGreaterThan(0)
      for (const w of wins) expect(w).toStrictEqual(wins[0])
      for (const c of conflicts) {
        expect(c).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT', key: idempotencyKey } })
      }
      const held = unwrap(wins[0]!).amount
      expect(conflicts).toHaveLength(results.filter((_, i) => (i < 10 ? 1 : 2) !== held).length)
      expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold'])
      await expectBalance(ledger, accountId, 100 - held, held)
      await expectVerified(ledger)
    })
  })

  describe('the same key with a different request', () => {
    /** What the caller can see: a different request under a used key must leave all of it alone. */
    async function observe(ledger: Ledger, accountId: string) {
      return {
        balance: await ledger.balance(accountId),
        history: await ledger.history(accountId, { limit: 1000 }),
        verify: await ledger.verify(),
      }
    }

    const conflicts: Array<{
      name: string
      first: (
        l: Ledger,
        ids: { accountId: string; holdId: string; capturedHoldId: string },
        key: string,
      ) => Promise<Result<unknown>>
      second: (
        l: Ledger,
        ids: { accountId: string; holdId: string; capturedHoldId: string },
        key: string,
      ) => Promise<Result<unknown>>
    }> = [
      {
        name: 'createAccount with another reference',
        first: (l, _, key) => l.createAccount({ reference: 'alice', idempotencyKey: key }),
        second: (l, _, key) => l.createAccount({ reference: 'bob', idempotencyKey: key }),
      },
      {
        name: 'grant of another amount',
        first: (l, { accountId }, key) =>
          l.grant({ accountId, amount: 5, source: 'bonus', idempotencyKey: key }),
        second: (l, { accountId }, key) =>
          l.grant({ accountId, amount: 6, source: 'bonus', idempotencyKey: key }),
      },
      {
        name: 'grant from another source',
        first: (l, { accountId }, key) =>
          l.grant({ accountId, amount: 5, source: 'bonus', idempotencyKey: key }),
        second: (l, { accountId }, key) =>
          l.grant({ accountId, amount: 5, source: 'promotional', idempotencyKey: key }),
      },
      {
        name: 'hold of another amount',
        first: (l, { accountId }, key) => l.hold({ accountId, amount: 1, idempotencyKey: key }),
        second: (l, { accountId }, key) => l.hold({ accountId, amount: 2, idempotencyKey: key }),
      },
      {
        name: 'hold for another job',
        first: (l, { accountId }, key) =>
          l.hold({ accountId, amount: 1, reference: 'job_a', idempotencyKey: key }),
        second: (l, { accountId }, key) =>
          l.hold({ accountId, amount: 1, reference: 'job_b', idempotencyKey: key }),
      },
      {
        name: 'capture of another amount',
        first: (l, { holdId }, key) => l.capture({ holdId, amount: 1, idempotencyKey: key }),
        second: (l, { holdId }, key) => l.capture({ holdId, amount: 2, idempotencyKey: key }),
      },
      {
        name: 'refund of another amount',
        first: (l, { capturedHoldId }, key) =>
          l.refund({ holdId: capturedHoldId, amount: 1, idempotencyKey: key }),
        second: (l, { capturedHoldId }, key) =>
          l.refund({ holdId: capturedHoldId, amount: 2, idempotencyKey: key }),
      },
      {
        name: 'another operation (a release under a capture key)',
        first: (l, { holdId }, key) => l.capture({ holdId, idempotencyKey: key }),
        second: (l, { holdId }, key) => l.release({ holdId, idempotencyKey: key }),
      },
      {
        name: 'another account (a hold under a grant key)',
        first: (l, { accountId }, key) =>
          l.grant({ accountId, amount: 1, source: 'bonus', idempotencyKey: key }),
        second: (l, { accountId }, key) => l.hold({ accountId, amount: 1, idempotencyKey: key }),
      },
    ]

    it.each(conflicts)('$name is IDEMPOTENCY_CONFLICT and changes nothing', async ({ first, second }) => {
      const ledger = newLedger()
      const accountId = await fundedAccount(ledger)
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      const { holdId: capturedHoldId } = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId: capturedHoldId }))
      const ids = { accountId, holdId, capturedHoldId }
      const key = newKey('conflict')
      const answer = await first(ledger, ids, key)
      expect(answer.ok).toBe(true)
      const before = await observe(ledger, accountId)
      expect(await second(ledger, ids, key)).toMatchObject({
        ok: false,
        error: { code: 'IDEMPOTENCY_CONFLICT', key, message: expect.any(String) },
      })
      const after = await observe(ledger, accountId)
      expect(after).toStrictEqual(before)
      expect(after.verify.violations).toEqual([])
      // The key still answers its own request.
      expect(await first(ledger, ids, key)).toStrictEqual(answer)
    })
  })

  describe('refusals are not stored', () => {
    it('a hold refused for want of credits succeeds when retried with its key after a grant', async () => {
      const ledger = newLedger()
      const { accountId } = unwrap(await ledger.createAccount({}))
      const idempotencyKey = newKey('hold')
      const refused = await ledger.hold({ accountId, amount: 4, idempotencyKey })
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'INSUFFICIENT_CREDITS', requested: 4, available: 0 },
      })
      unwrap(await ledger.grant({ accountId, amount: 4, source: 'purchase' }))
      const retried = await ledger.hold({ accountId, amount: 4, idempotencyKey })
      expect(retried.ok).toBe(true)
      expect(await ledger.hold({ accountId, amount: 4, idempotencyKey })).toStrictEqual(retried)
      expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold'])
      await expectBalance(ledger, accountId, 0, 4)
      await expectVerified(ledger)
    })

    it('a grant refused for an unknown account succeeds when retried with its key once the account exists', async () => {
      const ledger = newLedger()
      const accountId = `acct_${randomUUID().replaceAll('-', '')}`
      const idempotencyKey = newKey('grant')
      const request = { accountId, amount: 3, source: 'bonus' as const, idempotencyKey }
      expect(await ledger.grant(request)).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } })
      unwrap(await ledger.createAccount({ id: accountId }))
      const retried = await ledger.grant(request)
      expect(retried.ok).toBe(true)
      expect(await ledger.grant(request)).toStrictEqual(retried)
      await expectBalance(ledger, accountId, 3, 0)
    })

    it('20 refused holds at once with one key store nothing, so the retry after a grant succeeds once', async () => {
      const ledger = newLedger()
      const { accountId } = unwrap(await ledger.createAccount({}))
      const idempotencyKey = newKey('hold')
      const refused = await together(20, () => ledger.hold({ accountId, amount: 2, idempotencyKey }))
      for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_CREDITS' } })
      unwrap(await ledger.grant({ accountId, amount: 2, source: 'purchase' }))
      const retried = await together(20, () => ledger.hold({ accountId, amount: 2, idempotencyKey }))
      for (const r of retried) expect(r).toStrictEqual(retried[0])
      expect(retried[0]!.ok).toBe(true)
      expect(await kinds(ledger, accountId)).toEqual(['grant', 'hold'])
    })
  })
})
