import { invariant } from './errors.ts'
import type { Allocation, LotView } from './types.ts'

/**
 * Orders lots the way credits burn: lowest priority number first, then soonest expiry (a lot that
 * never expires goes last), then oldest grant, then id so that the order is total.
 */
export function compareBurnOrder(a: LotView, b: LotView): number {
  if (a.priority !== b.priority) return a.priority - b.priority
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY
  if (ea !== eb) return ea < eb ? -1 : 1
  if (a.grantedAt !== b.grantedAt) return a.grantedAt - b.grantedAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Whether a lot's credits can be spent at `now`: expired credit never is, swept or not. */
export function isLive(lot: Pick<LotView, 'expiresAt'>, now: number): boolean {
  return lot.expiresAt === null || lot.expiresAt > now
}

/**
 * Takes `amount` credits from `lots` in burn order, skipping expired lots.
 *
 * @example
 * allocateByBurnOrder([{ id: 'lot_paid', priority: 50, remaining: 100, … },
 *                      { id: 'lot_free', priority: 10, remaining: 1, … }], 2, now)
 * // → { ok: true, allocations: [['lot_free', 1, …], ['lot_paid', 1, …]] }
 * @returns the allocations, or how much was available when that is less than `amount`.
 * @throws LedgerInvariantError on a malformed amount or lot (a bug in the caller).
 */
export function allocateByBurnOrder(
  lots: readonly LotView[],
  amount: number,
  now: number,
): { ok: true; allocations: Allocation[] } | { ok: false; available: number } {
  invariant(Number.isSafeInteger(amount) && amount >= 0, `allocating ${amount} credits`)
  for (const lot of lots) {
    invariant(
      Number.isSafeInteger(lot.remaining) && lot.remaining >= 0,
      `lot ${lot.id} has ${lot.remaining} credits remaining`,
    )
  }
  const live = lots.filter((l) => l.remaining > 0 && isLive(l, now)).sort(compareBurnOrder)
  const liveTotal = live.reduce((sum, l) => sum + l.remaining, 0)
  if (amount > liveTotal) return { ok: false, available: liveTotal }
  const allocations: Allocation[] = []
  let left = amount
  for (const lot of live) {
    if (left === 0) break
    const take = Math.min(left, lot.remaining)
    allocations.push([lot.id, take, lot.expiresAt])
    left -= take
  }
  checkAllocations(allocations, live, amount)
  return { ok: true, allocations }
}

/** The postcondition of an allocation: from distinct live lots, each within what it holds, summing to `amount`. */
function checkAllocations(
  allocations: readonly Allocation[],
  live: readonly LotView[],
  amount: number,
): void {
  const remaining = new Map(live.map((l) => [l.id, l.remaining]))
  let sum = 0
  for (const [lotId, take] of allocations) {
    const has = remaining.get(lotId)
    invariant(has !== undefined, `allocated from ${lotId}, which is not a live lot or is allocated twice`)
    invariant(take > 0 && take <= has, `allocated ${take} of the ${has} credits of ${lotId}`)
    remaining.delete(lotId)
    sum += take
  }
  invariant(sum === amount, `allocations sum to ${sum}, not ${amount}`)
}

/** The sum of the live credits in `lots` at `now`. */
export function spendable(lots: readonly LotView[], now: number): number {
  let sum = 0
  for (const l of lots) if (isLive(l, now)) sum += l.remaining
  return sum
}
