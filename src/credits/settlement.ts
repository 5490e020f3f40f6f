import { invariant } from './errors.ts'
import type { Allocation } from './types.ts'

export type LotAmounts = Array<[lotId: string, amount: number, expiresAt: number | null]>

const sumOf = (entries: ReadonlyArray<readonly [string, number, ...unknown[]]>) =>
  entries.reduce((sum, [, amount]) => sum + amount, 0)

/** What settlement takes from a hold: positive whole credits per lot. */
function checkHeld(allocations: readonly Allocation[]): number {
  for (const [lotId, amount] of allocations) {
    invariant(Number.isSafeInteger(amount) && amount > 0, `hold allocation of ${amount} credits of ${lotId}`)
  }
  return sumOf(allocations)
}

/**
 * Splits a hold's allocations into what a capture of `capture` credits consumes and what returns to
 * the lots. Captures consume in burn order, so the credits that return are the ones that would have
 * burned last (paid before free, when a job costs less than was held).
 *
 * @example splitCapture([['lot_a', 1, null], ['lot_b', 2, null]], 2)
 * // → { consumed: [['lot_a', 1, null], ['lot_b', 1, null]], returned: [['lot_b', 1, null]] }
 * @throws LedgerInvariantError when `capture` is not a whole number from 0 to what is held.
 */
export function splitCapture(
  allocations: readonly Allocation[],
  capture: number,
): { consumed: LotAmounts; returned: LotAmounts } {
  const held = checkHeld(allocations)
  invariant(
    Number.isSafeInteger(capture) && capture >= 0 && capture <= held,
    `capturing ${capture} of ${held} credits held`,
  )
  const consumed: LotAmounts = []
  const returned: LotAmounts = []
  let left = capture
  for (const [lotId, amount, expiresAt] of allocations) {
    const take = Math.min(left, amount)
    if (take > 0) consumed.push([lotId, take, expiresAt])
    if (amount - take > 0) returned.push([lotId, amount - take, expiresAt])
    left -= take
  }
  invariant(left === 0, `${left} credits of the capture found no allocation`)
  invariant(sumOf(consumed) === capture, `consumed ${sumOf(consumed)} of a capture of ${capture}`)
  invariant(
    sumOf(consumed) + sumOf(returned) === held,
    `consumed ${sumOf(consumed)} + returned ${sumOf(returned)} ≠ ${held} held`,
  )
  return { consumed, returned }
}

/**
 * Which lots a refund of `refund` credits goes back to, given that `captured` credits were consumed
 * (in burn order, see {@link splitCapture}) and `alreadyRefunded` have gone back before. Refunds
 * undo consumption last-in first-out, so repeated partial refunds add up to one full refund.
 *
 * @throws LedgerInvariantError when the refunds would exceed what was captured.
 */
export function splitRefund(
  allocations: readonly Allocation[],
  captured: number,
  alreadyRefunded: number,
  refund: number,
): LotAmounts {
  invariant(
    Number.isSafeInteger(alreadyRefunded) &&
      Number.isSafeInteger(refund) &&
      alreadyRefunded >= 0 &&
      refund >= 0 &&
      alreadyRefunded + refund <= captured,
    `refunding ${refund} after ${alreadyRefunded} of ${captured} captured`,
  )
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
  invariant(left === 0 && sumOf(out) === refund, `refund of ${refund} placed ${sumOf(out)} credits`)
  return out
}
