import { compareBurnOrder, isLive } from './burn-order.ts'
import type { Allocation, LotView } from './types.ts'

export interface PendingHoldView {
  id: string
  amount: number
  expiresAt: number
  reference: string | null
  allocations: readonly Allocation[]
}

export interface BalanceLot extends LotView {
  /** Credits of this lot reserved by pending holds. */
  held: number
}

export interface Balance {
  accountId: string
  /** The moment the balance describes. */
  at: number
  /** Credits that can be spent now. */
  available: number
  /** Credits reserved by pending holds. */
  held: number
  /** Lots that still hold credits, in burn order. */
  lots: BalanceLot[]
  /** Pending holds, soonest expiry first. */
  holds: Array<Omit<PendingHoldView, 'allocations'>>
}

/**
 * What an account holds at `at`, from its stored lots and pending holds: holds past their TTL count
 * as released, lots past their expiry count as gone, whether or not a sweep has recorded it yet.
 * Pure: the same rows and time always give the same balance.
 */
export function projectBalance(
  accountId: string,
  lots: readonly LotView[],
  pendingHolds: readonly PendingHoldView[],
  at: number,
): Balance {
  const byId = new Map(lots.map((l) => [l.id, { ...l, held: 0 }]))
  const holds: Balance['holds'] = []
  let held = 0
  for (const hold of pendingHolds) {
    const overdue = hold.expiresAt <= at
    for (const [lotId, amount] of hold.allocations) {
      const lot = byId.get(lotId)
      if (!lot) continue
      if (overdue) lot.remaining += amount
      else lot.held += amount
    }
    if (!overdue) {
      held += hold.amount
      holds.push({ id: hold.id, amount: hold.amount, expiresAt: hold.expiresAt, reference: hold.reference })
    }
  }
  let available = 0
  const shown: BalanceLot[] = []
  for (const lot of byId.values()) {
    const live = isLive(lot, at)
    if (live) available += lot.remaining
    if ((live && lot.remaining > 0) || lot.held > 0) shown.push(live ? lot : { ...lot, remaining: 0 })
  }
  shown.sort(compareBurnOrder)
  holds.sort((a, b) => a.expiresAt - b.expiresAt)
  return { accountId, at, available, held, lots: shown, holds }
}
