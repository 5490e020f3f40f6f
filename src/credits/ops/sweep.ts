import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { isLive } from '../burn-order.ts'
import { invariant, LedgerInvariantError } from '../errors.ts'
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
  revoke_owed: number
}

export const toLotView = (r: LotRow): LotView => ({
  id: r.id,
  source: r.source,
  amount: r.amount,
  remaining: r.remaining,
  priority: r.priority,
  grantedAt: r.granted_at,
  expiresAt: r.expires_at,
  // Only on lots that owe something, so that a lot's view keeps its shape for everyone else.
  ...(r.revoke_owed > 0 ? { revokeOwed: r.revoke_owed } : {}),
})

/**
 * A hold's stored allocations, checked: a non-empty JSON array of `[lotId, credits, lot expiry]`
 * with a lot id, a positive whole number of credits and an expiry in ms or null. Anything else is a
 * corrupted row, and throws {@link LedgerInvariantError} rather than move credits by a guess.
 *
 * @example
 * parseAllocations('[["lot_a",2,null]]') // → [['lot_a', 2, null]]
 * parseAllocations('[["lot_a","2"]]')    // throws LedgerInvariantError
 */
export function parseAllocations(json: string, holdId = 'a hold'): Allocation[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new LedgerInvariantError(`the allocations of ${holdId} are not JSON`)
  }
  invariant(Array.isArray(value) && value.length > 0, `the allocations of ${holdId} are not a non-empty list`)
  return value.map((entry: unknown, i): Allocation => {
    invariant(
      Array.isArray(entry) &&
        entry.length === 3 &&
        typeof entry[0] === 'string' &&
        entry[0].length > 0 &&
        Number.isSafeInteger(entry[1]) &&
        entry[1] > 0 &&
        (entry[2] === null || Number.isSafeInteger(entry[2])),
      `allocation ${i} of ${holdId} is not [lotId, positive credits, expiry or null]: ${JSON.stringify(entry)}`,
    )
    return [entry[0], entry[1], entry[2]]
  })
}

/**
 * A hold's allocations, checked against the hold: they must add up to its amount (what settlement
 * moves out of `held` is exactly what the hold put there).
 */
export function holdAllocations(hold: { id: string; amount: number; allocations: string }): Allocation[] {
  const allocations = parseAllocations(hold.allocations, hold.id)
  const sum = allocations.reduce((total, [, amount]) => total + amount, 0)
  invariant(sum === hold.amount, `the allocations of ${hold.id} add up to ${sum}, not its ${hold.amount}`)
  return allocations
}

export interface SweepCounts {
  holdsReleased: number
  lotsExpired: number
  creditsExpired: number
}

/**
 * Ends a pending hold without charging: its credits return to their lots, except those a
 * revocation is owed (`owed`: `lots.revoke_owed` by lot, see `readRevocations`; updated in place),
 * which leave. `status` says whether the owner released it or its time ran out.
 */
export function endHold(
  tx: SqlTx,
  hold: HoldRow,
  status: 'released' | 'expired',
  now: number,
  owed: Map<string, number>,
): { live: number; expired: number; revoked: number } {
  tx.write(
    "update holds set status = ?, settled_at = ? where id = ? and status = 'pending'",
    [status, now, hold.id],
    1,
  )
  const back = returnToLots(tx, {
    accountId: hold.account_id,
    entries: holdAllocations(hold) as LotAmounts,
    from: 'held',
    kind: status === 'released' ? 'release' : 'hold_expired',
    holdId: hold.id,
    now,
    owed,
  })
  adjustAccount(tx, hold.account_id, back.live, -hold.amount)
  return back
}

/** What time has decided for one account, read but not yet written. */
export interface SweepPlan {
  exists: boolean
  /** Pending holds past their TTL. */
  overdue: HoldRow[]
  /** Lots past their expiry that still hold credits (as stored, before overdue holds return). */
  dead: LotAmounts
  /** Lots that can be spent, with what overdue holds give back already added. */
  live: LotView[]
  /** `revoke_owed` of the lots that owe a revocation (as stored, before overdue holds return). */
  owed: ReadonlyMap<string, number>
}

