import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LABS_2022, Ledger, MAX_BALANCES, staticPricing } from '../../src/credits/index.ts'
import { addMonthsClamped } from '../../src/credits/periods.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 25, 12)
const pricing = staticPricing(LABS_2022)

/** Everything a read could write: row counts of the ledger's tables, and the accounts' rows. */
async function snapshotOfWrites(db: Database) {
  const count = async (
    table: 'journal_transactions' | 'journal_postings' | 'lots' | 'holds' | 'idempotency_keys',
  ) =>
    Number(
      (
        await db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  return {
    journal_transactions: await count('journal_transactions'),
    journal_postings: await count('journal_postings'),
    lots: await count('lots'),
    holds: await count('holds'),
    idempotency_keys: await count('idempotency_keys'),
    accounts: await db.kysely.selectFrom('accounts').selectAll().orderBy('id').execute(),
  }
}

describe.each(BACKENDS)('ledger reads are pure reads (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  it('a balance, a bulk balance, a quote, the history and the reports write nothing, owed credits included', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing })
    const { accountId: fresh } = unwrap(await ledger.createAccount({ cohorts: ['beta'] }))
    // Another account with a lot past its expiry and a hold past its TTL: what a sweep would record.
    const { accountId: stale } = unwrap(await ledger.createAccount({}))
    unwrap(await ledger.grant({ accountId: stale, amount: 5, source: 'promotional', expiresInMs: DAY }))
    const hold = unwrap(await ledger.hold({ accountId: stale, amount: 2 })) // grants its allowance too
    clock.advance(2 * DAY)
    const before = await snapshotOfWrites(suite.db)

    const balance = unwrap(await ledger.balance(fresh))
    expect(balance).toMatchObject({ available: 65, held: 0, lots: [] })
    expect(balance.owed?.map((o) => [o.source, o.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
    ])
    // The stale account: the overdue hold's 2 (of its monthly 15) count again, the expired 5 do not.
    expect(unwrap(await ledger.balance(stale))).toMatchObject({ available: 15, held: 0, holds: [] })
    const both = unwrap(await ledger.balances([fresh, stale]))
    expect(both.get(fresh)).toEqual(balance)
    expect(unwrap(await ledger.quote({ operation: 'generate', accountId: fresh }))).toMatchObject({
      available: 65,
      affordable: true,
    })
    expect(unwrap(await ledger.history(fresh)).entries).toEqual([])
    unwrap(await ledger.report({ from: T0, to: T0 + 3 * DAY }))
    unwrap(await ledger.chargeReport(hold.holdId, { returned: 1, kept: 1 }))
    await ledger.verify()

    expect(await snapshotOfWrites(suite.db)).toEqual(before)
  })

  it('available is what a hold can take: all of it, right after a fresh account’s first balance read', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0), pricing })
    const { accountId } = unwrap(await ledger.createAccount({ cohorts: ['beta'] }))
    unwrap(
      await ledger.grant({
        accountId,
        amount: 7,
        source: 'purchase',
        costBasis: { amountMinor: 100, currency: 'USD' },
      }),
    )
    const { available } = unwrap(await ledger.balance(accountId))
    expect(available).toBe(15 + 50 + 7)

    expect(refusal(await ledger.hold({ accountId, amount: available + 1 }))).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      available,
    })
    const hold = unwrap(await ledger.hold({ accountId, amount: available }))
    expect(hold.allocations.map((a) => a.amount)).toEqual([15, 50, 7])
    // The grants were written in the hold's transaction, at its time, just before it.
    const kinds = unwrap(await ledger.history(accountId)).entries.map((e) => [e.kind, e.amount, e.createdAt])
    expect(kinds).toEqual([
      ['hold', available, T0],
      ['grant', 50, T0],
      ['grant', 15, T0],
      ['grant', 7, T0],
    ])
    expect(unwrap(await ledger.balance(accountId))).toMatchObject({ available: 0, held: available })
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('available is what a hold can take, whatever the plan, cohorts, purchases, spending and time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cohorts: fc.subarray(['beta', 'early', 'other']),
          bought: fc.nat({ max: 40 }),
          spent: fc.nat({ max: 30 }),
          /** Days after the first spend that the balance is read (later periods, expired lots, lapsed holds). */
          later: fc.nat({ max: 70 }),
        }),
        async ({ cohorts, bought, spent, later }) => {
          const clock = new ManualClock(T0)
          const ledger = new Ledger(suite.db, { clock, pricing })
          const { accountId } = unwrap(await ledger.createAccount({ cohorts }))
          if (bought > 0) unwrap(await ledger.grant({ accountId, amount: bought, source: 'purchase' }))
          const first = unwrap(await ledger.balance(accountId)).available
          if (spent > 0 && spent <= first)
            unwrap(await ledger.hold({ accountId, amount: spent, ttlMs: 3 * DAY }))
          clock.advance(later * DAY)
          const { available } = unwrap(await ledger.balance(accountId))
          expect(refusal(await ledger.hold({ accountId, amount: available + 1 }))).toMatchObject({
            code: 'INSUFFICIENT_CREDITS',
            available,
          })
          if (available > 0) unwrap(await ledger.hold({ accountId, amount: available }))
          expect(unwrap(await ledger.balance(accountId)).available).toBe(0)
        },
      ),
      { numRuns: 25 },
    )
    expect((await new Ledger(suite.db, { pricing }).verify()).violations).toEqual([])
  })

  it('balances(ids) answers what balance(id) answers, for a page of accounts at once', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing })
    const ids: string[] = []
    for (let i = 0; i < 12; i++) {
      const { accountId } = unwrap(await ledger.createAccount({ cohorts: i % 3 === 0 ? ['beta'] : [] }))
      ids.push(accountId)
      if (i % 2 === 0)
        unwrap(await ledger.grant({ accountId, amount: i + 1, source: 'promotional', expiresInMs: DAY }))
      if (i % 4 === 0) unwrap(await ledger.hold({ accountId, amount: 3 }))
    }
    clock.advance(addMonthsClamped(T0, 1) - T0 + 1) // into the next period: lots expired, holds lapsed
    const unknown = 'acct_00000000000000000000000000'
    const page = unwrap(await ledger.balances([...ids, ids[0]!, unknown]))
    expect([...page.keys()].sort()).toEqual([...ids].sort())
    for (const id of ids) expect(page.get(id)).toEqual(unwrap(await ledger.balance(id)))
    expect(unwrap(await ledger.balances([])).size).toBe(0)
  })

  it('balances(ids) refuses a malformed id or more than a page, as balance does', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0), pricing })
    expect(refusal(await ledger.balances(['lot_01jd3q8z6x4c9m2k7w5e0t1r8b']))).toMatchObject({
      code: 'VALIDATION',
      field: 'accountIds',
    })
    const tooMany = Array.from({ length: MAX_BALANCES + 1 }, (_, i) => `acct_${String(i).padStart(26, '0')}`)
    expect(refusal(await ledger.balances(tooMany))).toMatchObject({ code: 'VALIDATION', field: 'accountIds' })
    // The same id many times is one account.
    expect(
      unwrap(await ledger.balances(Array.from({ length: MAX_BALANCES + 1 }, () => tooMany[0]!))).size,
    ).toBe(0)
  })
})
