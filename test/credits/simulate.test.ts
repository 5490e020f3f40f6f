import { describe, expect, it } from 'vitest'
import { LABS_2022, Ledger, staticPricing, validateBook } from '../../src/credits/index.ts'
import type { PriceBook } from '../../src/credits/pricing/book.ts'
import { readRecordedCharges, simulate } from '../../src/credits/pricing/simulate.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)

function editCostsTwo(): PriceBook {
  const r = validateBook({
    ...LABS_2022,
    version: 'edit-costs-2',
    operations: {
      ...LABS_2022.operations,
      edit: { ...LABS_2022.operations.edit, rules: [{ id: 'edit-2', credits: 2 }] },
    },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

describe.each(BACKENDS)('pricing simulate on %s', (backend) => {
  const suite = useTestDatabase(backend)

  it('re-prices a hand-computed history under a book where an edit costs 2', async () => {
    const clock = new ManualClock(T0)
    // No pricing catalogue: no allowances, so each account's budget is exactly what it is granted.
    const ledger = new Ledger(suite.db, { clock })
    const priced = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    const charge = async (accountId: string, operation: string) => {
      const q = unwrap(await priced.quote({ operation }))
      const hold = unwrap(
        await ledger.hold({
          accountId,
          amount: q.credits,
          pricedBy: { bookVersion: q.bookVersion, ruleId: q.ruleId, operation, parameters: {} },
        }),
      )
      unwrap(await ledger.capture({ holdId: hold.holdId }))
      clock.advance(1000)
    }
    const a = unwrap(await ledger.createAccount({})).accountId
    const b = unwrap(await ledger.createAccount({})).accountId
    unwrap(await ledger.grant({ accountId: a, amount: 7, source: 'promotional' }))
    unwrap(await ledger.grant({ accountId: b, amount: 20, source: 'promotional' }))
    for (const op of ['generate', 'edit', 'generate', 'edit', 'edit']) await charge(a, op)
    await charge(b, 'edit')

    const { charges, budgets } = await readRecordedCharges(suite.db.kysely, { from: T0, to: T0 + 60_000 })
    expect(budgets.get(a)).toBe(7) // 5 spent + 2 left
    const sim = simulate(charges, editCostsTwo(), () => LABS_2022, budgets)
    expect(sim.byOperation.generate).toMatchObject({ operations: 2, creditsBefore: 2, creditsAfter: 2 })
    expect(sim.byOperation.edit).toMatchObject({ operations: 4, creditsBefore: 4, creditsAfter: 8 })
    expect(sim.total).toMatchObject({ operations: 6, creditsBefore: 6, creditsAfter: 10 })
    expect(sim.total.revenueBefore.shown()).toBe('78.26') // 6 × 1500/115 cents
    expect(sim.total.revenueAfter.shown()).toBe('130.43') // 10 × 1500/115 cents
    // A needed 8 credits with 7 to spend; B needed 2 of 20.
    expect(sim.accountsRunOutEarlier).toBe(1)
    expect(sim.unpriceable).toBe(0)
  })
})