/**
 * Reads what a sweep of the account would do: which holds are overdue, which lots have expired,
 * and what is spendable once both are settled. Writes nothing, so a caller can still refuse.
 */
export async function planSweep(tx: SqlTx, accountId: string, now: number): Promise<SweepPlan> {
  // One read answers "does the account exist", "what can it spend" and "has it pending holds" (a
  // left join keeps the account's row when it has no lots).
  const rows = await tx.all<{ [K in keyof LotRow]: LotRow[K] | null } & { account_held: number }>(
    `select a.held as account_held, l.id, l.source, l.amount, l.remaining, l.priority, l.granted_at, l.expires_at,
       l.revoke_owed
     from accounts a left join lots l on l.account_id = a.id and l.remaining > 0
     where a.id = ?`,
    [accountId],
  )
  if (rows.length === 0) return { exists: false, overdue: [], dead: [], live: [], owed: new Map() }
  // Only an account with credits on hold can have holds past their TTL: most reads stop here.
  const overdue =
    rows[0]!.account_held > 0
      ? await tx.all<HoldRow>(
          "select * from holds where account_id = ? and status = 'pending' and expires_at <= ?",
          [accountId, now],
        )
      : []
  const lots = new Map(
    rows
      .filter((r): r is LotRow & { account_held: number } => r.id !== null)
      .map((r) => [r.id, toLotView(r)]),
  )
  const returns = overdue.flatMap((h) => holdAllocations(h))
  const missing = [...new Set(returns.map(([lotId]) => lotId).filter((id) => !lots.has(id)))]
  if (missing.length > 0) {
    // Lots an overdue hold emptied: not among those with credits left, but about to get some back.
    const placeholders = missing.map(() => '?').join(', ')
    for (const r of await tx.all<LotRow>(
      `select id, source, amount, remaining, priority, granted_at, expires_at, revoke_owed from lots where id in (${placeholders})`,
      missing,
    )) {
      lots.set(r.id, toLotView(r))
    }
  }
  const dead: LotAmounts = []
  for (const lot of lots.values()) {
    if (lot.remaining > 0 && !isLive(lot, now)) dead.push([lot.id, lot.remaining, lot.expiresAt])
  }
  const owed = new Map<string, number>()
  for (const lot of lots.values()) if (lot.revokeOwed) owed.set(lot.id, lot.revokeOwed)
  // What a revocation is owed leaves as it comes back (see `returnToLots`): it never becomes spendable.
  const owing = new Map(owed)
  for (const [lotId, amount] of returns) {
    const lot = lots.get(lotId)
    if (!lot) continue
    const due = Math.min(amount, owing.get(lotId) ?? 0)
    if (due > 0) owing.set(lotId, owing.get(lotId)! - due)
    lots.set(lotId, { ...lot, remaining: lot.remaining + amount - due })
  }
  const live = [...lots.values()].filter((l) => l.remaining > 0 && isLive(l, now))
  return { exists: true, overdue, dead, live, owed }
}

/** Writes a planned sweep: overdue holds released (status `expired`), expired credits recorded. */
export function applySweep(tx: SqlTx, accountId: string, plan: SweepPlan, now: number): SweepCounts {
  const counts: SweepCounts = { holdsReleased: 0, lotsExpired: 0, creditsExpired: 0 }
  // A copy: the plan stays as read, the copy follows what each overdue hold pays.
  const owed = new Map(plan.owed)
  for (const hold of plan.overdue) {
    const back = endHold(tx, hold, 'expired', now, owed)
    counts.holdsReleased++
    counts.creditsExpired += back.expired
  }
  if (plan.dead.length > 0) {
    const expired = expireCredits(tx, accountId, plan.dead, now)
    adjustAccount(tx, accountId, -expired, 0)
    counts.lotsExpired += plan.dead.length
    counts.creditsExpired += expired
  }
  return counts
}

export function sweepAccountOp(accountId: string): WriteOp<SweepCounts> {
  return {
    name: 'sweep',
    locks: { accounts: [accountId] },
    run: async (tx, now) => applySweep(tx, accountId, await planSweep(tx, accountId, now), now),
  }
}
