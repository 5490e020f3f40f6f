import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { type CreditError, fail, invariant, ok, type Result, validation } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import {
  adjustAccount,
  movePostings,
  postTransaction,
  readRevocations,
  reduceOwed,
  returnToLots,
} from '../journal.ts'
import { splitCapture, splitRefund } from '../settlement.ts'
import type { Allocation } from '../types.ts'
import { endHold, type HoldRow, holdAllocations, parseAllocations } from './sweep.ts'

export interface CaptureInput {
  holdId: string
  /** Credits to charge; the whole hold when absent. The rest goes back to its lots. */
  amount?: number
  idempotencyKey?: string
}

export interface CaptureReceipt {
  holdId: string
  accountId: string
  captured: number
  /** Credits of the hold that went back to their lots. */
  returned: number
  transactionId: string
}

export interface ReleaseInput {
  holdId: string
  idempotencyKey?: string
}

export interface ReleaseReceipt {
  holdId: string
  accountId: string
  released: number
}

export interface RefundInput {
  holdId: string
  /** Credits to give back; all that is still refundable when absent. */
  amount?: number
  reason?: string | null
  idempotencyKey?: string
}

export interface RefundReceipt {
  holdId: string
  accountId: string
  refunded: number
  /** Of those, credits whose lot had expired meanwhile and so expired at once. */
  expired: number
  /** Credits of this capture still refundable afterwards. */
  refundable: number
}

async function loadHold(tx: SqlTx, holdId: string): Promise<HoldRow | undefined> {
  const [hold] = await tx.all<HoldRow>('select * from holds where id = ?', [holdId])
  return hold
}

const holdNotFound = (holdId: string) =>
  fail({ code: 'HOLD_NOT_FOUND' as const, holdId, message: `no hold ${holdId}` })

/** Why a pending-only operation cannot settle this hold now, if it cannot. */
function unsettleable(hold: HoldRow, now: number): { ok: false; error: CreditError } | null {
  // An expired hold answers the same whether or not a sweep has recorded its expiry yet.
  if (hold.status === 'expired' || (hold.status === 'pending' && hold.expires_at <= now)) {
    return fail({
      code: 'HOLD_EXPIRED',
      holdId: hold.id,
      expiredAt: hold.expires_at,
      message: `hold ${hold.id} expired at ${new Date(hold.expires_at).toISOString()} and is released`,
    })
  }
  if (hold.status !== 'pending') {
    return fail({
      code: 'HOLD_ALREADY_SETTLED',
      holdId: hold.id,
      status: hold.status,
      message: `hold ${hold.id} is already settled (${hold.status})`,
    })
  }
  return null
}

export function captureOp(input: CaptureInput): WriteOp<Result<CaptureReceipt>> {
  // Parsed at the ledger's door (`parseCapture`): here only asserted.
  invariant(
    input.amount === undefined || (Number.isSafeInteger(input.amount) && input.amount > 0),
    `capture of ${input.amount} credits`,
  )
  const { idempotencyKey, ...request } = input
  return {
    name: 'capture',
    locks: { holds: [input.holdId] },
    run: (tx, now) =>
      withIdempotency(tx, idempotencyKey, 'capture', request, now, async () => {
        const hold = await loadHold(tx, input.holdId)
        if (!hold) return holdNotFound(input.holdId)
        const refused = unsettleable(hold, now)
        if (refused) return refused
        const amount = input.amount ?? hold.amount
        if (amount > hold.amount) {
          return validation('amount', `cannot capture ${amount} credits of a hold of ${hold.amount}`)
        }
        tx.write(
          "update holds set status = 'captured', captured = ?, settled_at = ? where id = ? and status = 'pending'",
          [amount, now, hold.id],
          1,
        )
        const allocations = holdAllocations(hold)
        const { owed } = await readRevocations(
          tx,
          allocations.map(([lotId]) => lotId),
        )
        const { consumed, returned } = splitCapture(allocations, amount)
        const transactionId = postTransaction(tx, {
          kind: 'capture',
          accountId: hold.account_id,
          now,
          amount,
          holdId: hold.id,
          memo: hold.reference,
          postings: movePostings(consumed, 'held', 'consumed'),
        })
        const back = returnToLots(tx, {
          accountId: hold.account_id,
          entries: returned,
          from: 'held',
          kind: 'release',
          holdId: hold.id,
          now,
          owed,
        })
        if (owed.size > 0) await forgiveSpentOwed(tx, hold, allocations, owed)
        invariant(
          amount + back.live + back.expired + back.revoked === hold.amount,
          `capture of ${hold.id}: consumed ${amount} + returned ${back.live + back.expired + back.revoked} ≠ held ${hold.amount}`,
        )
        adjustAccount(tx, hold.account_id, back.live, -hold.amount)
        return ok({
          holdId: hold.id,
          accountId: hold.account_id,
          captured: amount,
          returned: hold.amount - amount,
          transactionId,
        })
      }),
  }
}

