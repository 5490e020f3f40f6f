import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../../src/credits/index.ts'
import { Ledger } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)

describe.each(BACKENDS)('Ledger operations on %s', (backend) => {
  const suite = useTestDatabase(backend)

  /** A ledger on its own clock and a fresh account of its own. */
  async function setup() {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock })
    const { accountId } = unwrap(await ledger.createAccount({}))
    const grant = async (
      source: 'monthly' | 'bonus' | 'purchase',
      amount: number,
      options: { expiresInMs?: number; expiresAt?: number; priority?: number } = {},
    ) => unwrap(await ledger.grant({ accountId, amount, source, ...options })).lotId
    const balance = async (at?: number) =>
      unwrap(await ledger.balance(accountId, at === undefined ? {} : { at }))
    /** Each lot's spendable credits, by id (lots that show none are absent). */
    const remaining = async () =>
      Object.fromEntries(
        (await balance()).lots.filter((l) => l.remaining > 0).map((l) => [l.id, l.remaining]),
      )
    const history = async () => unwrap(await ledger.history(accountId, { limit: 1000 })).entries
    return { clock, ledger, accountId, grant, balance, remaining, history }
  }

  async function expectVerified(ledger: Ledger) {
    const report = await ledger.verify()
    expect(report.violations).toEqual([])
    expect(report.ok).toBe(true)
  }

  describe('grant', () => {
    it('records a lot with its source, default priority, expiry and cost basis', async () => {
      const { ledger, accountId, balance, history } = await setup()
      const monthly = unwrap(
        await ledger.grant({
          accountId,
          amount: 15,
          source: 'monthly',
          expiresInMs: 30 * DAY,
          reference: 'period:2026-01',
        }),
      )
      expect(monthly).toMatchObject({
        accountId,
        amount: 15,
        source: 'monthly',
        priority: 10,
        grantedAt: T0,
        expiresAt: T0 + 30 * DAY,
        costBasis: { amountMinor: 0, currency: 'USD' },
        reference: 'period:2026-01',
      })
      expect(monthly.lotId).toMatch(/^lot_/)
      expect(monthly.transactionId).toMatch(/^txn_/)

      const purchase = unwrap(
        await ledger.grant({
          accountId,
          amount: 115,
          source: 'purchase',
          expiresAt: T0 + 365 * DAY,
          costBasis: { amountMinor: 1500, currency: 'USD' },
        }),
      )
      expect(purchase).toMatchObject({ priority: 50, expiresAt: T0 + 365 * DAY })
      expect(unwrap(await ledger.grant({ accountId, amount: 20, source: 'bonus' }))).toMatchObject({
        priority: 20,
        expiresAt: null,
      })

      const b = await balance()
      expect(b).toMatchObject({ accountId, at: T0, available: 150, held: 0, holds: [] })
      expect(b.lots.map((l) => [l.source, l.remaining, l.expiresAt])).toEqual([
        ['monthly', 15, T0 + 30 * DAY],
        ['bonus', 20, null],
        ['purchase', 115, T0 + 365 * DAY],
      ])

      const [, , first] = await history()
      expect(first).toMatchObject({
        transactionId: monthly.transactionId,
        kind: 'grant',
        amount: 15,
        lotId: monthly.lotId,
        holdId: null,
        memo: 'period:2026-01',
        changes: { issued: -15, available: 15 },
      })
      await expectVerified(ledger)
    })
  })

  describe('burn order', () => {
    it('burns monthly (10) before bonus (20) before purchase (50), whatever order they were granted in', async () => {
      const { ledger, accountId, clock, grant, balance } = await setup()
      const purchase = await grant('purchase', 50)
      clock.advance(MINUTE)
      const bonus = await grant('bonus', 2, { expiresInMs: 30 * DAY })
      clock.advance(MINUTE)
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })

      const hold = unwrap(await ledger.hold({ accountId, amount: 5 }))
      expect(hold.allocations).toEqual([
        { lotId: monthly, amount: 2 },
        { lotId: bonus, amount: 2 },
        { lotId: purchase, amount: 1 },
      ])
      const b = await balance()
      expect(b.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([
        [monthly, 0, 2],
        [bonus, 0, 2],
        [purchase, 49, 1],
      ])
      await expectVerified(ledger)
    })

    it('burns by priority before expiry: a purchase expiring tomorrow still burns after monthly credits', async () => {
      const { ledger, accountId, grant } = await setup()
      const purchase = await grant('purchase', 5, { expiresInMs: DAY })
      const monthly = await grant('monthly', 5, { expiresInMs: 30 * DAY })
      const hold = unwrap(await ledger.hold({ accountId, amount: 6 }))
      expect(hold.allocations).toEqual([
        { lotId: monthly, amount: 5 },
        { lotId: purchase, amount: 1 },
      ])
      await expectVerified(ledger)
    })

    it('within one priority burns the soonest expiry first, then the oldest grant; a lot that never expires last', async () => {
      const { ledger, accountId, clock, grant } = await setup()
      const in20Days = await grant('monthly', 3, { expiresInMs: 20 * DAY })
      clock.advance(MINUTE)
      const never = await grant('monthly', 3)
      clock.advance(MINUTE)
      const in10DaysOlder = await grant('monthly', 3, { expiresAt: T0 + 10 * DAY })
      clock.advance(MINUTE)
      const in10DaysNewer = await grant('monthly', 3, { expiresAt: T0 + 10 * DAY })

      const hold = unwrap(await ledger.hold({ accountId, amount: 10 }))
      expect(hold.allocations).toEqual([
        { lotId: in10DaysOlder, amount: 3 },
        { lotId: in10DaysNewer, amount: 3 },
        { lotId: in20Days, amount: 3 },
        { lotId: never, amount: 1 },
      ])
      await expectVerified(ledger)
    })

    it('honours an explicit priority over the source default', async () => {
      const { ledger, accountId, grant } = await setup()
      const monthly = await grant('monthly', 2)
      const urgentPurchase = await grant('purchase', 2, { priority: 5 })
      const hold = unwrap(await ledger.hold({ accountId, amount: 3 }))
      expect(hold.allocations).toEqual([
        { lotId: urgentPurchase, amount: 2 },
        { lotId: monthly, amount: 1 },
      ])
      await expectVerified(ledger)
    })
  })

  describe('hold and capture', () => {
    it('a hold moves credits from available to held; a full capture consumes them', async () => {
      const { ledger, accountId, grant, balance, history } = await setup()
      const lot = await grant('monthly', 5, { expiresInMs: 30 * DAY })
      const hold = unwrap(await ledger.hold({ accountId, amount: 2, reference: 'job_1', ttlMs: 10 * MINUTE }))
      expect(hold).toMatchObject({
        accountId,
        amount: 2,
        createdAt: T0,
        expiresAt: T0 + 10 * MINUTE,
        reference: 'job_1',
        allocations: [{ lotId: lot, amount: 2 }],
      })
      expect(hold.holdId).toMatch(/^hold_/)
      expect(await balance()).toMatchObject({
        available: 3,
        held: 2,
        holds: [{ id: hold.holdId, amount: 2, expiresAt: T0 + 10 * MINUTE, reference: 'job_1' }],
      })

      const capture = unwrap(await ledger.capture({ holdId: hold.holdId }))
      expect(capture).toMatchObject({ holdId: hold.holdId, accountId, captured: 2, returned: 0 })
      expect(await balance()).toMatchObject({ available: 3, held: 0, holds: [] })

      const [captured, held] = await history()
      expect(captured).toMatchObject({
        transactionId: capture.transactionId,
        kind: 'capture',
        amount: 2,
        holdId: hold.holdId,
        memo: 'job_1',
        changes: { held: -2, consumed: 2 },
      })
      expect(held).toMatchObject({ kind: 'hold', holdId: hold.holdId, changes: { available: -2, held: 2 } })

      const row = await suite.db.kysely
        .selectFrom('holds')
        .selectAll()
        .where('id', '=', hold.holdId)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ status: 'captured', captured: 2, refunded: 0, settled_at: T0 })
      await expectVerified(ledger)
    })

    it('a partial capture consumes in burn order and returns the rest to the lots that would burn last', async () => {
      const { ledger, accountId, grant, balance, remaining, history } = await setup()
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })
      const bonus = await grant('bonus', 2, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 5 }))
      expect(await remaining()).toEqual({ [purchase]: 9 })

      const capture = unwrap(await ledger.capture({ holdId: hold.holdId, amount: 3 }))
      expect(capture).toMatchObject({ captured: 3, returned: 2 })
      // Consumed: monthly 2 and bonus 1. Returned: bonus 1 and purchase 1.
      expect(await remaining()).toEqual({ [bonus]: 1, [purchase]: 10 })
      expect(await balance()).toMatchObject({ available: 11, held: 0, holds: [] })
      expect((await balance()).lots.map((l) => l.id)).not.toContain(monthly)

      const [returned, captured] = await history()
      expect(captured).toMatchObject({ kind: 'capture', amount: 3, changes: { held: -3, consumed: 3 } })
      expect(returned).toMatchObject({
        kind: 'release',
        amount: 2,
        holdId: hold.holdId,
        changes: { held: -2, available: 2 },
      })
      await expectVerified(ledger)
    })

    it('refuses to capture more than was held, a settled hold, or an unknown hold, changing nothing', async () => {
      const { ledger, accountId, grant, balance } = await setup()
      await grant('monthly', 5)
      const hold = unwrap(await ledger.hold({ accountId, amount: 2 }))
      expect(refusal(await ledger.capture({ holdId: hold.holdId, amount: 3 }))).toMatchObject({
        code: 'VALIDATION',
        field: 'amount',
      })
      expect(await balance()).toMatchObject({ available: 3, held: 2 })
      unwrap(await ledger.capture({ holdId: hold.holdId, amount: 1 }))
      expect(refusal(await ledger.capture({ holdId: hold.holdId }))).toMatchObject({
        code: 'HOLD_ALREADY_SETTLED',
        holdId: hold.holdId,
        status: 'captured',
      })
      expect(refusal(await ledger.release({ holdId: hold.holdId }))).toMatchObject({
        code: 'HOLD_ALREADY_SETTLED',
        status: 'captured',
      })
      expect(refusal(await ledger.capture({ holdId: 'hold_doesnotexist' }))).toMatchObject({
        code: 'HOLD_NOT_FOUND',
        holdId: 'hold_doesnotexist',
      })
      expect(await balance()).toMatchObject({ available: 4, held: 0 })
      await expectVerified(ledger)
    })
  })

  describe('release', () => {
    it('returns every held credit to the lot it came from, once', async () => {
      const { ledger, accountId, grant, balance, remaining, history } = await setup()
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 4 }))
      expect(await remaining()).toEqual({ [purchase]: 8 })

      expect(unwrap(await ledger.release({ holdId: hold.holdId }))).toEqual({
        holdId: hold.holdId,
        accountId,
        released: 4,
      })
      expect(await remaining()).toEqual({ [monthly]: 2, [purchase]: 10 })
      expect(await balance()).toMatchObject({ available: 12, held: 0, holds: [] })
      const [released] = await history()
      expect(released).toMatchObject({
        kind: 'release',
        amount: 4,
        holdId: hold.holdId,
        changes: { held: -4, available: 4 },
      })

      expect(refusal(await ledger.release({ holdId: hold.holdId }))).toMatchObject({
        code: 'HOLD_ALREADY_SETTLED',
        status: 'released',
      })
      expect(refusal(await ledger.capture({ holdId: hold.holdId }))).toMatchObject({
        code: 'HOLD_ALREADY_SETTLED',
        status: 'released',
      })
      expect(await balance()).toMatchObject({ available: 12 })
      await expectVerified(ledger)
    })
  })

  describe('refund', () => {
    it('a full refund gives the captured credits back to the lots they came from', async () => {
      const { ledger, accountId, grant, balance, remaining, history } = await setup()
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 3 }))
      unwrap(await ledger.capture({ holdId: hold.holdId }))
      expect(await remaining()).toEqual({ [purchase]: 9 })

      const refund = unwrap(await ledger.refund({ holdId: hold.holdId, reason: 'engine failed' }))
      expect(refund).toEqual({ holdId: hold.holdId, accountId, refunded: 3, expired: 0, refundable: 0 })
      expect(await remaining()).toEqual({ [monthly]: 2, [purchase]: 10 })
      expect(await balance()).toMatchObject({ available: 12, held: 0 })
      const [refunded] = await history()
      expect(refunded).toMatchObject({
        kind: 'refund',
        amount: 3,
        holdId: hold.holdId,
        memo: 'engine failed',
        changes: { consumed: -3, available: 3 },
      })

      expect(refusal(await ledger.refund({ holdId: hold.holdId }))).toMatchObject({
        code: 'REFUND_EXCEEDS_CAPTURE',
        refundable: 0,
      })
      await expectVerified(ledger)
    })

    it('repeated partial refunds undo consumption last-in first-out and add up to one full refund', async () => {
      const { ledger, accountId, grant, remaining } = await setup()
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })
      const bonus = await grant('bonus', 2, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 5 }))
      unwrap(await ledger.capture({ holdId: hold.holdId }))
      // Consumed in burn order: monthly 2, bonus 2, purchase 1.
      expect(await remaining()).toEqual({ [purchase]: 9 })

      expect(unwrap(await ledger.refund({ holdId: hold.holdId, amount: 2 }))).toMatchObject({
        refunded: 2,
        expired: 0,
        refundable: 3,
      })
      expect(await remaining()).toEqual({ [bonus]: 1, [purchase]: 10 })

      expect(unwrap(await ledger.refund({ holdId: hold.holdId, amount: 2 }))).toMatchObject({ refundable: 1 })
      expect(await remaining()).toEqual({ [monthly]: 1, [bonus]: 2, [purchase]: 10 })

      expect(refusal(await ledger.refund({ holdId: hold.holdId, amount: 2 }))).toMatchObject({
        code: 'REFUND_EXCEEDS_CAPTURE',
        holdId: hold.holdId,
        refundable: 1,
      })
      expect(unwrap(await ledger.refund({ holdId: hold.holdId, amount: 1 }))).toMatchObject({ refundable: 0 })
      expect(await remaining()).toEqual({ [monthly]: 2, [bonus]: 2, [purchase]: 10 })

      const row = await suite.db.kysely
        .selectFrom('holds')
        .select(['captured', 'refunded'])
        .where('id', '=', hold.holdId)
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ captured: 5, refunded: 5 })
      await expectVerified(ledger)
    })

    it('refunds only what a partial capture consumed', async () => {
      const { ledger, accountId, grant, remaining } = await setup()
      const monthly = await grant('monthly', 2, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 10)
      const hold = unwrap(await ledger.hold({ accountId, amount: 4 }))
      unwrap(await ledger.capture({ holdId: hold.holdId, amount: 1 }))
      expect(await remaining()).toEqual({ [monthly]: 1, [purchase]: 10 })

      expect(refusal(await ledger.refund({ holdId: hold.holdId, amount: 2 }))).toMatchObject({
        code: 'REFUND_EXCEEDS_CAPTURE',
        refundable: 1,
      })
      expect(unwrap(await ledger.refund({ holdId: hold.holdId }))).toMatchObject({
        refunded: 1,
        refundable: 0,
      })
      expect(await remaining()).toEqual({ [monthly]: 2, [purchase]: 10 })
      await expectVerified(ledger)
    })

    it('refuses to refund a hold that was never captured', async () => {
      const { ledger, accountId, grant } = await setup()
      await grant('monthly', 5)
      const pending = unwrap(await ledger.hold({ accountId, amount: 1 }))
      expect(refusal(await ledger.refund({ holdId: pending.holdId }))).toMatchObject({
        code: 'HOLD_NOT_CAPTURED',
        holdId: pending.holdId,
        status: 'pending',
      })
      unwrap(await ledger.release({ holdId: pending.holdId }))
      expect(refusal(await ledger.refund({ holdId: pending.holdId }))).toMatchObject({
        code: 'HOLD_NOT_CAPTURED',
        status: 'released',
      })
      await expectVerified(ledger)
    })
  })

  describe('insufficient credits', () => {
    it('refuses a hold larger than what is available, saying how much is, and records nothing', async () => {
      const { ledger, accountId, grant, balance, history } = await setup()
      expect(refusal(await ledger.hold({ accountId, amount: 1 }))).toMatchObject({
        code: 'INSUFFICIENT_CREDITS',
        requested: 1,
        available: 0,
      })
      await grant('monthly', 2, { expiresInMs: 30 * DAY })
      await grant('purchase', 3)
      unwrap(await ledger.hold({ accountId, amount: 3 }))
      const before = await history()

      // Held credits are not available to a second hold.
      expect(refusal(await ledger.hold({ accountId, amount: 3 }))).toEqual({
        code: 'INSUFFICIENT_CREDITS',
        requested: 3,
        available: 2,
        message: expect.any(String),
      })
      expect(await history()).toEqual(before)
      expect(await balance()).toMatchObject({ available: 2, held: 3 })
      unwrap(await ledger.hold({ accountId, amount: 2 }))
      expect(await balance()).toMatchObject({ available: 0, held: 5 })
      await expectVerified(ledger)
    })
  })

  describe('balance', () => {
    it('shows available and held credits, each lot with its source, remaining, expiry and share held, and pending holds', async () => {
      const { ledger, accountId, grant, balance } = await setup()
      const monthly = await grant('monthly', 15, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 115, { expiresInMs: 365 * DAY })
      const jobA = unwrap(await ledger.hold({ accountId, amount: 3, ttlMs: 10 * MINUTE, reference: 'job_a' }))
      const jobB = unwrap(await ledger.hold({ accountId, amount: 1, ttlMs: 5 * MINUTE, reference: 'job_b' }))

      expect(await balance()).toEqual({
        accountId,
        at: T0,
        available: 126,
        held: 4,
        lots: [
          {
            id: monthly,
            source: 'monthly',
            amount: 15,
            remaining: 11,
            held: 4,
            priority: 10,
            grantedAt: T0,
            expiresAt: T0 + 30 * DAY,
          },
          {
            id: purchase,
            source: 'purchase',
            amount: 115,
            remaining: 115,
            held: 0,
            priority: 50,
            grantedAt: T0,
            expiresAt: T0 + 365 * DAY,
          },
        ],
        holds: [
          { id: jobB.holdId, amount: 1, expiresAt: T0 + 5 * MINUTE, reference: 'job_b' },
          { id: jobA.holdId, amount: 3, expiresAt: T0 + 10 * MINUTE, reference: 'job_a' },
        ],
      })
      await expectVerified(ledger)
    })

    it('projects hold TTLs and lot expiries at a future `at` without writing anything', async () => {
      const { ledger, accountId, grant, balance, history } = await setup()
      const monthly = await grant('monthly', 15, { expiresInMs: 30 * DAY })
      const purchase = await grant('purchase', 115, { expiresInMs: 365 * DAY })
      const jobA = unwrap(await ledger.hold({ accountId, amount: 3, ttlMs: 10 * MINUTE, reference: 'job_a' }))
      unwrap(await ledger.hold({ accountId, amount: 1, ttlMs: 5 * MINUTE, reference: 'job_b' }))
      const journal = await history()

      // job_b's TTL has passed: its credit counts as back in the monthly lot.
      const in7Minutes = await balance(T0 + 7 * MINUTE)
      expect(in7Minutes).toMatchObject({ at: T0 + 7 * MINUTE, available: 127, held: 3 })
      expect(in7Minutes.holds.map((h) => h.id)).toEqual([jobA.holdId])
      expect(in7Minutes.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([
        [monthly, 12, 3],
        [purchase, 115, 0],
      ])

      // Past both TTLs and the monthly expiry: only the purchase is left.
      const in31Days = await balance(T0 + 31 * DAY)
      expect(in31Days).toMatchObject({ available: 115, held: 0, holds: [] })
      expect(in31Days.lots.map((l) => [l.id, l.remaining])).toEqual([[purchase, 115]])

      // Exactly at its expiry a lot is gone.
      expect(await balance(T0 + 365 * DAY)).toMatchObject({ available: 0, held: 0, lots: [], holds: [] })

      // Nothing was recorded: today's balance and the journal are as they were.
      expect(await balance()).toMatchObject({ at: T0, available: 126, held: 4 })
      expect(await history()).toEqual(journal)
      await expectVerified(ledger)
    })

    it('refuses an unknown account', async () => {
      const { ledger } = await setup()
      expect(refusal(await ledger.balance('acct_doesnotexist'))).toMatchObject({
        code: 'ACCOUNT_NOT_FOUND',
        accountId: 'acct_doesnotexist',
      })
      expect(refusal(await ledger.history('acct_doesnotexist'))).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' })
    })
  })

  describe('history', () => {
    it('lists the journal newest first, with the net change of each bucket, and pages with nextCursor → before', async () => {
      const { ledger, accountId, clock, grant, history } = await setup()
      await grant('monthly', 5, { expiresInMs: 30 * DAY })
      clock.advance(MINUTE)
      await grant('purchase', 10)
      clock.advance(MINUTE)
      const first = unwrap(await ledger.hold({ accountId, amount: 7 }))
      clock.advance(MINUTE)
      unwrap(await ledger.capture({ holdId: first.holdId, amount: 6 }))
      clock.advance(MINUTE)
      unwrap(await ledger.refund({ holdId: first.holdId, amount: 2 }))
      clock.advance(MINUTE)
      const second = unwrap(await ledger.hold({ accountId, amount: 1 }))
      clock.advance(MINUTE)
      unwrap(await ledger.release({ holdId: second.holdId }))

      const all = await history()
      const summary = (e: HistoryEntry) => [e.kind, e.amount, e.changes]
      expect(all.map(summary)).toEqual([
        ['release', 1, { held: -1, available: 1 }],
        ['hold', 1, { available: -1, held: 1 }],
        ['refund', 2, { consumed: -2, available: 2 }],
        ['release', 1, { held: -1, available: 1 }],
        ['capture', 6, { held: -6, consumed: 6 }],
        ['hold', 7, { available: -7, held: 7 }],
        ['grant', 10, { issued: -10, available: 10 }],
        ['grant', 5, { issued: -5, available: 5 }],
      ])
      const times = all.map((e) => e.createdAt)
      expect(times).toEqual([...times].sort((a, b) => b - a))

      const pages: HistoryEntry[][] = []
      let before: string | undefined
      for (;;) {
        const page = unwrap(await ledger.history(accountId, { limit: 3, ...(before ? { before } : {}) }))
        pages.push(page.entries)
        if (page.nextCursor === null) break
        expect(page.nextCursor).toBe(page.entries.at(-1)?.transactionId)
        before = page.nextCursor
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2])
      expect(pages.flat()).toEqual(all)

      // A page that ends exactly at the last entry says there is no more.
      const exact = unwrap(await ledger.history(accountId, { limit: all.length }))
      expect(exact).toEqual({ entries: all, nextCursor: null })
      await expectVerified(ledger)
    })
  })

  describe('the journal', () => {
    it('is append-only: the database refuses UPDATE and DELETE on its tables', async () => {
      const { ledger, accountId, grant, history } = await setup()
      await grant('monthly', 5)
      const hold = unwrap(await ledger.hold({ accountId, amount: 2 }))
      unwrap(await ledger.capture({ holdId: hold.holdId }))
      const before = await history()
      const k = suite.db.kysely

      await expect(
        k
          .updateTable('journal_transactions')
          .set({ amount: 0 })
          .where('account_id', '=', accountId)
          .execute(),
      ).rejects.toThrow(/append-only/)
      await expect(
        k.deleteFrom('journal_transactions').where('account_id', '=', accountId).execute(),
      ).rejects.toThrow(/append-only/)
      await expect(
        k.updateTable('journal_postings').set({ amount: 0 }).where('account_id', '=', accountId).execute(),
      ).rejects.toThrow(/append-only/)
      await expect(
        k.deleteFrom('journal_postings').where('account_id', '=', accountId).execute(),
      ).rejects.toThrow(/append-only/)
      await expect(
        sql`update journal_postings set bucket = 'revoked' where account_id = ${accountId}`.execute(k),
      ).rejects.toThrow(/append-only/)

      expect(await history()).toEqual(before)
      await expectVerified(ledger)
    })
  })
})
