import { describe, expect, it } from 'vitest'
import {
  allowanceGrants,
  isPricedPlan,
  LABS_2022,
  Ledger,
  type PriceBook,
  staticPricing,
  validateBook,
} from '../../src/credits/index.ts'
import { addMonthsClamped } from '../../src/credits/periods.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

// Issue 12: a priced plan's credits come only from its paid invoices (Ledger.grantPlanInvoice,
// once per invoice), never from the automatic monthly allowance; ending the plan returns the
// account to the book's default plan. Purchased credits are untouched throughout.

const DAY = 86_400_000

function paidBook(pro: { monthlyCredits: number; priceMinor?: number }): PriceBook {
  const r = validateBook({
    ...LABS_2022,
    version: `paid-${pro.monthlyCredits}-${pro.priceMinor ?? 0}`,
    allowances: { ...LABS_2022.allowances, plans: { free: { monthlyCredits: 15 }, pro } },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

const PAID = paidBook({ monthlyCredits: 200, priceMinor: 2000 })

describe('the allowance of a priced plan (pure)', () => {
  const account = { id: 'acct_p', createdAt: Date.UTC(2026, 0, 31), cohorts: ['beta'] }

  it('owes no monthly allowance on a priced plan, the bonus still; a plan priced at 0 is free', () => {
    const at = Date.UTC(2026, 1, 3)
    expect(allowanceGrants({ ...account, plan: 'pro' }, PAID, at).map((g) => g.source)).toEqual(['bonus'])
    expect(allowanceGrants({ ...account, plan: 'free' }, PAID, at).map((g) => [g.source, g.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
    ])
    const zero = paidBook({ monthlyCredits: 200, priceMinor: 0 })
    expect(allowanceGrants({ ...account, plan: 'pro' }, zero, at)[0]).toMatchObject({ amount: 200 })
    expect(isPricedPlan({ monthlyCredits: 200, priceMinor: 2000 })).toBe(true)
    expect(isPricedPlan({ monthlyCredits: 200, priceMinor: 0 })).toBe(false)
    expect(isPricedPlan({ monthlyCredits: 15 })).toBe(false)
  })
})

describe.each(BACKENDS)('a paid plan’s invoices through the ledger on %s', (backend) => {
  const suite = useTestDatabase(backend)
  const T0 = Date.UTC(2026, 10, 25, 12)

  async function setup() {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(PAID) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    // A pack bought before the plan: nothing about the plan may touch it.
    unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_${accountId}`,
      }),
    )
    return { clock, ledger, accountId }
  }

  const invoice = (accountId: string, id: string, start: number) => ({
    accountId,
    plan: 'pro',
    invoiceId: id,
    periodStart: start,
    periodEnd: addMonthsClamped(start, 1),
    costBasis: { amountMinor: 2000, currency: 'USD' },
  })

  const bySource = async (ledger: Ledger, accountId: string) =>
    unwrap(await ledger.balance(accountId)).lots.map((l) => [l.source, l.remaining, l.expiresAt])

  it('grants an invoice once under 10 concurrent calls: the plan changes, what the free plan owed is granted first, purchases untouched', async () => {
    const { clock, ledger, accountId } = await setup()
    clock.advance(3 * DAY)
    const start = clock.now()
    let written = 0
    const receipts = await Promise.all(
      Array.from({ length: 10 }, () =>
        ledger.grantPlanInvoice(invoice(accountId, 'in_1', start), {
          alsoWrite: () => {
            written++
          },
        }),
      ),
    )
    const values = receipts.map(unwrap)
    expect(values.filter((v) => !v.replayed)).toHaveLength(1)
    expect(values.every((v) => v.lotId === values[0]!.lotId && v.credits === 200)).toBe(true)
    expect(values.find((v) => !v.replayed)).toMatchObject({
      previousPlan: 'free',
      plan: 'pro',
      bookVersion: PAID.version,
    })
    // alsoWrite runs with each answer (a replay's too): the caller's write must be idempotent.
    expect(written).toBeGreaterThanOrEqual(10)
    expect(await bySource(ledger, accountId)).toEqual([
      ['monthly', 15, addMonthsClamped(T0, 1)],
      ['monthly', 200, addMonthsClamped(start, 1)],
      ['purchase', 115, addMonthsClamped(T0, 12)],
    ])
    expect(unwrap(await ledger.balance(accountId)).owed).toBeUndefined()
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('while on the plan no free allowance is owed, a renewal grants the next period; ending returns to the free plan', async () => {
    const { clock, ledger, accountId } = await setup()
    unwrap(await ledger.grantPlanInvoice(invoice(accountId, 'in_a', T0)))
    const next = addMonthsClamped(T0, 1)
    clock.set(next)
    // The next sign-up period has begun: on the priced plan nothing is owed automatically.
    const between = unwrap(await ledger.balance(accountId))
    expect(between.owed).toBeUndefined()
    expect(between.available).toBe(115)
    unwrap(await ledger.grantPlanInvoice(invoice(accountId, 'in_b', next)))
    expect(await bySource(ledger, accountId)).toEqual([
      ['monthly', 200, addMonthsClamped(T0, 2)],
      ['purchase', 115, addMonthsClamped(T0, 12)],
    ])
    // A hold spends the plan's credits before the pack's.
    const hold = unwrap(await ledger.hold({ accountId, amount: 5 }))
    unwrap(await ledger.capture({ holdId: hold.holdId }))
    expect(unwrap(await ledger.endPlan(accountId, 'pro'))).toEqual({ accountId, plan: 'free', changed: true })
    // Ending again, or ending a plan the account is not on, changes nothing.
    expect(unwrap(await ledger.endPlan(accountId, 'pro'))).toEqual({
      accountId,
      plan: 'free',
      changed: false,
    })
    const after = unwrap(await ledger.balance(accountId))
    // The plan's last period runs out at its own end; this sign-up period's free 15 are owed again.
    expect(after.lots.map((l) => [l.source, l.remaining])).toEqual([
      ['monthly', 195],
      ['purchase', 115],
    ])
    expect(after.owed?.map((o) => [o.source, o.amount])).toEqual([['monthly', 15]])
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('refuses a period already over, a plan the book does not have and bad input, changing nothing', async () => {
    const { clock, ledger, accountId } = await setup()
    const before = unwrap(await ledger.balance(accountId))
    clock.set(addMonthsClamped(T0, 1) + 1)
    expect(await ledger.grantPlanInvoice(invoice(accountId, 'in_late', T0))).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', field: 'periodEnd' },
    })
    clock.set(T0 + DAY)
    expect(await ledger.grantPlanInvoice({ ...invoice(accountId, 'in_x', T0), plan: 'gold' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', field: 'plan' },
    })
    for (const [bad, field] of [
      [{ invoiceId: '' }, 'invoiceId'],
      [{ periodEnd: T0 }, 'periodEnd'],
      [{ costBasis: { amountMinor: -1, currency: 'USD' } }, 'costBasis.amountMinor'],
      [{ accountId: 'nope' }, 'accountId'],
    ] as const) {
      expect(await ledger.grantPlanInvoice({ ...invoice(accountId, 'in_y', T0), ...bad })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION', field },
      })
    }
    expect(await ledger.grantPlanInvoice(invoice('acct_missing', 'in_z', T0))).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_NOT_FOUND' },
    })
    const after = unwrap(await ledger.balance(accountId))
    expect(after.lots).toEqual(before.lots)
    expect(unwrap(await ledger.endPlan(accountId, 'pro'))).toEqual({
      accountId,
      plan: 'free',
      changed: false,
    })
  })
})