export function releaseOp(input: ReleaseInput): WriteOp<Result<ReleaseReceipt>> {
  const { idempotencyKey, ...request } = input
  return {
    name: 'release',
    locks: { holds: [input.holdId] },
    run: (tx, now) =>
      withIdempotency(tx, idempotencyKey, 'release', request, now, async () => {
        const hold = await loadHold(tx, input.holdId)
        if (!hold) return holdNotFound(input.holdId)
        const refused = unsettleable(hold, now)
        if (refused) return refused
        const { owed } = await readRevocations(
          tx,
          holdAllocations(hold).map(([lotId]) => lotId),
        )
        endHold(tx, hold, 'released', now, owed)
        return ok({ holdId: hold.id, accountId: hold.account_id, released: hold.amount })
      }),
  }
}

export function refundOp(input: RefundInput): WriteOp<Result<RefundReceipt>> {
  // Parsed at the ledger's door (`parseRefund`): here only asserted.
  invariant(
    input.amount === undefined || (Number.isSafeInteger(input.amount) && input.amount > 0),
    `refund of ${input.amount} credits`,
  )
  const { idempotencyKey, ...request } = input
  return {
    name: 'refund',
    locks: { holds: [input.holdId] },
    run: (tx, now) =>
      withIdempotency(tx, idempotencyKey, 'refund', request, now, async () => {
        const hold = await loadHold(tx, input.holdId)
        if (!hold) return holdNotFound(input.holdId)
        if (hold.status !== 'captured') {
          // A pending hold past its TTL is expired whether or not a sweep has recorded it yet.
          const status = hold.status === 'pending' && hold.expires_at <= now ? 'expired' : hold.status
          return fail({
            code: 'HOLD_NOT_CAPTURED',
            holdId: hold.id,
            status,
            message: `hold ${hold.id} was not captured (${status}): there is nothing to refund`,
          })
        }
        const refundable = hold.captured - hold.refunded
        const amount = input.amount ?? refundable
        if (refundable === 0 || amount > refundable) {
          return fail({
            code: 'REFUND_EXCEEDS_CAPTURE',
            holdId: hold.id,
            refundable,
            message: `cannot refund ${amount} credits: ${refundable} of hold ${hold.id} are refundable`,
          })
        }
        tx.write(
          'update holds set refunded = refunded + ? where id = ? and refunded + ? <= captured',
          [amount, hold.id, amount],
          1,
        )
        const entries = splitRefund(holdAllocations(hold), hold.captured, hold.refunded, amount)
        // A job refunded after its credits' purchase was refunded (or partly revoked while they were
        // on hold) must not bring those credits back.
        const { revokedLots, owed } = await readRevocations(
          tx,
          entries.map(([lotId]) => lotId),
        )
        const back = returnToLots(tx, {
          accountId: hold.account_id,
          entries,
          from: 'consumed',
          kind: 'refund',
          revokedLots,
          owed,
          holdId: hold.id,
          now,
          memo: input.reason ?? null,
        })
        adjustAccount(tx, hold.account_id, back.live, 0)
        return ok({
          holdId: hold.id,
          accountId: hold.account_id,
          refunded: amount,
          expired: back.expired,
          refundable: refundable - amount,
        })
      }),
  }
}

/**
 * After a capture: credits a revocation was owed that the capture spent can no longer be taken.
 * What a lot still owes (after the credits that came back paid what they could, `owed`) is capped
 * at its credits left on the account's other pending holds, so that `revoke_owed` never exceeds
 * the lot's held credits (`ledger verify` checks it). Runs only when some lot of the hold owes.
 */
async function forgiveSpentOwed(
  tx: SqlTx,
  hold: HoldRow,
  allocations: readonly Allocation[],
  owed: ReadonlyMap<string, number>,
): Promise<void> {
  const others = await tx.all<{ id: string; allocations: string }>(
    "select id, allocations from holds where account_id = ? and status = 'pending' and id <> ?",
    [hold.account_id, hold.id],
  )
  const stillHeld = new Map<string, number>()
  for (const [lotId, amount] of others.flatMap((h) => parseAllocations(h.allocations, h.id))) {
    stillHeld.set(lotId, (stillHeld.get(lotId) ?? 0) + amount)
  }
  for (const lotId of new Set(allocations.map(([id]) => id))) {
    const left = owed.get(lotId) ?? 0
    const spent = left - (stillHeld.get(lotId) ?? 0)
    if (spent > 0) reduceOwed(tx, lotId, spent)
  }
}
