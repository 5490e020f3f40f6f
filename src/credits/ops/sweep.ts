import type { SqlTx } from '../../db/sql-session.ts'
import { isLive } from '../burn-order.ts'
import type { LedgerOp } from '../group-commit.ts'
import { adjustAccount, expireCredits, returnToLots } from '../journal.ts'
import type { LotAmounts } from '../settlement.ts'
import type { Allocation, LotView } from '../types.ts'

export interface HoldRow {
  id: string
  account_id: string
  amount: number
  status: 'pending' | 'captured' | 'released' | 'expired'
  captured: number
  refunded: number
  created_at: number
  expires_at: number
  settled_at: number | null
  reference: string | null
  allocations: string
}

export interface LotRow {
  id: string
  source: string
  amount: number
  remaining: number
  priority: number
  granted_at: number
  expires_at: number | null
}

export const toLotView = (r: LotRow): LotView => ({
  id: r.id,
  source: r.source,
  amount: r.amount,
  remaining: r.remaining,
  priority: r.priority,
  grantedAt: r.granted_at,
  expiresAt: r.expires_at,
})

export const parseAllocations = (json: string): Allocation[] => JSON.parse(json) as Allocation[]

export interface SweepCounts {
  holdsReleased: number
  lotsExpired: number
  creditsExpired: number
}

/**
 * Ends a pending hold without charging: its credits return to their lots. `status` says whether
 * the owner released it or its time ran out.
 */
export function endHold(
  tx: SqlTx,
  hold: HoldRow,
  status: 'released' | 'expired',
  now: number,
): { live: number; expired: number } {
  tx.write(
    "update holds set status = ?, settled_at = ? where id = ? and status = 'pending'",
    [status, now, hold.id],
    1,
  )
  const back = returnToLots(tx, {
    accountId: hold.account_id,
    entries: parseAllocations(hold.allocations) as LotAmounts,
    from: 'held',
    kind: status === 'released' ? 'release' : 'hold_expired',
    holdId: hold.id,
    now,
  })
  adjustAccount(tx, hold.account_id, back.live, -hold.amount)
  return back
}

/**
 * Settles what time has decided for one account: pending holds past their TTL are released, and
 * credits of lots past their expiry are expired on the record. Returns the account's lots that are
 * still spendable, for the caller that goes on to allocate from them.
 */
export async function sweepAccount(
  tx: SqlTx,
  accountId: string,
  now: number,
): Promise<{ exists: boolean; live: LotView[]; counts: SweepCounts }> {
  const counts: SweepCounts = { holdsReleased: 0, lotsExpired: 0, creditsExpired: 0 }
  const overdue = await tx.all<HoldRow>(
    "select * from holds where account_id = ? and status = 'pending' and expires_at <= ?",
    [accountId, now],
  )
  for (const hold of overdue) {
    const back = endHold(tx, hold, 'expired', now)
    counts.holdsReleased++
    counts.creditsExpired += back.expired
  }
  // One read answers both "does the account exist" and "what can it spend" (a left join keeps the
  // account's row when it has no lots).
  const rows = await tx.all<{ [K in keyof LotRow]: LotRow[K] | null }>(
    `select l.id, l.source, l.amount, l.remaining, l.priority, l.granted_at, l.expires_at
     from accounts a left join lots l on l.account_id = a.id and l.remaining > 0
     where a.id = ?`,
    [accountId],
  )
  if (rows.length === 0) return { exists: false, live: [], counts }
  const lots = rows.filter((r): r is LotRow => r.id !== null).map(toLotView)
  const live: LotView[] = []
  const dead: LotAmounts = []
  for (const lot of lots) {
    if (isLive(lot, now)) live.push(lot)
    else dead.push([lot.id, lot.remaining, lot.expiresAt])
  }
  if (dead.length > 0) {
    const expired = expireCredits(tx, accountId, dead, now)
    adjustAccount(tx, accountId, -expired, 0)
    counts.lotsExpired += dead.length
    counts.creditsExpired += expired
  }
  return { exists: true, live, counts }
}

export function sweepAccountOp(accountId: string): LedgerOp<SweepCounts> {
  return {
    name: 'sweep',
    locks: { accounts: [accountId] },
    run: async (tx, now) => (await sweepAccount(tx, accountId, now)).counts,
  }
}
