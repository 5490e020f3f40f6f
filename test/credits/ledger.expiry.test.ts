import { beforeEach, describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../../src/credits/index.ts'
import { Ledger } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const START = Date.UTC(2026, 0, 1)
/** Far more than any one test moves its clock. */
const TEST_SPACING = 365 * DAY

const summary = (e: HistoryEntry) => ({
  kind: e.kind,
  amount: e.amount,
  holdId: e.holdId,
  lotId: e.lotId,
  changes: e.changes,
})

describe.each(BACKENDS)('Ledger expiry on %s', (backend) => {
  const suite = useTestDatabase(backend)
  let t0 = START
  let clock: ManualClock
  let ledger: Ledger

  // `expireDue()` and `awaitingExpirySweep` count over the whole database. Each test starts a year
  // before the one that ran before it, so nothing an earlier test left behind (all of it granted or
  // held after this test's times) can fall due while this one runs: the counts are this test's own.
  beforeEach(() => {
    t0 -= TEST_SPACING
    clock = new ManualClock(t0)
    ledger = new Ledger(suite.db, { clock })
  })

  async function newAccount() {
    const { accountId } = unwrap(await ledger.createAccount({}))
    const grant = async (
      source: 'monthly' | 'bonus' | 'purchase',
      amount: number,
      options: { expiresInMs?: number } = {},
    ) => unwrap(await ledger.grant({ accountId, amount, source, ...options })).lotId
    const balance = async () => unwrap(await ledger.balance(accountId))
    const history = async () => unwrap(await ledger.history(accountId, { limit: 1000 })).entries.map(summary)
    return { accountId, grant, balance, history }
  }

  async function expectVerified(awaitingExpirySweep: number) {
    const report = await ledger.verify()
    expect(report.violations).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.awaitingExpirySweep).toBe(awaitingExpirySweep)
  }

  async function holdRow(holdId: string) {
    return suite.db.kysely.selectFrom('holds').selectAll().where('id', '=', holdId).executeTakeFirstOrThrow()
  }

  async function lotRemaining(lotId: string) {
    const row = await suite.db.kysely
      .selectFrom('lots')
      .select('remaining')
      .where('id', '=', lotId)
      .executeTakeFirstOrThrow()
    return row.remaining
  }

  describe('expired credit', () => {
    it('is spendable until the instant of expiry and never after, even before a sweep records it', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: DAY })

      clock.set(t0 + DAY - 1)
      const lastChance = unwrap(await ledger.hold({ accountId, amount: 1 }))
      unwrap(await ledger.capture({ holdId: lastChance.holdId }))
      expect(await balance()).toMatchObject({ available: 4 })

      clock.set(t0 + DAY)
      expect(await balance()).toMatchObject({ available: 0, held: 0, lots: [] })
      await expectVerified(1)

      expect(refusal(await ledger.hold({ accountId, amount: 1 }))).toMatchObject({
        code: 'INSUFFICIENT_CREDITS',
        requested: 1,
        available: 0,
      })
      // A refusal writes nothing, not even the expiry it noticed: the sweep records it.
      const [latest] = await history()
      expect(latest).toMatchObject({ kind: 'capture', amount: 1 })
      expect(await lotRemaining(monthly)).toBe(4)
      await expectVerified(1)
      expect(await ledger.expireDue()).toMatchObject({ lotsExpired: 1, creditsExpired: 4 })
      const [expired] = await history()
      expect(expired).toEqual({
        kind: 'expire',
        amount: 4,
        holdId: null,
        lotId: monthly,
        changes: { available: -4, expired: 4 },
      })
      expect(await lotRemaining(monthly)).toBe(0)
      await expectVerified(0)
    })

    it('is skipped by a hold, which takes other lots and records the expiry first', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: DAY })
      const purchase = await grant('purchase', 10)
      clock.advance(2 * DAY)
      await expectVerified(1)

      const hold = unwrap(await ledger.hold({ accountId, amount: 3 }))
      expect(hold.allocations).toEqual([{ lotId: purchase, amount: 3 }])
      const [held, expired] = await history()
      expect(held).toMatchObject({ kind: 'hold', holdId: hold.holdId, changes: { available: -3, held: 3 } })
      expect(expired).toEqual({
        kind: 'expire',
        amount: 5,
        holdId: null,
        lotId: monthly,
        changes: { available: -5, expired: 5 },
      })
      expect(await balance()).toMatchObject({ available: 7, held: 3 })
      await expectVerified(0)
    })
  })

  describe('expireDue()', () => {
    it('records the expiry of every due lot of every account in the journal, once', async () => {
      const a = await newAccount()
      const aMonthly = await a.grant('monthly', 5, { expiresInMs: DAY })
      const aBonus = await a.grant('bonus', 3, { expiresInMs: 2 * DAY })
      await a.grant('purchase', 10)
      const b = await newAccount()
      const bMonthly = await b.grant('monthly', 4, { expiresInMs: DAY })

      clock.advance(DAY)
      await expectVerified(2)
      expect(await ledger.expireDue()).toEqual({
        accounts: 2,
        holdsReleased: 0,
        lotsExpired: 2,
        creditsExpired: 9,
      })
      await expectVerified(0)
      expect((await a.history())[0]).toEqual({
        kind: 'expire',
        amount: 5,
        holdId: null,
        lotId: aMonthly,
        changes: { available: -5, expired: 5 },
      })
      expect((await b.history())[0]).toMatchObject({ kind: 'expire', lotId: bMonthly, amount: 4 })

      // Nothing more is due: a second run records nothing.
      const journal = await a.history()
      expect(await ledger.expireDue()).toEqual({
        accounts: 0,
        holdsReleased: 0,
        lotsExpired: 0,
        creditsExpired: 0,
      })
      expect(await a.history()).toEqual(journal)

      clock.advance(DAY)
      await expectVerified(1)
      expect(await ledger.expireDue()).toEqual({
        accounts: 1,
        holdsReleased: 0,
        lotsExpired: 1,
        creditsExpired: 3,
      })
      expect((await a.history())[0]).toMatchObject({ kind: 'expire', lotId: aBonus, amount: 3 })
      expect(await a.balance()).toMatchObject({ available: 10 })
      expect(await b.balance()).toMatchObject({ available: 0, lots: [] })
      await expectVerified(0)
    })
  })

  describe('hold TTL', () => {
    it('releases an unsettled hold past its TTL, so the next hold can use its credits', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: 30 * DAY })
      const stale = unwrap(await ledger.hold({ accountId, amount: 4, ttlMs: MINUTE, reference: 'job_x' }))
      expect(refusal(await ledger.hold({ accountId, amount: 5 }))).toMatchObject({
        code: 'INSUFFICIENT_CREDITS',
        available: 1,
      })

      clock.advance(MINUTE)
      expect(await balance()).toMatchObject({ available: 5, held: 0, holds: [] })

      const fresh = unwrap(await ledger.hold({ accountId, amount: 5 }))
      expect(fresh.allocations).toEqual([{ lotId: monthly, amount: 5 }])
      expect(await holdRow(stale.holdId)).toMatchObject({
        status: 'expired',
        settled_at: t0 + MINUTE,
        captured: 0,
      })
      const [held, released] = await history()
      expect(held).toMatchObject({ kind: 'hold', holdId: fresh.holdId })
      expect(released).toEqual({
        kind: 'hold_expired',
        amount: 4,
        holdId: stale.holdId,
        lotId: null,
        changes: { held: -4, available: 4 },
      })
      expect(await balance()).toMatchObject({ available: 0, held: 5 })
      await expectVerified(0)
    })

    it('a hold can be captured until the instant its TTL ends', async () => {
      const { accountId, grant } = await newAccount()
      await grant('purchase', 5)
      const hold = unwrap(await ledger.hold({ accountId, amount: 2, ttlMs: MINUTE }))
      clock.advance(MINUTE - 1)
      expect(unwrap(await ledger.capture({ holdId: hold.holdId }))).toMatchObject({ captured: 2 })
      await expectVerified(0)
    })

    it('expireDue() releases holds past their TTL and reports them', async () => {
      const a = await newAccount()
      await a.grant('purchase', 5)
      const h1 = unwrap(await ledger.hold({ accountId: a.accountId, amount: 2, ttlMs: MINUTE }))
      const h2 = unwrap(await ledger.hold({ accountId: a.accountId, amount: 1, ttlMs: MINUTE }))
      const notYet = unwrap(await ledger.hold({ accountId: a.accountId, amount: 1, ttlMs: 10 * MINUTE }))
      const b = await newAccount()
      await b.grant('purchase', 5)
      const h3 = unwrap(await ledger.hold({ accountId: b.accountId, amount: 3, ttlMs: MINUTE }))

      clock.advance(MINUTE)
      expect(await ledger.expireDue()).toEqual({
        accounts: 2,
        holdsReleased: 3,
        lotsExpired: 0,
        creditsExpired: 0,
      })
      for (const h of [h1, h2, h3]) expect((await holdRow(h.holdId)).status).toBe('expired')
      expect((await holdRow(notYet.holdId)).status).toBe('pending')
      expect(await a.balance()).toMatchObject({ available: 4, held: 1 })
      expect(await b.balance()).toMatchObject({ available: 5, held: 0 })
      expect((await a.history()).filter((e) => e.kind === 'hold_expired')).toHaveLength(2)
      await expectVerified(0)
    })

    it('refuses to capture or release a hold past its TTL with HOLD_EXPIRED, before the sweep records it', async () => {
      const { accountId, grant, balance } = await newAccount()
      await grant('purchase', 5)
      const hold = unwrap(await ledger.hold({ accountId, amount: 2, ttlMs: MINUTE }))
      clock.advance(MINUTE)
      const expired = { code: 'HOLD_EXPIRED', holdId: hold.holdId, expiredAt: t0 + MINUTE }
      expect(refusal(await ledger.capture({ holdId: hold.holdId }))).toMatchObject(expired)
      expect(refusal(await ledger.capture({ holdId: hold.holdId, amount: 1 }))).toMatchObject(expired)
      expect(refusal(await ledger.release({ holdId: hold.holdId }))).toMatchObject(expired)
      expect(await balance()).toMatchObject({ available: 5, held: 0 })
      await expectVerified(0)
    })

    it('refuses to capture or release a hold past its TTL with HOLD_EXPIRED, after the sweep recorded it', async () => {
      const { accountId, grant, balance } = await newAccount()
      await grant('purchase', 5)
      const hold = unwrap(await ledger.hold({ accountId, amount: 2, ttlMs: MINUTE }))
      clock.advance(MINUTE)
      expect((await ledger.expireDue()).holdsReleased).toBe(1)
      // The caller's answer must not depend on whether a sweep happened to run first.
      const expired = { code: 'HOLD_EXPIRED', holdId: hold.holdId, expiredAt: t0 + MINUTE }
      expect(refusal(await ledger.capture({ holdId: hold.holdId }))).toMatchObject(expired)
      expect(refusal(await ledger.release({ holdId: hold.holdId }))).toMatchObject(expired)
      expect(await balance()).toMatchObject({ available: 5, held: 0 })
      await expectVerified(0)
    })
  })

  describe('credits returned to a lot that expired meanwhile expire at once, on the record', () => {
    it('when the hold is released', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 7, ttlMs: 2 * DAY }))
      expect(hold.allocations).toEqual([
        { lotId: monthly, amount: 5 },
        { lotId: purchase, amount: 2 },
      ])

      clock.advance(DAY)
      // Still held, though its lot is past expiry: shown held, with nothing spendable left in the lot.
      const during = await balance()
      expect(during).toMatchObject({ available: 8, held: 7 })
      expect(during.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([
        [monthly, 0, 5],
        [purchase, 8, 2],
      ])

      expect(unwrap(await ledger.release({ holdId: hold.holdId }))).toMatchObject({ released: 7 })
      const [expired, released] = await history()
      expect(released).toMatchObject({ kind: 'release', amount: 7, changes: { held: -7, available: 7 } })
      expect(expired).toEqual({
        kind: 'expire',
        amount: 5,
        holdId: hold.holdId,
        lotId: monthly,
        changes: { available: -5, expired: 5 },
      })
      expect(await balance()).toMatchObject({ available: 10, held: 0 })
      expect(await lotRemaining(monthly)).toBe(0)
      await expectVerified(0)
    })

    it('when the hold expires by its TTL', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: DAY })
      const hold = unwrap(await ledger.hold({ accountId, amount: 3, ttlMs: 2 * DAY }))

      clock.advance(3 * DAY)
      expect(await balance()).toMatchObject({ available: 0, held: 0, lots: [], holds: [] })
      await expectVerified(1)
      expect(await ledger.expireDue()).toEqual({
        accounts: 1,
        holdsReleased: 1,
        lotsExpired: 1,
        creditsExpired: 5,
      })
      expect((await holdRow(hold.holdId)).status).toBe('expired')
      expect((await history()).slice(0, 3)).toEqual([
        {
          kind: 'expire',
          amount: 2,
          holdId: null,
          lotId: monthly,
          changes: { available: -2, expired: 2 },
        },
        {
          kind: 'expire',
          amount: 3,
          holdId: hold.holdId,
          lotId: monthly,
          changes: { available: -3, expired: 3 },
        },
        {
          kind: 'hold_expired',
          amount: 3,
          holdId: hold.holdId,
          lotId: null,
          changes: { held: -3, available: 3 },
        },
      ])
      expect(await balance()).toMatchObject({ available: 0, held: 0, lots: [], holds: [] })
      await expectVerified(0)
    })

    it('when the hold is partially captured', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 5, { expiresInMs: DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 6, ttlMs: 2 * DAY }))

      clock.advance(DAY)
      // Consumes monthly 2; returns monthly 3 (expired) and purchase 1 (live).
      expect(unwrap(await ledger.capture({ holdId: hold.holdId, amount: 2 }))).toMatchObject({
        captured: 2,
        returned: 4,
      })
      const [expired, returned, captured] = await history()
      expect(captured).toMatchObject({ kind: 'capture', amount: 2, changes: { held: -2, consumed: 2 } })
      expect(returned).toMatchObject({ kind: 'release', amount: 4, changes: { held: -4, available: 4 } })
      expect(expired).toEqual({
        kind: 'expire',
        amount: 3,
        holdId: hold.holdId,
        lotId: monthly,
        changes: { available: -3, expired: 3 },
      })
      expect(await balance()).toMatchObject({ available: 10, held: 0 })
      expect(await lotRemaining(monthly)).toBe(0)
      expect(await lotRemaining(purchase)).toBe(10)
      await expectVerified(0)
    })

    it('when credits are refunded to an expired lot (RefundReceipt.expired)', async () => {
      const { accountId, grant, balance, history } = await newAccount()
      const monthly = await grant('monthly', 2, { expiresInMs: DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId: hold.holdId }))

      clock.advance(2 * DAY)
      // Refunds undo consumption last-in first-out: purchase 1 (live), then monthly 2 (expired).
      expect(unwrap(await ledger.refund({ holdId: hold.holdId }))).toEqual({
        holdId: hold.holdId,
        accountId,
        refunded: 3,
        expired: 2,
        refundable: 0,
      })
      const [expired, refunded] = await history()
      expect(refunded).toMatchObject({ kind: 'refund', amount: 3, changes: { consumed: -3, available: 3 } })
      expect(expired).toEqual({
        kind: 'expire',
        amount: 2,
        holdId: hold.holdId,
        lotId: monthly,
        changes: { available: -2, expired: 2 },
      })
      expect(await balance()).toMatchObject({ available: 10 })
      expect(await lotRemaining(monthly)).toBe(0)
      expect(await lotRemaining(purchase)).toBe(10)
      await expectVerified(0)
    })

    it('a partial refund to an expired lot expires only what went back to it', async () => {
      const { accountId, grant, balance } = await newAccount()
      await grant('monthly', 4, { expiresInMs: DAY })
      const hold = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId: hold.holdId }))

      clock.advance(DAY)
      // The lot's one unspent credit is past expiry, unswept; the refund must not disturb it.
      await expectVerified(1)
      expect(unwrap(await ledger.refund({ holdId: hold.holdId, amount: 2 }))).toMatchObject({
        refunded: 2,
        expired: 2,
        refundable: 1,
      })
      expect(await balance()).toMatchObject({ available: 0 })
      await expectVerified(1)
      expect(await ledger.expireDue()).toMatchObject({ lotsExpired: 1, creditsExpired: 1 })
      await expectVerified(0)
    })
  })
})
