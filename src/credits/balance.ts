import { type AllowanceAccount, allowanceGrants } from './allowances.ts'
import { compareBurnOrder, isLive } from './burn-order.ts'
import { periodAt } from './periods.ts'
import type { PriceBook } from './pricing/book.ts'
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
 * A grant the price book owes an account by a moment and has not made yet (this or a later period's
 * monthly allowance, a cohort's bonus): part of a balance, never written by reading it. The
 * account's next spend (a hold) or `ensureAllowances` writes it.
 */
export interface OwedLot {
  source: 'monthly' | 'bonus'
  amount: number
  priority: number
  /** When it falls due: the start of its period (it is granted by the account's first spend). */
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
   * What the book owes by `at` and has not granted yet (this period's allowance before the
   * account's first spend of it, or a later period's on a look ahead), in burn order; absent when
   * nothing is owed. Counted in `available`: a hold can spend it, and is what grants it.
   */
  owed?: OwedLot[]
}

/**
 * What an account holds at `at`, from its stored lots and pending holds: holds past their TTL count
 * as released (less what a revocation is owed, which leaves), lots past their expiry count as gone,
 * whether or not a sweep has recorded it yet.
 * Pure: the same rows and time always give the same balance.
 */
export function projectBalance(
  accountId: string,
  lots: readonly LotView[],
  pendingHolds: readonly PendingHoldView[],
  at: number,
): Balance {
  const byId = new Map(lots.map((l) => [l.id, { ...l, held: 0 }]))
  // What a revocation is owed leaves as it comes back: it never returns to `remaining`.
  const owing = new Map(lots.map((l) => [l.id, l.revokeOwed ?? 0]))
  const holds: Balance['holds'] = []
  let held = 0
  for (const hold of pendingHolds) {
    const overdue = hold.expiresAt <= at
    for (const [lotId, amount] of hold.allocations) {
      const lot = byId.get(lotId)
      if (!lot) continue
      if (overdue) {
        const due = Math.min(amount, owing.get(lotId) ?? 0)
        owing.set(lotId, (owing.get(lotId) ?? 0) - due)
        lot.remaining += amount - due
      } else lot.held += amount
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
 * A balance with what is owed by its `at` added: the owed lots live at `at` count in `available`
 * and are listed under `owed`, in burn order. Pure; changes nothing stored.
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

/** An account as what it is owed depends on it: its allowance inputs, and from when it is owed them. */
export interface OwingAccount extends AllowanceAccount {
  /**
   * From when the book's free grants are owed (its creation, for most accounts; the moment they
   * were released, for one created holding them); null while they are held.
   */
  freeGrantsFrom: number | null
}

/**
 * Whether the account is owed the book's free grants at `at`: not before it exists, not while they
 * are held, not before they were released. Pure.
 *
 * @example
 * freeGrantsOwed({ createdAt: T0, freeGrantsFrom: null }, T0 + DAY)      // → false (held)
 * freeGrantsOwed({ createdAt: T0, freeGrantsFrom: T0 + HOUR }, T0 + DAY) // → true
 */
export function freeGrantsOwed(
  account: Pick<OwingAccount, 'createdAt' | 'freeGrantsFrom'>,
  at: number,
): boolean {
  return at >= account.createdAt && account.freeGrantsFrom !== null && at >= account.freeGrantsFrom
}

/**
 * What `book` owes the account by `at` and has not been granted: the grants of
 * {@link allowanceGrants} whose keys are not among `granted` (the keys already taken); nothing
 * while its free grants are held (see {@link freeGrantsOwed}). Pure.
 *
 * @example
 * owedLots({ id: 'acct_1', createdAt: T0, plan: 'free', cohorts: [], freeGrantsFrom: T0 }, LABS_2022, T0 + DAY, new Set())
 * // → [{ source: 'monthly', amount: 15, priority: 10, dueAt: T0, expiresAt: <period end>, reference: 'period:…' }]
 * owedLots({ …, freeGrantsFrom: null }, LABS_2022, T0 + DAY, new Set()) // → [] (held)
 */
export function owedLots(
  account: OwingAccount,
  book: PriceBook,
  at: number,
  granted: ReadonlySet<string>,
): OwedLot[] {
  // Nothing is owed before the account exists (a balance may be asked of any moment), nor while
  // its free grants are held.
  if (!freeGrantsOwed(account, at)) return []
  // Released in the middle of a period: this period's allowance falls due then, not at its start.
  const periodStart = Math.max(periodAt(account.createdAt, at).start, account.freeGrantsFrom ?? 0)
  return allowanceGrants(account, book, at)
    .filter((g) => !granted.has(g.key))
    .map((g) => ({
      source: g.source,
      amount: g.amount,
      priority: g.priority,
      // A bonus is granted by the next spend; as a projection, that is `at` at the latest.
      dueAt: g.source === 'monthly' ? periodStart : at,
      expiresAt: g.expiresAt,
      reference: g.reference,
    }))
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
