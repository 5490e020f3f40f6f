import { beforeEach, describe, expect, it } from 'vitest'
import type { VerifyReport, Violation } from '../../src/credits/index.ts'
import { Ledger, LedgerInvariantError } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { newId } from '../../src/util/ids.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const START = Date.UTC(2026, 0, 1)
/** Far more than any one test moves its clock. */
const TEST_SPACING = 365 * DAY

type Finding = { invariant: number; subject: string }

const describeViolation = (v: Violation) => `${v.invariant} ${v.subject} ${v.message}`

/**
 * Asserts that, compared with `baseline`, verify() now reports `expected` and nothing new about
 * objects other than `about` (a tampered row can rightly break more than one invariant of the
 * objects it touches). Comparing with a baseline lets every test share one database, where earlier
 * tests' tampering stays on the record: the journal cannot be repaired.
 */
function expectFindings(baseline: VerifyReport, report: VerifyReport, expected: Finding[], about: string[]) {
  expect(report.ok).toBe(false)
  const known = new Set(baseline.violations.map(describeViolation))
  const found = report.violations.filter((v) => !known.has(describeViolation(v)))
  for (const f of expected) expect(found).toContainEqual(expect.objectContaining(f))
  expect(found.filter((v) => !about.includes(v.subject))).toEqual([])
}

