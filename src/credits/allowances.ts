import { addMonthsClamped, periodAt } from './periods.ts'
import { type BookDuration, cohortBonus, type Plan, type PriceBook } from './pricing/book.ts'
import type { LotSource } from './types.ts'

/** What the allowance rules need to know of an account. */
export interface AllowanceAccount {
  id: string
  createdAt: number
  plan: string
  cohorts: readonly string[]
}

/** A grant the book says an account should have by now, with the key that makes it happen once. */
export interface AllowanceGrant {
  /** Idempotency key: one monthly grant per account and period, one bonus per account and cohort. */
  key: string
  source: 'monthly' | 'bonus'
  amount: number
  priority: number
  expiresAt: number | null
  reference: string
}

export function addDuration(ms: number, d: BookDuration): number {
  return 'months' in d ? addMonthsClamped(ms, d.months) : ms + d.days * 86_400_000
}

/** A lot's priority and expiry, as a price book sets them for its source. */
export interface BookLotTerms {
  priority: number
  /** Null: never expires. */
  expiresAt: number | null
}

/**
 * The terms `book` gives a lot of `source` granted at `now` to an account created at `createdAt`:
 * the source's priority, and its expiry — monthly credits at the end of the period `now` falls in
 * (or the book's duration from the period's start), bonus, promotional and purchased credits the
 * book's duration from `now`. Refund and adjustment credits never expire: the book has no rule for
 * them. Pure.
 *
 * @example
 * bookLotTerms(LABS_2022, 'purchase', Date.UTC(2026, 10, 25), Date.UTC(2026, 0, 1))
 * // → { priority: 50, expiresAt: Date.UTC(2027, 10, 25) }
 * bookLotTerms(LABS_2022, 'monthly', Date.UTC(2026, 10, 30), Date.UTC(2026, 0, 25))
 * // → { priority: 10, expiresAt: Date.UTC(2026, 11, 25) } (the end of the period)
 */
export function bookLotTerms(
  book: PriceBook,
  source: LotSource,
  now: number,
  createdAt: number,
): BookLotTerms {
  const priority = book.priorities[source]
  switch (source) {
    case 'monthly': {
      const period = periodAt(createdAt, now)
      const monthly = book.expiry.monthly
      return {
        priority,
        expiresAt: monthly === 'end-of-period' ? period.end : addDuration(period.start, monthly),
      }
    }
    case 'bonus':
    case 'promotional':
    case 'purchase': {
      const lifetime = book.expiry[source]
      return { priority, expiresAt: lifetime === null ? null : addDuration(now, lifetime) }
    }
    case 'refund':
    case 'adjustment':
      return { priority, expiresAt: null }
  }
}

/**
 * Whether a plan is sold (it has a price): a priced plan's credits come from its paid invoices
 * (`Ledger.grantPlanInvoice`), once per invoice, never from the automatic monthly allowance, so
 * that each grant has one trigger (DESIGN §8). A plan priced at 0 is a free plan. Pure.
 *
 * @example
 * isPricedPlan({ monthlyCredits: 200, priceMinor: 2000 }) // → true
 * isPricedPlan({ monthlyCredits: 15 })                    // → false
 */
export function isPricedPlan(plan: Plan): boolean {
  return (plan.priceMinor ?? 0) > 0
}

/** The plan `book` holds an account on: its own when the book knows it, else the book's default. */
export function planOf(book: PriceBook, plan: string): Plan | undefined {
  const plans = book.allowances.plans
  return (Object.hasOwn(plans, plan) ? plans[plan] : undefined) ?? plans[book.allowances.defaultPlan]
}

/**
 * The free grants an account is owed at `now` under `book`: this period's monthly allowance (by
 * its plan, expiring at the period's end so nothing rolls over) and the one-time bonus of each of
 * its cohorts. A priced plan owes no monthly allowance: its paid invoices grant its credits (see
 * {@link isPricedPlan}). Grants already made are skipped by the caller through their keys. Pure.
 *
 * @example
 * allowanceGrants({ id: 'acct_1', createdAt: Date.UTC(2026, 0, 25), plan: 'free', cohorts: ['beta'] },
 *                 LABS_2022, Date.UTC(2026, 1, 3))
 * // → [{ key: 'allowance:acct_1:2026-01-25', source: 'monthly', amount: 15, expiresAt: Feb 25, … },
 * //    { key: 'bonus:beta:acct_1', source: 'bonus', amount: 50, expiresAt: Mar 3, … }]
 * allowanceGrants({ …, plan: 'pro', cohorts: [] }, LABS_2022_PRO, …) // → [] (pro is priced: its invoices grant)
 */
export function allowanceGrants(account: AllowanceAccount, book: PriceBook, now: number): AllowanceGrant[] {
  const grants: AllowanceGrant[] = []
  // An account on a plan this book does not know gets the book's default plan.
  const plan = planOf(book, account.plan)
  if (plan && plan.monthlyCredits > 0 && !isPricedPlan(plan)) {
    const period = periodAt(account.createdAt, now)
    grants.push({
      key: `allowance:${account.id}:${period.key}`,
      source: 'monthly',
      amount: plan.monthlyCredits,
      ...bookLotTerms(book, 'monthly', now, account.createdAt),
      reference: `period:${period.key}`,
    })
  }
  for (const cohort of account.cohorts) {
    const bonus = cohortBonus(book, cohort)
    if (!bonus || bonus.credits === 0) continue
    grants.push({
      key: `bonus:${cohort}:${account.id}`,
      source: 'bonus',
      amount: bonus.credits,
      priority: bonus.priority,
      expiresAt: bonus.expiresIn === null ? null : addDuration(now, bonus.expiresIn),
      reference: `cohort:${cohort}`,
    })
  }
  return grants
}
