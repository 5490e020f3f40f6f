import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { isLive } from '../burn-order.ts'
import { fail, invariant, ok, type Result } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import {
  adjustAccount,
  adjustLots,
  movePostings,
  postTransaction,
  recordExpiry,
  recordRevocation,
  reduceOwed,
} from '../journal.ts'
import { toSafeInteger } from '../safe-integer.ts'
import { purchaseNotFound, purchaseReference } from './purchase.ts'
import { applySweep, parseAllocations, planSweep } from './sweep.ts'

// Partial refunds and disputes take back part of a purchase's credits, and a won dispute gives
// them back. Credits of the lot on hold for running jobs cannot leave yet: they are owed
// (`lots.revoke_owed`) and leave when they come back to the lot (see `returnToLots`); a capture
// spends them, and what it spent is forgiven (see `forgiveSpentOwed`).

export interface PurchaseRevocationInput {
  providerReference: string
  /** The purchase's revoked credits in total that this call brings it up to (never down). */
  upTo: number
  key: string
  reason: string | null
}

export interface PurchaseRevocation {
  providerReference: string
  accountId: string
  lotId: string
  /** The lot's size. */
  credits: number
  /** Taken by this call: from what is available now, plus newly owed. */
  revokedNow: number
  /** Of all revoked, credits on hold for running jobs: they leave when they come back to the lot. */
  owed: number
  /** The purchase's revoked credits in total after this call (owed included). */
  revokedTotal: number
  /** `max(0, upTo − revokedTotal)`: already spent or expired, taken from nowhere else. */
  unrecovered: number
}

export interface PurchaseReinstatementInput {
  providerReference: string
  /** Credits to give back (a won dispute: what the dispute took); at most what is revoked. */
  credits: number
  key: string
  reason: string | null
}

export interface PurchaseReinstatement {
  providerReference: string
  accountId: string
  lotId: string
  /** `min(credits, revokedTotal)`: owed credits cancelled first, then revoked ones made available. */
  reinstated: number
  /** Of those, credits whose lot was past its expiry: they expired at once, on the record. */
  expired: number
  /** The purchase's revoked credits in total after this call. */
  revokedTotal: number
}

/**
 * Once per `key`, in a key space of their own (so that no other operation's key can collide) that
 * both operations share (so that one key can never mean a revocation and a reinstatement). A
 * conflict names the caller's key, as it was given.
 */
async function oncePerKey<T>(
  tx: SqlTx,
  key: string,
  operation: string,
  request: unknown,
  now: number,
  work: () => Promise<Result<T>>,
): Promise<Result<T>> {
  const result = await withIdempotency(tx, `purchase-revocation:${key}`, operation, request, now, work)
  if (!result.ok && result.error.code === 'IDEMPOTENCY_CONFLICT') {
    return fail({ ...result.error, key, message: `key "${key}" was already used for a different request` })
  }
  return result
}

interface RevocableLot {
  id: string
  accountId: string
  amount: number
  remaining: number
  expiresAt: number | null
  /** Credits on hold for running jobs (pending holds within their TTL). */
  held: number
  /** `lots.revoke_owed`. */
  owed: number
  /** Net credits of the lot in the journal's `revoked` bucket (reinstatements subtract). */
  revokedInJournal: number
}

/**
 * The purchase lot of `providerReference` as revocation sees it, after a sweep of its account
 * (holds past their TTL give their credits back, paying what they owe; expired lots expire), so
 * that what is counted as unspent is unspent now. Undefined for an unknown reference.
 */
