import type { WriteOp } from '../../db/writer/index.ts'
import { newId } from '../../util/ids.ts'
import { allocateByBurnOrder } from '../burn-order.ts'
import { fail, invariant, ok, type Result } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import { adjustAccount, adjustLots, movePostings, postTransaction } from '../journal.ts'
import type { LotAmounts } from '../settlement.ts'
import type { Allocation } from '../types.ts'
import { accountNotFound } from './account.ts'
import { ensureAllowances, type PricingCatalog } from './allowances.ts'
import { applySweep, planSweep } from './sweep.ts'

export interface HoldInput {
  accountId: string
  amount: number
  /** How long the hold lives unsettled before it is released on its own. */
  ttlMs: number
  /** What the hold is for (a job id), kept on the hold and in the journal. */
  reference: string | null
  /** The book version and rule that priced the operation (from a quote), kept on the charge. */
  pricedBy: PricedBy | null
  idempotencyKey?: string
}

/** What priced a charge: the book version and rule, and the request they priced. */
export interface PricedBy {
  bookVersion: string
  ruleId: string
  operation?: string
  parameters?: Record<string, unknown>
}

export interface HoldReceipt {
  holdId: string
  accountId: string
  amount: number
  createdAt: number
  expiresAt: number
  reference: string | null
  pricedBy: PricedBy | null
  /** Where the credits came from, in burn order. */
  allocations: Array<{ lotId: string; amount: number }>
}

/**
 * A hold. With a pricing catalogue, the account first receives what the book owes it (this
 * period's allowance, cohort bonuses), in the hold's transaction: balances count what is owed as
 * available, and the first spend of a period is what grants it, whatever the hold's own outcome.
 */
export function holdOp(input: HoldInput, pricing?: PricingCatalog): WriteOp<Result<HoldReceipt>> {
  // Parsed at the ledger's door (`parseHold`): here only asserted.
  invariant(Number.isSafeInteger(input.amount) && input.amount > 0, `hold of ${input.amount} credits`)
  invariant(Number.isSafeInteger(input.ttlMs) && input.ttlMs > 0, `hold living ${input.ttlMs} ms`)
  const { idempotencyKey, ...request } = input
  return {
    name: 'hold',
    locks: { accounts: [input.accountId] },
    run: (tx, now) =>
      withIdempotency(tx, idempotencyKey, 'hold', request, now, async () => {
        // Time first: overdue holds give their credits back and expired lots stop counting, before
        // we look at what can be spent. Nothing is written until we know the hold goes ahead.
        if (pricing) await ensureAllowances(tx, input.accountId, pricing.bookAt(now), now)
        const plan = await planSweep(tx, input.accountId, now)
        if (!plan.exists) return accountNotFound(input.accountId)
        const allocation = allocateByBurnOrder(plan.live, input.amount, now)
        if (!allocation.ok) {
          return fail({
            code: 'INSUFFICIENT_CREDITS',
            requested: input.amount,
            available: allocation.available,
            message: `not enough credits: ${input.amount} needed, ${allocation.available} available`,
          })
        }
        applySweep(tx, input.accountId, plan, now)
        const allocations: Allocation[] = allocation.allocations
        const holdId = newId('hold', now)
        const expiresAt = now + input.ttlMs
        adjustLots(
          tx,
          allocations.map(([lotId, amount]) => [lotId, -amount] as const),
        )
        tx.write(
          `insert into holds (id, account_id, amount, status, captured, refunded, created_at, expires_at, settled_at,
             reference, allocations, book_version, price_rule, priced_request)
           values (?, ?, ?, 'pending', 0, 0, ?, ?, null, ?, ?, ?, ?, ?)`,
          [
            holdId,
            input.accountId,
            input.amount,
            now,
            expiresAt,
            input.reference,
            JSON.stringify(allocations),
            input.pricedBy?.bookVersion ?? null,
            input.pricedBy?.ruleId ?? null,
            input.pricedBy?.operation === undefined
              ? null
              : JSON.stringify({
                  operation: input.pricedBy.operation,
                  parameters: input.pricedBy.parameters ?? {},
                }),
          ],
          1,
        )
        postTransaction(tx, {
          kind: 'hold',
          accountId: input.accountId,
          now,
          amount: input.amount,
          holdId,
          memo: input.reference,
          postings: movePostings(allocations as LotAmounts, 'available', 'held'),
        })
        adjustAccount(tx, input.accountId, -input.amount, input.amount)
        return ok({
          holdId,
          accountId: input.accountId,
          amount: input.amount,
          createdAt: now,
          expiresAt,
          reference: input.reference,
          pricedBy: input.pricedBy,
          allocations: allocations.map(([lotId, amount]) => ({ lotId, amount })),
        })
      }),
  }
}
