import type { Allocation } from './types.ts'

export type LotAmounts = Array<[lotId: string, amount: number, expiresAt: number | null]>

/**
 * Splits a hold's allocations into what a capture of `capture` credits consumes and what returns to
 * the lots. Captures consume in burn order, so the credits that return are the ones that would have
 * burned last (paid before free, when a job costs less than was held).
 *
 * @example splitCapture([['lot_a', 1, null], ['lot_b', 2, null]], 2)
 * // → { consumed: [['lot_a', 1, null], ['lot_b', 1, null]], returned: [['lot_b', 1, null]] }
 */
export function splitCapture(
  allocations: readonly Allocation[],
  capture: number,
): { consumed: LotAmounts; returned: LotAmounts } {
  const consumed: LotAmounts = []
  const returned: LotAmounts = []
  let left = capture
  for (const [lotId, amount, expiresAt] of allocations) {
    const take = Math.min(left, amount)
    if (take > 0) consumed.push([lotId, take, expiresAt])
    if (amount - take > 0) returned.push([lotId, amount - take, expiresAt])
    left -= take
  }
  return { consumed, returned }
}

/**
 * Which lots a refund of `refund` credits goes back to, given that `captured` credits were consumed
 * (in burn order, see {@link splitCapture}) and `alreadyRefunded` have gone back before. Refunds
 * undo consumption last-in first-out, so repeated partial refunds add up to one full refund.
 */
export function splitRefund(
  allocations: readonly Allocation[],
  captured: number,
  alreadyRefunded: number,
  refund: number,
): LotAmounts {
  const { consumed } = splitCapture(allocations, captured)
  // Walk the consumed credits from the last one back; skip those refunded before.
  let skip = alreadyRefunded
  let left = refund
  const out: LotAmounts = []
  for (let i = consumed.length - 1; i >= 0 && left > 0; i--) {
    const [lotId, amount, expiresAt] = consumed[i]!
    const skipped = Math.min(skip, amount)
    skip -= skipped
    const take = Math.min(left, amount - skipped)
    if (take > 0) out.push([lotId, take, expiresAt])
    left -= take
  }
  return out
}