async function sweptPurchaseLot(
  tx: SqlTx,
  providerReference: string,
  now: number,
): Promise<RevocableLot | undefined> {
  const reference = purchaseReference(providerReference)
  const find = () =>
    tx.all<{ id: string; account_id: string; amount: number; expires_at: number | null }>(
      "select id, account_id, amount, expires_at from lots where source = 'purchase' and reference = ?",
      [reference],
    )
  const [found] = await find()
  if (!found) return undefined
  applySweep(tx, found.account_id, await planSweep(tx, found.account_id, now), now)
  const [lot] = await tx.all<{ remaining: unknown; revoke_owed: unknown; revoked: unknown }>(
    `select l.remaining, l.revoke_owed,
       (select sum(p.amount) from journal_transactions t
        join journal_postings p on p.transaction_id = t.id
        where t.account_id = l.account_id and t.kind in ('revoke', 'reinstate')
          and p.lot_id = l.id and p.bucket = 'revoked') as revoked
     from lots l where l.id = ?`,
    [found.id],
  )
  invariant(lot, `lot ${found.id} vanished during its revocation`)
  const pending = await tx.all<{ id: string; allocations: string }>(
    "select id, allocations from holds where account_id = ? and status = 'pending' and expires_at > ?",
    [found.account_id, now],
  )
  const held = pending
    .flatMap((h) => parseAllocations(h.allocations, h.id))
    .reduce((sum, [lotId, amount]) => (lotId === found.id ? sum + amount : sum), 0)
  const out: RevocableLot = {
    id: found.id,
    accountId: found.account_id,
    amount: toSafeInteger(found.amount, `the amount of ${found.id}`),
    remaining: toSafeInteger(lot.remaining, `the remaining credits of ${found.id}`),
    expiresAt: found.expires_at,
    held,
    owed: toSafeInteger(lot.revoke_owed, `the revoke_owed of ${found.id}`),
    revokedInJournal: toSafeInteger(lot.revoked ?? 0, `the revoked credits of ${found.id}`),
  }
  invariant(out.revokedInJournal >= 0, `lot ${out.id} has ${out.revokedInJournal} revoked credits`)
  invariant(out.owed >= 0 && out.owed <= out.held, `lot ${out.id} owes ${out.owed} with ${out.held} held`)
  return out
}

/**
 * What a revocation up to `upTo` takes: from the lot's available credits first, then from its
 * credits on hold (owed). Pure. A lot past its expiry has nothing left to take (what it has on
 * hold comes back expired, or is spent).
 *
 * @example
 * planRevocation({ remaining: 10, held: 20, owed: 0, revokedInJournal: 0, expiresAt: null }, 25, now)
 * // → { fromAvailable: 10, newlyOwed: 15, revokedSoFar: 0 }
 */
export function planRevocation(
  lot: Pick<RevocableLot, 'remaining' | 'held' | 'owed' | 'revokedInJournal' | 'expiresAt'>,
  upTo: number,
  now: number,
): { fromAvailable: number; newlyOwed: number; revokedSoFar: number } {
  const revokedSoFar = lot.revokedInJournal + lot.owed
  // Owed credits are on hold but already counted as revoked: only the rest of the held can be taken.
  const unspent = isLive(lot, now) ? lot.remaining + lot.held - lot.owed : 0
  const take = Math.max(0, Math.min(upTo, revokedSoFar + unspent) - revokedSoFar)
  const fromAvailable = Math.min(take, lot.remaining)
  const newlyOwed = take - fromAvailable
  invariant(newlyOwed <= lot.held - lot.owed, `owing ${newlyOwed} more of ${lot.held - lot.owed} held`)
  return { fromAvailable, newlyOwed, revokedSoFar }
}

/**
 * Brings a purchase's revoked credits up to `upTo` in total (a partial refund's share of the
 * credits, or all of them for a dispute), never beyond what is unspent: what is available leaves
 * now, what is on hold is owed. A repeat (or a second call with the same target under another key)
 * takes nothing more. Once per key; the account is the caller's lock.
 */
