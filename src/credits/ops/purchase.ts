import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { addDuration } from '../allowances.ts'
import { fail, ok, type Result, validation } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import { adjustAccount, adjustLots, recordRevocation } from '../journal.ts'
import type { PriceBook } from '../pricing/book.ts'
import { packPrice } from '../pricing/quote.ts'
import { accountNotFound } from './account.ts'
import { writeGrant } from './grant.ts'
import { applySweep, parseAllocations, planSweep } from './sweep.ts'

export interface PurchaseInput {
  accountId: string
  packId: string
  quantity: number
  /** What the payment provider collected, in minor units of `currency`: the lot's cost basis. */
  amountPaidMinor: number
  currency: string
  /** The provider's id for the payment: the purchase is granted once per reference. */
  providerReference: string
  /**
   * When the buyer was quoted the price (a hosted checkout's start): the pack's credits and terms
   * are those of the book in force then, so a book activated while the buyer was paying does not
   * change what they bought. Default: now.
   */
  pricedAt?: number
}

export interface PurchaseReceipt {
  providerReference: string
  accountId: string
  lotId: string
  packId: string
  quantity: number
  credits: number
  amountPaidMinor: number
  currency: string
  /** What the book lists for this pack and quantity (volume tiers applied). */
  listPriceMinor: number
  expiresAt: number | null
  bookVersion: string
}

export interface PurchaseRefundReceipt {
  providerReference: string
  accountId: string
  lotId: string
  /** Credits of the lot still unspent, now taken back. */
  revoked: number
  /** Credits of the lot already used (spent, or expired) before the refund. */
  alreadyUsed: number
}

/** The lot reference of a purchase: how a refund finds it. */
export const purchaseReference = (providerReference: string) => `purchase:${providerReference}`

export const purchaseNotFound = (providerReference: string) =>
  fail({
    code: 'PURCHASE_NOT_FOUND' as const,
    providerReference,
    message: `no purchase with provider reference ${providerReference}`,
  })

/**
 * Grants a bought pack: a purchase lot whose cost basis is what was paid, expiring as the book says
 * (12 months in labs-2022), burning after the free sources. Exactly once per provider reference,
 * whatever the concurrency: the reference is the idempotency key, stored with the grant.
 */
export function completePurchaseOp(input: PurchaseInput, book: PriceBook): WriteOp<Result<PurchaseReceipt>> {
  const { providerReference, ...request } = input
  return {
    name: 'completePurchase',
    locks: { accounts: [input.accountId] },
    run: (tx, now) =>
      withIdempotency(
        tx,
        purchaseReference(providerReference),
        'completePurchase',
        request,
        now,
        async () => {
          const [account] = await tx.all<{ id: string }>('select id from accounts where id = ?', [
            input.accountId,
          ])
          if (!account) return accountNotFound(input.accountId)
          const price = packPrice(book, input.packId, input.quantity)
          if (!price.ok) return price
          if (input.currency !== book.currency) {
            return validation('currency', `must be ${book.currency}, the price book's currency`)
          }
          const expiresAt = book.expiry.purchase === null ? null : addDuration(now, book.expiry.purchase)
          const grant = writeGrant(
            tx,
            {
              accountId: input.accountId,
              amount: price.value.credits,
              source: 'purchase',
              priority: book.priorities.purchase,
              expiresAt,
              costBasis: { amountMinor: input.amountPaidMinor, currency: input.currency },
              reference: purchaseReference(providerReference),
            },
            now,
          )
          return ok({
            providerReference,
            accountId: input.accountId,
            lotId: grant.lotId,
            packId: input.packId,
            quantity: input.quantity,
            credits: price.value.credits,
            amountPaidMinor: input.amountPaidMinor,
            currency: input.currency,
            listPriceMinor: price.value.totalMinor,
            expiresAt,
            bookVersion: book.version,
          })
        },
      ),
  }
}

interface PurchaseLotRow {
  id: string
  account_id: string
  amount: number
  remaining: number
  expires_at: number | null
  revoked_at: number | null
}

/** The purchase lot of a provider reference (its account never changes, so this read needs no lock). */
export async function findPurchaseLot(
  tx: SqlTx,
  providerReference: string,
): Promise<PurchaseLotRow | undefined> {
  const [lot] = await tx.all<PurchaseLotRow>(
    "select id, account_id, amount, remaining, expires_at, revoked_at from lots where source = 'purchase' and reference = ?",
    [purchaseReference(providerReference)],
  )
  return lot
}

/**
 * Refunds a purchase: the lot's unspent credits leave the account (revoked, on the record) and the
 * lot is marked so that credits coming back to it later are revoked too. Refused while some of its
 * credits are on hold: the jobs using them settle first. Once per reference (replays answer the same).
 */
export function refundPurchaseOp(
  providerReference: string,
  accountId: string,
  reason: string | null,
): WriteOp<Result<PurchaseRefundReceipt>> {
  return {
    name: 'refundPurchase',
    locks: { accounts: [accountId] },
    run: (tx, now) =>
      withIdempotency(
        tx,
        `refund:${purchaseReference(providerReference)}`,
        'refundPurchase',
        { reason },
        now,
        async () => {
          const lot = await findPurchaseLot(tx, providerReference)
          if (!lot) return purchaseNotFound(providerReference)
          const pending = await tx.all<{ id: string; allocations: string }>(
            "select id, allocations from holds where account_id = ? and status = 'pending' and expires_at > ?",
            [lot.account_id, now],
          )
          const held = pending
            .flatMap((h) => parseAllocations(h.allocations, h.id))
            .reduce((sum, [lotId, amount]) => (lotId === lot.id ? sum + amount : sum), 0)
          if (held > 0) {
            return fail({
              code: 'PURCHASE_CREDITS_HELD',
              providerReference,
              held,
              message: `${held} credits of this purchase are on hold for running jobs; refund it once they settle`,
            })
          }
          // Holds past their TTL give their credits back first, so those are revoked with the rest
          // rather than returning to the lot after the refund.
          applySweep(tx, lot.account_id, await planSweep(tx, lot.account_id, now), now)
          const remaining = (await findPurchaseLot(tx, providerReference))?.remaining ?? 0
          tx.write('update lots set revoked_at = ? where id = ? and revoked_at is null', [now, lot.id], 1)
          if (remaining > 0) {
            recordRevocation(tx, lot.account_id, [[lot.id, remaining, lot.expires_at]], now, null, reason)
            adjustLots(tx, [[lot.id, -remaining]])
            adjustAccount(tx, lot.account_id, -remaining, 0)
          }
          return ok({
            providerReference,
            accountId: lot.account_id,
            lotId: lot.id,
            revoked: remaining,
            alreadyUsed: lot.amount - remaining,
          })
        },
      ),
  }
}