describe.each(BACKENDS)('Ledger verify() finds tampering on %s', (backend) => {
  const suite = useTestDatabase(backend)
  let t0 = START
  let clock: ManualClock
  let ledger: Ledger

  // Each test starts a year before the one that ran before it, so that nothing an earlier test left
  // behind falls due (and gets swept by `expireDue()`) while this one runs.
  beforeEach(() => {
    t0 -= TEST_SPACING
    clock = new ManualClock(t0)
    ledger = new Ledger(suite.db, { clock })
  })

  /**
   * An account that has seen every kind of movement: grants, a capture with a partial refund, a
   * pending hold, a released hold and a swept expiry, and that verifies clean. Returns the ids tests
   * tamper with and the report (`baseline`) to compare with afterwards.
   */
  async function scenario() {
    const { accountId } = unwrap(await ledger.createAccount({}))
    const key = `bonus-${accountId}`
    const monthly = unwrap(
      await ledger.grant({ accountId, amount: 3, source: 'monthly', expiresInMs: 2 * DAY }),
    ).lotId
    const purchase = unwrap(await ledger.grant({ accountId, amount: 10, source: 'purchase' })).lotId
    clock.advance(MINUTE)
    const captured = unwrap(await ledger.hold({ accountId, amount: 4 })).holdId // monthly 3, purchase 1
    clock.advance(MINUTE)
    unwrap(await ledger.capture({ holdId: captured }))
    clock.advance(MINUTE)
    unwrap(await ledger.refund({ holdId: captured, amount: 1 })) // back to purchase
    clock.advance(MINUTE)
    const pending = unwrap(await ledger.hold({ accountId, amount: 2, ttlMs: 10 * DAY })).holdId
    clock.advance(MINUTE)
    const released = unwrap(await ledger.hold({ accountId, amount: 1 })).holdId
    clock.advance(MINUTE)
    unwrap(await ledger.release({ holdId: released }))
    clock.advance(MINUTE)
    const bonus = unwrap(
      await ledger.grant({ accountId, amount: 2, source: 'bonus', expiresInMs: DAY, idempotencyKey: key }),
    ).lotId
    clock.advance(DAY)
    expect(await ledger.expireDue()).toEqual({
      accounts: 1,
      holdsReleased: 0,
      lotsExpired: 1,
      creditsExpired: 2,
    })

    const journal = unwrap(await ledger.history(accountId, { limit: 1000 })).entries
    const txn = (kind: string, holdId: string | null) =>
      journal.find((e) => e.kind === kind && e.holdId === holdId)!.transactionId
    const baseline = await ledger.verify()
    const own = new Set([
      accountId,
      key,
      monthly,
      purchase,
      bonus,
      captured,
      pending,
      released,
      ...journal.map((e) => e.transactionId),
    ])
    expect(baseline.violations.filter((v) => own.has(v.subject))).toEqual([])
    expect(baseline.awaitingExpirySweep).toBe(0)
    return {
      accountId,
      key,
      monthly,
      purchase,
      bonus,
      captured,
      pending,
      released,
      capturedHoldTxn: txn('hold', captured),
      expireTxn: txn('expire', null),
      journal,
      baseline,
    }
  }

  it('reports a ledger that saw every kind of movement clean, and counts what it checked', async () => {
    const before = await ledger.verify()
    const s = await scenario()
    const postings = await suite.db.kysely
      .selectFrom('journal_postings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', s.accountId)
      .executeTakeFirstOrThrow()
    const after = await ledger.verify()
    expect(after.violations).toEqual(before.violations)
    expect(after.checked).toEqual({
      accounts: before.checked.accounts + 1,
      lots: before.checked.lots + 3,
      holds: before.checked.holds + 3,
      transactions: before.checked.transactions + s.journal.length,
      postings: before.checked.postings + Number(postings.n),
    })
  })

  describe('invariant 1: every journal transaction sums to zero', () => {
    it('finds an inserted unbalanced transaction', async () => {
      const s = await scenario()
      const id = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_transactions')
        .values({ id, account_id: s.accountId, kind: 'expire', created_at: clock.now(), amount: 1 })
        .execute()
      await suite.db.kysely
        .insertInto('journal_postings')
        .values({
          transaction_id: id,
          seq: 0,
          account_id: s.accountId,
          lot_id: s.bonus,
          bucket: 'expired',
          amount: 1,
        })
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [{ invariant: 1, subject: id }],
        [id, s.accountId, s.bonus],
      )
    })

    it('finds a transaction that balances overall but moves credits from one lot to another', async () => {
      const s = await scenario()
      const id = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_transactions')
        .values({ id, account_id: s.accountId, kind: 'capture', created_at: clock.now(), amount: 1 })
        .execute()
      await suite.db.kysely
        .insertInto('journal_postings')
        .values([
          {
            transaction_id: id,
            seq: 0,
            account_id: s.accountId,
            lot_id: s.monthly,
            bucket: 'consumed',
            amount: -1,
          },
          {
            transaction_id: id,
            seq: 1,
            account_id: s.accountId,
            lot_id: s.purchase,
            bucket: 'consumed',
            amount: 1,
          },
        ])
        .execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 1, subject: id }], [id])
    })

    it('finds a transaction without postings', async () => {
      const s = await scenario()
      const id = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_transactions')
        .values({ id, account_id: s.accountId, kind: 'grant', created_at: clock.now(), amount: 5 })
        .execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 1, subject: id }], [id])
    })

    it('finds postings that belong to no transaction', async () => {
      const s = await scenario()
      const orphan = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_postings')
        .values([
          {
            transaction_id: orphan,
            seq: 0,
            account_id: s.accountId,
            lot_id: s.purchase,
            bucket: 'held',
            amount: -1,
          },
          {
            transaction_id: orphan,
            seq: 1,
            account_id: s.accountId,
            lot_id: s.purchase,
            bucket: 'held',
            amount: 1,
          },
        ])
        .execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 1, subject: orphan }], [orphan])
    })
  })

  describe('invariant 2: every lot agrees with the journal', () => {
    it('finds a lot whose remaining is not what the journal says', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('lots')
        .set((eb) => ({ remaining: eb('remaining', '-', 1) }))
        .where('id', '=', s.purchase)
        .execute()
      // The account's stored available no longer matches its lots either.
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 2, subject: s.purchase },
          { invariant: 3, subject: s.accountId },
        ],
        [s.purchase, s.accountId],
      )
    })

    it('finds a lot whose amount is not what the journal issued', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('lots')
        .set((eb) => ({ amount: eb('amount', '+', 1) }))
        .where('id', '=', s.purchase)
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 2, subject: s.purchase },
          { invariant: 7, subject: s.accountId },
        ],
        [s.purchase, s.accountId],
      )
    })

    it('finds a lot created without a grant in the journal', async () => {
      const s = await scenario()
      const lotId = newId('lot', clock.now())
      await suite.db.kysely
        .insertInto('lots')
        .values({
          id: lotId,
          account_id: s.accountId,
          source: 'adjustment',
          amount: 5,
          remaining: 0,
          priority: 60,
          granted_at: clock.now(),
          expires_at: null,
          cost_basis_minor: 0,
          currency: 'USD',
          reference: null,
          transaction_id: newId('txn', clock.now()),
        })
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 2, subject: lotId },
          { invariant: 7, subject: s.accountId },
        ],
        [lotId, s.accountId],
      )
    })

    it('finds postings for a lot that does not exist', async () => {
      const s = await scenario()
      const ghost = newId('lot', clock.now())
      const id = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_transactions')
        .values({ id, account_id: s.accountId, kind: 'capture', created_at: clock.now(), amount: 1 })
        .execute()
      await suite.db.kysely
        .insertInto('journal_postings')
        .values([
          { transaction_id: id, seq: 0, account_id: s.accountId, lot_id: ghost, bucket: 'held', amount: -1 },
          {
            transaction_id: id,
            seq: 1,
            account_id: s.accountId,
            lot_id: ghost,
            bucket: 'consumed',
            amount: 1,
          },
        ])
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [{ invariant: 2, subject: ghost }],
        [ghost, s.accountId],
      )
    })
  })

  describe('invariant 3: account balances match their lots', () => {
    it("finds an account whose available is not the sum of its lots' remaining", async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('accounts')
        .set({ available: 100 })
        .where('id', '=', s.accountId)
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 3, subject: s.accountId },
          { invariant: 7, subject: s.accountId },
        ],
        [s.accountId],
      )
    })
  })

  describe('invariant 4: idempotency keys', () => {
    it('finds a stored answer that cannot be read back', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('idempotency_keys')
        .set({ response: '{"lotId":' })
        .where('key', '=', s.key)
        .execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 4, subject: s.key }], [s.key])
    })
  })

  describe('invariant 5: holds agree with the journal', () => {
    it('finds a captured hold whose captured amount is not what the journal consumed', async () => {
      const s = await scenario()
      await suite.db.kysely.updateTable('holds').set({ captured: 3 }).where('id', '=', s.captured).execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 5, subject: s.captured }], [s.captured])
    })

    it('finds a captured hold whose refunded amount is not what the journal gave back', async () => {
      const s = await scenario()
      await suite.db.kysely.updateTable('holds').set({ refunded: 0 }).where('id', '=', s.captured).execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 5, subject: s.captured }], [s.captured])
    })

    it('finds a released hold marked captured though the journal never charged it', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('holds')
        .set({ status: 'captured', captured: 1 })
        .where('id', '=', s.released)
        .execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 5, subject: s.released }], [s.released])
    })

    it('finds a released hold that charged credits', async () => {
      const s = await scenario()
      await suite.db.kysely.updateTable('holds').set({ captured: 1 }).where('id', '=', s.released).execute()
      expectFindings(s.baseline, await ledger.verify(), [{ invariant: 5, subject: s.released }], [s.released])
    })

    it('finds a pending hold settled behind the journal’s back', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('holds')
        .set({ status: 'released', settled_at: clock.now() })
        .where('id', '=', s.pending)
        .execute()
      // Its lot and its account still hold its credits in the journal and the projection.
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 5, subject: s.purchase },
          { invariant: 5, subject: s.accountId },
        ],
        [s.purchase, s.accountId],
      )
    })

    it('finds a pending hold whose allocations do not add up to its amount', async () => {
      const s = await scenario()
      await suite.db.kysely.updateTable('holds').set({ amount: 3 }).where('id', '=', s.pending).execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 5, subject: s.pending },
          { invariant: 5, subject: s.accountId },
        ],
        [s.pending, s.accountId],
      )
    })

    it('finds a pending hold whose allocations name a lot it did not take from', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('holds')
        .set({ allocations: JSON.stringify([[s.monthly, 2, t0 + 2 * DAY]]) })
        .where('id', '=', s.pending)
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 5, subject: s.purchase },
          { invariant: 5, subject: s.monthly },
        ],
        [s.purchase, s.monthly],
      )
    })

    it.each([
      ['not JSON', 'not json'],
      ['not a list', '{"lot": 2}'],
      ['an amount given as text', JSON.stringify([['lot_x', '2', null]])],
      ['a fractional amount', JSON.stringify([['lot_x', 1.5, null]])],
      ['no lot id', JSON.stringify([[null, 2, null]])],
    ])(
      'finds a hold whose allocations are %s, and nothing else moves its credits by a guess',
      async (_, corrupted) => {
        const s = await scenario()
        await suite.db.kysely
          .updateTable('holds')
          .set({ allocations: corrupted })
          .where('id', '=', s.pending)
          .execute()
        // verify reports it with the rest (the purchase lot's held credits now belong to no hold)…
        expectFindings(
          s.baseline,
          await ledger.verify(),
          [
            { invariant: 5, subject: s.pending },
            { invariant: 5, subject: s.purchase },
          ],
          [s.pending, s.purchase],
        )
        // …while a balance and the sweep of the account, once the hold is due, refuse to go on.
        await expect(ledger.balance(s.accountId)).rejects.toBeInstanceOf(LedgerInvariantError)
        clock.advance(11 * DAY)
        const sweep = await ledger.expireDue().then(
          () => null,
          (error: unknown) => error,
        )
        expect(sweep).toBeInstanceOf(AggregateError)
        expect((sweep as AggregateError).errors).toEqual([expect.any(LedgerInvariantError)])
        expect((sweep as AggregateError).message).toContain(s.accountId)
      },
    )

    it('finds an account whose held is not the sum of its pending holds', async () => {
      const s = await scenario()
      await suite.db.kysely.updateTable('accounts').set({ held: 5 }).where('id', '=', s.accountId).execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 5, subject: s.accountId },
          { invariant: 7, subject: s.accountId },
        ],
        [s.accountId],
      )
    })
  })

  describe('invariant 6: expired credits are never spent; every expiry is on the record', () => {
    it('finds a hold that took credits from a lot past its expiry', async () => {
      const s = await scenario()
      const heldAt = s.journal.find((e) => e.transactionId === s.capturedHoldTxn)!.createdAt
      await suite.db.kysely
        .updateTable('lots')
        .set({ expires_at: heldAt })
        .where('id', '=', s.monthly)
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [{ invariant: 6, subject: s.capturedHoldTxn }],
        [s.capturedHoldTxn],
      )
    })

    it('finds credits expired before their lot’s expiry', async () => {
      const s = await scenario()
      await suite.db.kysely
        .updateTable('lots')
        .set({ expires_at: clock.now() + DAY })
        .where('id', '=', s.bonus)
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [{ invariant: 6, subject: s.expireTxn }],
        [s.expireTxn],
      )
    })
  })

  describe('invariant 7: no credit is created from nothing', () => {
    it('finds a balanced grant to a lot whose stored amounts were not raised with it', async () => {
      const s = await scenario()
      const id = newId('txn', clock.now())
      await suite.db.kysely
        .insertInto('journal_transactions')
        .values({ id, account_id: s.accountId, kind: 'grant', created_at: clock.now(), amount: 5 })
        .execute()
      await suite.db.kysely
        .insertInto('journal_postings')
        .values([
          {
            transaction_id: id,
            seq: 0,
            account_id: s.accountId,
            lot_id: s.purchase,
            bucket: 'issued',
            amount: -5,
          },
          {
            transaction_id: id,
            seq: 1,
            account_id: s.accountId,
            lot_id: s.purchase,
            bucket: 'available',
            amount: 5,
          },
        ])
        .execute()
      expectFindings(
        s.baseline,
        await ledger.verify(),
        [
          { invariant: 2, subject: s.purchase },
          { invariant: 7, subject: s.accountId },
        ],
        [s.purchase, s.accountId],
      )
    })
  })
})