export function revokePurchaseOp(
  input: PurchaseRevocationInput,
  accountId: string,
): WriteOp<Result<PurchaseRevocation>> {
  invariant(Number.isSafeInteger(input.upTo) && input.upTo >= 0, `revoking up to ${input.upTo} credits`)
  const { key, ...request } = input
  return {
    name: 'revokePurchase',
    locks: { accounts: [accountId] },
    run: (tx, now) =>
      oncePerKey(tx, key, 'revokePurchase', request, now, async () => {
        const lot = await sweptPurchaseLot(tx, input.providerReference, now)
        if (!lot) return purchaseNotFound(input.providerReference)
        invariant(lot.accountId === accountId, `lot ${lot.id} is not of the locked account ${accountId}`)
        const { fromAvailable, newlyOwed, revokedSoFar } = planRevocation(lot, input.upTo, now)
        const revokedNow = fromAvailable + newlyOwed
        const revokedTotal = revokedSoFar + revokedNow
        invariant(revokedTotal <= lot.amount, `${revokedTotal} of ${lot.amount} credits of ${lot.id} revoked`)
        if (fromAvailable > 0) {
          recordRevocation(tx, accountId, [[lot.id, fromAvailable, lot.expiresAt]], now, null, input.reason)
          adjustLots(tx, [[lot.id, -fromAvailable]])
          adjustAccount(tx, accountId, -fromAvailable, 0)
        }
        if (newlyOwed > 0) {
          tx.write('update lots set revoke_owed = revoke_owed + ? where id = ?', [newlyOwed, lot.id], 1)
        }
        return ok({
          providerReference: input.providerReference,
          accountId,
          lotId: lot.id,
          credits: lot.amount,
          revokedNow,
          owed: lot.owed + newlyOwed,
          revokedTotal,
          unrecovered: Math.max(0, input.upTo - revokedTotal),
        })
      }),
  }
}

/**
 * Gives back up to `credits` of what revocations took from a purchase (a won dispute): owed credits
 * are cancelled first (they stay on their hold), then revoked ones return to the same lot, with its
 * expiry, in a `reinstate` transaction. Past the lot's expiry they expire at once, on the record.
 * A lot refunded in full (`revoked_at`) stays so for credits that come back later. Once per key.
 */
export function reinstatePurchaseOp(
  input: PurchaseReinstatementInput,
  accountId: string,
): WriteOp<Result<PurchaseReinstatement>> {
  invariant(Number.isSafeInteger(input.credits) && input.credits >= 0, `reinstating ${input.credits} credits`)
  const { key, ...request } = input
  return {
    name: 'reinstatePurchase',
    locks: { accounts: [accountId] },
    run: (tx, now) =>
      oncePerKey(tx, key, 'reinstatePurchase', request, now, async () => {
        const lot = await sweptPurchaseLot(tx, input.providerReference, now)
        if (!lot) return purchaseNotFound(input.providerReference)
        invariant(lot.accountId === accountId, `lot ${lot.id} is not of the locked account ${accountId}`)
        const revokedSoFar = lot.revokedInJournal + lot.owed
        const reinstated = Math.min(input.credits, revokedSoFar)
        const cancelled = Math.min(reinstated, lot.owed)
        const back = reinstated - cancelled
        invariant(back <= lot.revokedInJournal, `reinstating ${back} of ${lot.revokedInJournal} revoked`)
        if (cancelled > 0) reduceOwed(tx, lot.id, cancelled)
        let expired = 0
        if (back > 0) {
          const entries: Array<[string, number, number | null]> = [[lot.id, back, lot.expiresAt]]
          postTransaction(tx, {
            kind: 'reinstate',
            accountId,
            now,
            amount: back,
            lotId: lot.id,
            memo: input.reason,
            postings: movePostings(entries, 'revoked', 'available'),
          })
          if (isLive(lot, now)) {
            adjustLots(tx, [[lot.id, back]])
            adjustAccount(tx, accountId, back, 0)
          } else {
            expired = recordExpiry(tx, accountId, entries, now, null)
          }
        }
        return ok({
          providerReference: input.providerReference,
          accountId,
          lotId: lot.id,
          reinstated,
          expired,
          revokedTotal: revokedSoFar - reinstated,
        })
      }),
  }
}
