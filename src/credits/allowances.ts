import { addMonthsClamped, periodAt } from './periods.ts'
import { type BookDuration, cohortBonus, type PriceBook } from './pricing/book.ts'

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

/**
 * The free grants an account is owed at `now` under `book`: this period's monthly allowance (by
 * its plan, expiring at the period's end so nothing rolls over) and the one-time bonus of each of
 * its cohorts. Grants already made are skipped by the caller through their keys. Pure.
 *
 * @example
 * allowanceGrants({ id: 'acct_1', createdAt: Date.UTC(2026, 0, 25), plan: 'free', cohorts: ['beta'] },
 *                 LABS_2022, Date.UTC(2026, 1, 3))
 * // → [{ key: 'allowance:acct_1:2026-01-25', source: 'monthly', amount: 15, expiresAt: Feb 25, … },
 * //    { key: 'bonus:beta:acct_1', source: 'bonus', amount: 50, expiresAt: Mar 3, … }]
 */
export function allowanceGrants(account: AllowanceAccount, book: PriceBook, now: number): AllowanceGrant[] {
  const grants: AllowanceGrant[] = []
  const plans = book.allowances.plans
  // An account on a plan this book does not know gets the book's default plan.
  const plan =
    (Object.hasOwn(plans, account.plan) ? plans[account.plan] : undefined) ??
    plans[book.allowances.defaultPlan]
  if (plan && plan.monthlyCredits > 0) {
    const period = periodAt(account.createdAt, now)
    const monthly = book.expiry.monthly
    grants.push({
      key: `allowance:${account.id}:${period.key}`,
      source: 'monthly',
      amount: plan.monthlyCredits,
      priority: book.priorities.monthly,
      expiresAt: monthly === 'end-of-period' ? period.end : addDuration(period.start, monthly),
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
