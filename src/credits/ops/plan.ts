import type { WriteOp } from '../../db/writer/index.ts'
import { invariant, ok, type Result, validation } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import type { Money } from '../types.ts'
import { accountNotFound } from './account.ts'
import { ensureAllowances, type PricingCatalog } from './allowances.ts'
import { writeGrant } from './grant.ts'

/** One paid invoice of a plan's subscription: the period it pays for and what it cost. */
export interface PlanInvoiceInput {
  accountId: string
  /** The plan subscribed to: a plan of the price book, priced. */
  plan: string
  /** The provider's invoice: its period's credits are granted once per invoice. */
  invoiceId: string
  /** The period the invoice pays for (ms since the epoch): its credits expire at `periodEnd`. */
  periodStart: number
  periodEnd: number
  /**
   * Whose book prices the period (its plan's credits): the book in force then. Default
   * `periodStart`; a first period is priced when the subscriber was quoted.
   */
  pricedAt?: number
  /** What the period's credits were paid (the plan's price, before tax): the lot's cost basis. */
  costBasis: Money
}

export interface PlanInvoiceReceipt {
  accountId: string
  plan: string
  /** The plan the account was on before this invoice (the same one on a renewal). */
  previousPlan: string
  invoiceId: string
  /** The period's lot; null when the plan grants no credits. */
  lotId: string | null
  credits: number
  expiresAt: number
  /** The book whose plan set `credits`: the one in force at `pricedAt`. */
  bookVersion: string
  /** True when the invoice had been granted before: this is the first grant's answer, nothing moved. */
  replayed: boolean
}

export interface PlanEnded {
  accountId: string
  /** The plan the account is on now: the book's default plan, or its own if it had moved on. */
  plan: string
  /** Whether this call moved it (false: it was not on the ended plan any more). */
  changed: boolean
}

/** The idempotency key of a plan invoice's grant, and its lot's reference. */
export const planInvoiceKey = (invoiceId: string) => `plan-invoice:${invoiceId}`

/**
 * Grants one paid invoice of a plan, once per invoice whatever the concurrency: the account moves
 * to the plan if it is not on it yet — what its old plan owed by now (this period's free
 * allowance, cohort bonuses) is granted first, so a plan change never takes back what was owed —
 * and a `monthly` lot of the plan's `monthlyCredits` (the book in force at `pricedAt`)
 * expires at the period's end, burning before purchased credits, which nothing here touches. A
 * period already over is refused (its credits would expire at once).
 */
export function grantPlanInvoiceOp(
  input: PlanInvoiceInput,
  pricing: PricingCatalog,
): WriteOp<Result<PlanInvoiceReceipt>> {
  const { invoiceId, ...request } = input
  return {
    name: 'grantPlanInvoice',
    locks: { accounts: [input.accountId] },
    run: async (tx, now) => {
      let fresh = false
      const result = await withIdempotency(
        tx,
        planInvoiceKey(invoiceId),
        'grantPlanInvoice',
        request,
        now,
        async () => {
          fresh = true
          const [account] = await tx.all<{ plan: string }>('select plan from accounts where id = ?', [
            input.accountId,
          ])
          if (!account) return accountNotFound(input.accountId)
          if (input.periodEnd <= now) {
            return validation('periodEnd', 'the period is over: its credits would expire at once')
          }
          const book = pricing.bookAt(input.pricedAt ?? input.periodStart)
          const plans = book.allowances.plans
          const plan = Object.hasOwn(plans, input.plan) ? plans[input.plan] : undefined
          if (!plan) return validation('plan', `price book ${book.version} has no plan ${input.plan}`)
          if (account.plan !== input.plan) {
            await ensureAllowances(tx, input.accountId, pricing.bookAt(now), now)
            tx.write('update accounts set plan = ? where id = ?', [input.plan, input.accountId], 1)
          }
          const lot =
            plan.monthlyCredits > 0
              ? writeGrant(
                  tx,
                  {
                    accountId: input.accountId,
                    amount: plan.monthlyCredits,
                    source: 'monthly',
                    priority: book.priorities.monthly,
                    expiresAt: input.periodEnd,
                    costBasis: input.costBasis,
                    reference: planInvoiceKey(invoiceId),
                  },
                  now,
                )
              : null
          invariant(lot === null || lot.amount === plan.monthlyCredits, 'plan lot of the plan’s credits')
          return ok({
            accountId: input.accountId,
            plan: input.plan,
            previousPlan: account.plan,
            invoiceId,
            lotId: lot?.lotId ?? null,
            credits: plan.monthlyCredits,
            expiresAt: input.periodEnd,
            bookVersion: book.version,
            replayed: false,
          })
        },
      )
      if (!result.ok) return result
      invariant(result.value.invoiceId === invoiceId, 'a plan invoice’s key answers its own grant')
      return ok({ ...result.value, replayed: !fresh })
    },
  }
}

/**
 * Ends a plan: an account still on `plan` returns to the default plan of the book in force. One
 * that has moved on meanwhile (an operator's change, another subscription) keeps its plan. Its
 * lots stay as granted — the ended plan's last period runs out at its own expiry, purchased
 * credits are untouched — and the default plan's allowance is owed again by the rules of
 * `allowanceGrants`: from the sign-up period this falls in, unless that period's was granted before.
 */
export function endPlanOp(
  accountId: string,
  plan: string,
  pricing: PricingCatalog,
): WriteOp<Result<PlanEnded>> {
  return {
    name: 'endPlan',
    locks: { accounts: [accountId] },
    run: async (tx, now) => {
      const [account] = await tx.all<{ plan: string }>('select plan from accounts where id = ?', [accountId])
      if (!account) return accountNotFound(accountId)
      if (account.plan !== plan) return ok({ accountId, plan: account.plan, changed: false })
      const fallback = pricing.bookAt(now).allowances.defaultPlan
      if (fallback !== plan) tx.write('update accounts set plan = ? where id = ?', [fallback, accountId], 1)
      return ok({ accountId, plan: fallback, changed: fallback !== plan })
    },
  }
}
