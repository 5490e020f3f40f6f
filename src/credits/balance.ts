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

/**
 * A grant the price book will owe an account by a future moment and has not made yet (its next
 * period's monthly allowance): part of a projected balance, never written by reading it.
 */
export interface OwedLot {
  source: 'monthly' | 'bonus'
  amount: number
  priority: number
  /** When it falls due: the start of its period (it is granted on the account's first activity). */
  dueAt: number
  expiresAt: number | null
  /** What the grant will record: `period:2026-12-25`, `cohort:beta`. */
  reference: string
}

export interface Balance {
  accountId: string
  /** The moment the balance describes. */
  at: number
  /** Credits that can be spent at `at`, including any `owed`. */
  available: number
  /** Credits reserved by pending holds. */
  held: number
  /** Lots that still hold credits, in burn order. */
  lots: BalanceLot[]
  /** Pending holds, soonest expiry first. */
  holds: Array<Omit<PendingHoldView, 'allocations'>>
  /**
   * Only on a balance ahead of now: what the book will owe by `at` and has not granted (a
   * projection, marked as such), in burn order. Counted in `available`.
   */
  owed?: OwedLot[]
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

/**
 * A balance at a future `at` with what will be owed by then added: the owed lots still live at `at`
 * count in `available` and are listed under `owed`, in burn order. Pure; changes nothing stored.
 *
 * @example
 * // An account of the free plan read a month ahead: its next period's 15 credits are owed.
 * withOwed(projectBalance(id, lots, [], nextMonth), [{ source: 'monthly', amount: 15, … }])
 * // → { available: <lots> + 15, owed: [{ source: 'monthly', amount: 15, … }], … }
 */
export function withOwed(balance: Balance, owed: readonly OwedLot[]): Balance {
  const live = owed
    .filter((o) => o.amount > 0 && o.dueAt <= balance.at && isLive(o, balance.at))
    .sort((a, b) => compareBurnOrder(asLot(a), asLot(b)))
  if (live.length === 0) return balance
  const added = live.reduce((sum, o) => sum + o.amount, 0)
  return { ...balance, available: balance.available + added, owed: live }
}

/** An owed grant as the burn order sees a lot. */
function asLot(o: OwedLot): LotView {
  return {
    id: o.reference,
    source: o.source,
    amount: o.amount,
    remaining: o.amount,
    priority: o.priority,
    grantedAt: o.dueAt,
    expiresAt: o.expiresAt,
  }
}
