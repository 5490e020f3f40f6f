import { describe, expect, it } from 'vitest'
import { allowanceGrants } from '../../src/credits/allowances.ts'
import type { PriceBook } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing, validateBook } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

function withProPlan(): PriceBook {
  const r = validateBook({
    ...LABS_2022,
    version: 'labs-2022-pro',
    allowances: {
      ...LABS_2022.allowances,
      plans: { ...LABS_2022.allowances.plans, pro: { monthlyCredits: 200 } },
    },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

describe('allowanceGrants (pure)', () => {
  const createdAt = Date.UTC(2026, 0, 31, 9)

  it('owes the plan’s monthly credits for the current period, expiring at its end', () => {
    const at = Date.UTC(2026, 1, 10)
    const [monthly] = allowanceGrants({ id: 'acct_a', createdAt, plan: 'free', cohorts: [] }, LABS_2022, at)
    expect(monthly).toEqual({
      key: 'allowance:acct_a:2026-01-31',
      source: 'monthly',
      amount: 15,
      priority: 10,
      expiresAt: Date.UTC(2026, 1, 28, 9),
      reference: 'period:2026-01-31',
    })
  })

  it('owes each cohort’s bonus once (one key per account and cohort), expiring a month after it is granted', () => {
    const at = Date.UTC(2026, 2, 5)
    const grants = allowanceGrants(
      { id: 'acct_b', createdAt, plan: 'free', cohorts: ['beta', 'unknown'] },
      LABS_2022,
      at,
    )
    expect(grants.map((g) => g.key)).toEqual(['allowance:acct_b:2026-02-28', 'bonus:beta:acct_b'])
    expect(grants[1]).toMatchObject({
      source: 'bonus',
      amount: 50,
      priority: 20,
      expiresAt: Date.UTC(2026, 3, 5),
    })
  })

  it('uses the book’s default plan for a plan it does not know, and a larger plan’s allowance when it does', () => {
    const account = { id: 'acct_c', createdAt, cohorts: [] }
    expect(allowanceGrants({ ...account, plan: 'gold' }, LABS_2022, createdAt)[0]?.amount).toBe(15)
    expect(allowanceGrants({ ...account, plan: 'pro' }, withProPlan(), createdAt)[0]?.amount).toBe(200)
  })
})

describe.each(BACKENDS)('allowances through the ledger on %s', (backend) => {
  const suite = useTestDatabase(backend)

  const T0 = Date.UTC(2026, 10, 25, 12)
  const pricing = staticPricing(LABS_2022)

  it.each([
    {
      name: '15 monthly credits, expiring at the end of the period',
      cohorts: [] as string[],
      expect: {
        available: 15,
        lots: [],
        owed: [{ source: 'monthly', amount: 15, dueAt: T0, expiresAt: Date.UTC(2026, 11, 25, 12) }],
      },
      granted: [{ source: 'monthly', remaining: 15, expiresAt: Date.UTC(2026, 11, 25, 12) }],
    },
    {
      name: 'a beta account holds 65 in its first period',
      cohorts: ['beta'],
      expect: {
        available: 65,
        lots: [],
        owed: [
          { source: 'monthly', amount: 15, priority: 10 },
          { source: 'bonus', amount: 50, priority: 20 },
        ],
      },
      granted: [
        { source: 'monthly', remaining: 15, priority: 10 },
        { source: 'bonus', remaining: 50, priority: 20 },
      ],
    },
  ])(
    '$name: owed from the start, granted by the first spend',
    async ({ cohorts, expect: expected, granted }) => {
      const clock = new ManualClock(T0)
      const ledger = new Ledger(suite.db, { clock, pricing })
      const { accountId } = unwrap(await ledger.createAccount({ cohorts }))
      // A balance counts what the book owes at once, and lists it as owed: nothing is granted yet.
      expect(unwrap(await ledger.balance(accountId))).toMatchObject(expected)
      expect(unwrap(await ledger.history(accountId)).entries).toEqual([])
      // The first spend grants it (a hold of nothing is refused, so spend one and give it back).
      const hold = unwrap(await ledger.hold({ accountId, amount: 1 }))
      unwrap(await ledger.release({ holdId: hold.holdId }))
      const after = unwrap(await ledger.balance(accountId))
      expect(after).toMatchObject({ available: expected.available, lots: granted })
      expect(after.owed).toBeUndefined()
    },
  )

  it('spends monthly credits before the bonus before purchased ones', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing })
    const { accountId } = unwrap(await ledger.createAccount({ cohorts: ['beta'] }))
    unwrap(
      await ledger.grant({
        accountId,
        amount: 115,
        source: 'purchase',
        costBasis: { amountMinor: 1500, currency: 'USD' },
      }),
    )
    const hold = unwrap(await ledger.hold({ accountId, amount: 66 }))
    const balance = unwrap(await ledger.balance(accountId))
    const sourceOf = new Map(balance.lots.map((l) => [l.id, l.source]))
    expect(hold.allocations.map((a) => [sourceOf.get(a.lotId), a.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
      ['purchase', 1],
    ])
  })

  it('lets an unused allowance go at the end of its period and owes the next one, granted by the next spend', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(await ledger.hold({ accountId, amount: 5 }))
    const nextPeriod = Date.UTC(2026, 11, 25, 12)
    clock.set(nextPeriod + 1)
    const balance = unwrap(await ledger.balance(accountId))
    expect(balance.available).toBe(15) // the new period's 15, not the old one's 10 left: no rollover
    expect(balance.lots).toEqual([])
    expect(balance.owed).toEqual([
      expect.objectContaining({
        source: 'monthly',
        amount: 15,
        dueAt: nextPeriod,
        expiresAt: Date.UTC(2027, 0, 25, 12),
      }),
    ])
    // The sweep records the expiry (the overdue hold's 5 came back to the expired lot and expire too)
    // and grants nothing: the next period's credits are granted by the account's next spend.
    await ledger.expireDue() // installation-wide: other tests' accounts are swept too
    const kinds = async () => unwrap(await ledger.history(accountId)).entries.map((e) => e.kind)
    expect(await kinds()).toEqual(['expire', 'expire', 'hold_expired', 'hold', 'grant'])
    expect(unwrap(await ledger.balance(accountId))).toMatchObject({ available: 15, lots: [] })
    unwrap(await ledger.hold({ accountId, amount: 15 }))
    expect((await kinds()).slice(0, 2)).toEqual(['hold', 'grant'])
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('grants a plan’s larger allowance', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0), pricing: staticPricing(withProPlan()) })
    const { accountId } = unwrap(await ledger.createAccount({ plan: 'pro' }))
    expect(unwrap(await ledger.balance(accountId)).available).toBe(200)
  })

  it('grants exactly once under concurrent first activity from two connection sets', async () => {
    const clock = new ManualClock(T0)
    const other = await suite.testDb.open()
    try {
      const a = new Ledger(suite.db, { clock, pricing })
      const b = new Ledger(other, { clock, pricing })
      const { accountId } = unwrap(await a.createAccount({ cohorts: ['beta'] }))
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const ledger = i % 2 === 0 ? a : b
          return i % 4 < 2 ? ledger.balance(accountId) : ledger.hold({ accountId, amount: 1 })
        }),
      )
      for (const r of results) expect(r.ok).toBe(true)
      const grants = unwrap(await a.history(accountId, { limit: 100 })).entries.filter(
        (e) => e.kind === 'grant',
      )
      expect(grants.map((g) => g.amount).sort((x, y) => x - y)).toEqual([15, 50])
      expect(unwrap(await a.balance(accountId))).toMatchObject({ available: 65 - 10, held: 10 })
      expect((await a.verify()).ok).toBe(true)
    } finally {
      await other.close()
    }
  })

  it('needs a price book to grant allowances, and does nothing without one', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0) })
    const { accountId } = unwrap(await ledger.createAccount({ cohorts: ['beta'] }))
    expect(unwrap(await ledger.balance(accountId)).available).toBe(0)
    expect(await ledger.ensureAllowances(accountId)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', field: 'pricing' },
    })
  })
})
