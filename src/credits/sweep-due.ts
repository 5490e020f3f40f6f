import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { WriteOp } from '../db/writer/index.ts'
import { type SweepCounts, sweepAccountOp } from './ops/sweep.ts'
import { readAccountsDue } from './queries.ts'

/**
 * Sweeps every account with something due at `now` (holds past their TTL, lots past their expiry;
 * at most `limit` accounts of each), one operation per account through `write`. Every account's
 * sweep runs to its end even if another's fails; failures are thrown together, naming the accounts.
 *
 * It grants nothing. The accounts it touches are mostly those whose monthly lot just ran out, so a
 * sweep that also granted what they are owed would grant every dormant account a new period's
 * allowance each month, only to expire it a month later: two journal transactions a month per
 * account that never comes back, and "granted" and "expired" figures made of credits nobody could
 * have wanted. Nothing needs the grant written early: balances count what is owed as available, and
 * the account's next spend (a hold) grants it in its own transaction.
 */
export async function sweepDue(
  db: Kysely<DB>,
  write: (op: WriteOp<SweepCounts>) => Promise<SweepCounts>,
  now: number,
  limit: number,
): Promise<SweepCounts & { accounts: number }> {
  const accounts = await readAccountsDue(db, now, limit)
  const settled = await Promise.allSettled(accounts.map((id) => write(sweepAccountOp(id))))
  const failed = settled.flatMap((r, i) =>
    r.status === 'rejected' ? [{ accountId: accounts[i]!, error: r.reason }] : [],
  )
  if (failed.length > 0) {
    throw new AggregateError(
      failed.map((f) => f.error),
      `expiry sweep failed for ${failed.length} accounts: ${failed.map((f) => f.accountId).join(', ')}`,
    )
  }
  const total = { accounts: accounts.length, holdsReleased: 0, lotsExpired: 0, creditsExpired: 0 }
  for (const r of settled as PromiseFulfilledResult<SweepCounts>[]) {
    total.holdsReleased += r.value.holdsReleased
    total.lotsExpired += r.value.lotsExpired
    total.creditsExpired += r.value.creditsExpired
  }
  return total
}
