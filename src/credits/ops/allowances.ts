import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { allowanceGrants } from '../allowances.ts'
import { freeGrantsOwed } from '../balance.ts'
import type { PriceBook } from '../pricing/book.ts'
import { type GrantReceipt, writeGrant } from './grant.ts'

/** Where the ledger finds the price book in force at a moment (the allowances it grants follow it). */
export interface PricingCatalog {
  bookAt(at: number): PriceBook
}

/** A catalogue of one book, in force at all times. */
export const staticPricing = (book: PriceBook): PricingCatalog => ({ bookAt: () => book })

/**
 * Grants what the book says the account is owed by now and has not had yet: this period's monthly
 * allowance and its cohorts' one-time bonuses; nothing while its free grants are held. Each grant's
 * idempotency key is written in the same transaction, under the account's lock, so concurrent first
 * spends grant exactly once. Called by a hold (the first spend of a period) and by
 * `Ledger.ensureAllowances`; reads never call it.
 */
export async function ensureAllowances(
  tx: SqlTx,
  accountId: string,
  book: PriceBook,
  now: number,
): Promise<GrantReceipt[]> {
  const rows = await tx.all<{
    created_at: number
    plan: string
    allowances_checked: string | null
    free_grants_from: number | null
    cohort: string | null
  }>(
    `select a.created_at, a.plan, a.allowances_checked, a.free_grants_from, c.cohort from accounts a
     left join account_cohorts c on c.account_id = a.id where a.id = ?`,
    [accountId],
  )
  const first = rows[0]
  if (!first) return []
  if (!freeGrantsOwed({ createdAt: first.created_at, freeGrantsFrom: first.free_grants_from }, now)) return []
  const due = allowanceGrants(
    {
      id: accountId,
      createdAt: first.created_at,
      plan: first.plan,
      cohorts: rows.flatMap((r) => (r.cohort === null ? [] : [r.cohort])),
    },
    book,
    now,
  )
  if (due.length === 0) return []
  // Everything owed now was granted at the last check (same period, same cohorts): nothing to do.
  const checked = due.map((g) => g.key).join(' ')
  if (first.allowances_checked === checked) return []
  const seen = new Set(
    (
      await tx.all<{ key: string }>(
        `select key from idempotency_keys where key in (${due.map(() => '?').join(', ')})`,
        due.map((g) => g.key),
      )
    ).map((r) => r.key),
  )
  const granted: GrantReceipt[] = []
  for (const g of due) {
    if (seen.has(g.key)) continue
    const receipt = writeGrant(
      tx,
      {
        accountId,
        amount: g.amount,
        source: g.source,
        priority: g.priority,
        expiresAt: g.expiresAt,
        costBasis: { amountMinor: 0, currency: book.currency },
        reference: g.reference,
      },
      now,
    )
    tx.write(
      'insert into idempotency_keys (key, operation, request_hash, response, created_at) values (?, ?, ?, ?, ?)',
      [g.key, 'allowance', book.version, JSON.stringify(receipt), now],
      1,
    )
    granted.push(receipt)
  }
  tx.write('update accounts set allowances_checked = ? where id = ?', [checked, accountId], 1)
  return granted
}

export function ensureAllowancesOp(accountId: string, pricing: PricingCatalog): WriteOp<GrantReceipt[]> {
  return {
    name: 'ensureAllowances',
    locks: { accounts: [accountId] },
    run: (tx, now) => ensureAllowances(tx, accountId, pricing.bookAt(now), now),
  }
}
