import { describe, expect, it } from 'vitest'
import { bookLotTerms } from '../../src/credits/allowances.ts'
import { withOwed } from '../../src/credits/balance.ts'
import type { PricingCatalog } from '../../src/credits/index.ts'
import {
  addMonthsClamped,
  LABS_2022,
  Ledger,
  type PriceBook,
  projectBalance,
  staticPricing,
  validateBook,
} from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)
const DAY = 86_400_000

/** labs-2022 with other terms: purchases last 30 days and burn at 45, promotional credits 14 days. */
function otherTerms(version = 'other-terms'): PriceBook {
  const r = validateBook({
    ...LABS_2022,
    version,
    expiry: { ...LABS_2022.expiry, purchase: { days: 30 }, promotional: { days: 14 } },
    priorities: { ...LABS_2022.priorities, purchase: 45 },
    allowances: {
      ...LABS_2022.allowances,
      plans: { ...LABS_2022.allowances.plans, pro: { monthlyCredits: 200 } },
    },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

describe('bookLotTerms (pure)', () => {
  const createdAt = Date.UTC(2026, 0, 31, 9)
  const now = Date.UTC(2026, 1, 10, 15)

  it('gives each source the book’s priority and expiry', () => {
    expect(bookLotTerms(LABS_2022, 'purchase', now, createdAt)).toEqual({
      priority: 50,
      expiresAt: addMonthsClamped(now, 12),
    })
    expect(bookLotTerms(LABS_2022, 'bonus', now, createdAt)).toEqual({
      priority: 20,
      expiresAt: addMonthsClamped(now, 1),
    })
    expect(bookLotTerms(LABS_2022, 'promotional', now, createdAt)).toEqual({ priority: 30, expiresAt: null })
    expect(bookLotTerms(LABS_2022, 'refund', now, createdAt)).toEqual({ priority: 40, expiresAt: null })
    expect(bookLotTerms(LABS_2022, 'adjustment', now, createdAt)).toEqual({ priority: 60, expiresAt: null })
    expect(bookLotTerms(otherTerms(), 'purchase', now, createdAt)).toEqual({
      priority: 45,
      expiresAt: now + 30 * DAY,
    })
  })

  it('ends monthly credits with the period they are granted in (Jan 31 renews on Feb 28)', () => {
    expect(bookLotTerms(LABS_2022, 'monthly', now, createdAt)).toEqual({
      priority: 10,
      expiresAt: Date.UTC(2026, 1, 28, 9),
    })
  })
})

describe('withOwed (pure)', () => {
  const at = Date.UTC(2026, 11, 26)
  const lot = {
    id: 'lot_paid',
    source: 'purchase',
    amount: 115,
    remaining: 115,
    priority: 50,
    grantedAt: T0,
    expiresAt: null,
  }
  const owed = {
    source: 'monthly' as const,
    amount: 15,
    priority: 10,
    dueAt: Date.UTC(2026, 11, 25, 12),
    expiresAt: Date.UTC(2027, 0, 25, 12),
    reference: 'period:2026-12-25',
  }

  it('counts what is owed and still live at the moment in available, and lists it apart from the lots', () => {
    const balance = withOwed(projectBalance('acct_a', [lot], [], at), [owed])
    expect(balance.available).toBe(130)
    expect(balance.lots.map((l) => l.id)).toEqual(['lot_paid'])
    expect(balance.owed).toEqual([owed])
  })

  it('leaves a balance alone when nothing owed is live then (not due yet, expired, or empty)', () => {
    const plain = projectBalance('acct_a', [lot], [], at)
    for (const o of [
      { ...owed, dueAt: at + 1 },
      { ...owed, expiresAt: at },
      { ...owed, amount: 0 },
    ]) {
      expect(withOwed(plain, [o])).toEqual(plain)
    }
    expect(withOwed(plain, []).owed).toBeUndefined()
  })

  it('lists several owed grants in burn order', () => {
    const bonus = { ...owed, source: 'bonus' as const, priority: 20, reference: 'cohort:beta' }
    const balance = withOwed(projectBalance('acct_a', [], [], at), [bonus, owed])
    expect(balance.owed?.map((o) => o.source)).toEqual(['monthly', 'bonus'])
    expect(balance.available).toBe(30)
  })
})

describe.each(BACKENDS)('grant terms and balances ahead, on %s', (backend) => {
  const suite = useTestDatabase(backend)

  /** A ledger priced by `pricing` (none when null) and an account on it. */
  async function setup(pricing: PricingCatalog | null = staticPricing(LABS_2022), plan?: string) {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, ...(pricing ? { pricing } : {}) })
    const { accountId } = unwrap(await ledger.createAccount(plan ? { plan } : {}))
    return { clock, ledger, accountId }
  }

  it('a grant takes the book’s expiry and priority for its source unless the request says otherwise', async () => {
    const { ledger, accountId } = await setup()
    const sale = unwrap(
      await ledger.grant({
        accountId,
        amount: 115,
        source: 'purchase',
        costBasis: { amountMinor: 1500, currency: 'USD' },
      }),
    )
    expect(sale).toMatchObject({ priority: 50, expiresAt: addMonthsClamped(T0, 12) })
    const monthly = unwrap(await ledger.grant({ accountId, amount: 5, source: 'monthly' }))
    expect(monthly).toMatchObject({ priority: 10, expiresAt: addMonthsClamped(T0, 1) })
    // Each term the request gives wins on its own; null is "never".
    expect(
      unwrap(await ledger.grant({ accountId, amount: 1, source: 'purchase', expiresAt: null })),
    ).toMatchObject({ priority: 50, expiresAt: null })
    expect(
      unwrap(await ledger.grant({ accountId, amount: 1, source: 'purchase', priority: 5, expiresInMs: DAY })),
    ).toMatchObject({ priority: 5, expiresAt: T0 + DAY })
    expect(
      unwrap(await ledger.grant({ accountId, amount: 1, source: 'purchase', priority: 5 })),
    ).toMatchObject({ priority: 5, expiresAt: addMonthsClamped(T0, 12) })
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('follows the book in force at the grant, and keeps the old defaults without a book', async () => {
    const book = otherTerms()
    const { ledger, accountId } = await setup(staticPricing(book))
    expect(unwrap(await ledger.grant({ accountId, amount: 1, source: 'purchase' }))).toMatchObject({
      priority: 45,
      expiresAt: T0 + 30 * DAY,
    })
    expect(unwrap(await ledger.grant({ accountId, amount: 1, source: 'promotional' }))).toMatchObject({
      priority: 30,
      expiresAt: T0 + 14 * DAY,
    })
    const bare = await setup(null)
    expect(
      unwrap(await bare.ledger.grant({ accountId: bare.accountId, amount: 1, source: 'purchase' })),
    ).toMatchObject({ priority: 50, expiresAt: null })
  })

  it('refuses a grant to an unknown account as before, book or not', async () => {
    const { ledger } = await setup()
    const r = await ledger.grant({
      accountId: 'acct_00000000000000000000000000',
      amount: 1,
      source: 'purchase',
    })
    expect(r).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } })
  })

  it('a balance in a later period counts the allowance owed then, writing nothing', async () => {
    const { ledger, accountId } = await setup()
    unwrap(await ledger.ensureAllowances(accountId)) // this period's 15 credits, granted
    const journal = async () =>
      (await suite.db.kysely.selectFrom('journal_transactions').select('id').execute()).length
    const before = await journal()
    const next = addMonthsClamped(T0, 1)
    const ahead = unwrap(await ledger.balance(accountId, { at: next + DAY }))
    expect(ahead.available).toBe(15)
    expect(ahead.lots).toEqual([]) // this period's credits ended with it
    expect(ahead.owed).toEqual([
      {
        source: 'monthly',
        amount: 15,
        priority: 10,
        dueAt: next,
        expiresAt: addMonthsClamped(T0, 2),
        reference: 'period:2026-12-25',
      },
    ])
    // Later in this period nothing is owed: the allowance is granted already.
    const later = unwrap(await ledger.balance(accountId, { at: next - 1 }))
    expect(later).toMatchObject({ available: 15, lots: [{ source: 'monthly', remaining: 15 }] })
    expect(later.owed).toBeUndefined()
    expect(await journal()).toBe(before)
  })

  it('projects a look ahead without granting this period either, and with the plan and the book of then', async () => {
    const current = LABS_2022
    const next = otherTerms('next-book')
    const switchAt = addMonthsClamped(T0, 1)
    const pricing: PricingCatalog = { bookAt: (at) => (at < switchAt ? current : next) }
    const { ledger, accountId } = await setup(pricing, 'pro')
    const journal = async () =>
      (
        await suite.db.kysely
          .selectFrom('journal_transactions')
          .select('id')
          .where('account_id', '=', accountId)
          .execute()
      ).length
    // labs-2022 has no pro plan (its default plan's 15 apply); the next book gives pro 200.
    const soon = unwrap(await ledger.balance(accountId, { at: T0 + DAY }))
    expect(soon.owed?.map((o) => [o.amount, o.dueAt])).toEqual([[15, T0]])
    const then = unwrap(await ledger.balance(accountId, { at: switchAt + DAY }))
    expect(then.owed?.map((o) => [o.amount, o.dueAt])).toEqual([[200, switchAt]])
    expect(then.available).toBe(200)
    expect(await journal()).toBe(0)
  })
})
