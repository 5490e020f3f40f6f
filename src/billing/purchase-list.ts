import { sql } from 'kysely'
import { purchaseReference } from '../credits/index.ts'
import type { Database } from '../db/open.ts'

/**
 * Where a paid purchase stands: paid; refunded in part or in full; disputed (a chargeback open, or
 * lost). A dispute that was won leaves it paid (or refunded, if it was). Checkouts that are not
 * paid yet or failed are listed apart ({@link CheckoutView}).
 */
export type PurchaseStatus = 'paid' | 'partly_refunded' | 'refunded' | 'disputed'

export interface PurchaseView {
  /** The payment's reference: the purchase is granted once per reference. */
  id: string
  accountId: string
  packId: string
  quantity: number
  credits: number
  /** The packs' price (the credits' cost basis), tax not included. */
  amountPaidMinor: number
  /** Tax the provider charged on top; the buyer paid `amountPaidMinor + taxMinor`. */
  taxMinor: number
  currency: string
  lotId: string
  grantedAt: number
  expiresAt: number | null
  /** Credits of the pack not spent yet. */
  remaining: number
  status: PurchaseStatus
  amountRefundedMinor: number
  disputeStatus: 'open' | 'won' | 'lost' | null
  /** Credits refunds and disputes took back, and those they could not (already spent). */
  creditsRevoked: number
  creditsUnrecovered: number
  /** The receipt's number; null for purchases made before receipts were issued. */
  receiptNumber: number | null
  /** Which checkout took the payment, when recorded. */
  provider: string | null
}

/** A hosted checkout that has not become a purchase: paid by a method that takes days, or failed. */
export interface CheckoutView {
  sessionId: string
  packId: string
  quantity: number
  amountMinor: number
  currency: string
  createdAt: number
  /** pending: the payment is on its way; failed: it did not go through, or not for the amount asked. */
  status: 'pending' | 'failed'
}

/** The account's purchases (or, with `accountId` null, everyone's: the admin's), newest first. */
export async function listPurchases(
  db: Database,
  filter: { accountId: string | null; limit?: number },
): Promise<PurchaseView[]> {
  let query = purchases(db).orderBy('lots.granted_at', 'desc').orderBy('lots.id', 'desc')
  if (filter.accountId !== null) query = query.where('lots.account_id', '=', filter.accountId)
  if (filter.limit !== undefined) query = query.limit(filter.limit)
  return (await query.execute()).map(toView)
}

/** The buyers' emails by account (none for a deleted account), for the admin's list. */
export async function buyerEmails(db: Database, accountIds: readonly string[]): Promise<Map<string, string>> {
  if (accountIds.length === 0) return new Map()
  const rows = await db.kysely
    .selectFrom('users')
    .select(['account_id', 'email'])
    .where('account_id', 'in', accountIds)
    .where('deleted_at', 'is', null)
    .execute()
  return new Map(rows.map((r) => [r.account_id, r.email]))
}

/** One purchase by its id; with `accountId`, only if it is that account's. */
export async function findPurchase(
  db: Database,
  accountId: string | null,
  id: string,
): Promise<PurchaseView | null> {
  let query = purchases(db).where('lots.reference', '=', purchaseReference(id))
  if (accountId !== null) query = query.where('lots.account_id', '=', accountId)
  const row = await query.executeTakeFirst()
  return row ? toView(row) : null
}

/**
 * The account's checkouts still waiting for their payment (a completed session whose payment is
 * pending) or that failed (the payment failed, or was not the amount asked), newest first. Open
 * sessions the buyer never paid, and expired ones, are not purchases and are left out.
 */
export async function listCheckouts(db: Database, accountId: string): Promise<CheckoutView[]> {
  const rows = await db.kysely
    .selectFrom('purchase_intents as i')
    .select([
      'i.session_id',
      'i.pack_id',
      'i.quantity',
      'i.amount_minor',
      'i.currency',
      'i.created_at',
      'i.status',
    ])
    .where('i.account_id', '=', accountId)
    // Packs bought in a checkout; a plan's checkout and an auto top-up are shown where they belong.
    .where('i.kind', '=', 'pack')
    .where('i.provider', 'is not', null)
    .where('i.session_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('i.status', 'in', ['failed', 'amount_mismatch']),
        eb.and([
          eb('i.status', '=', 'pending'),
          eb.exists(
            eb
              .selectFrom('payment_events as e')
              .select('e.event_id')
              .whereRef('e.object_id', '=', 'i.session_id')
              .where('e.outcome', '=', 'pending'),
          ),
        ]),
      ]),
    )
    .orderBy('i.created_at', 'desc')
    .limit(50)
    .execute()
  return rows.map((r) => ({
    sessionId: r.session_id!,
    packId: r.pack_id ?? '',
    quantity: r.quantity ?? 1,
    amountMinor: Number(r.amount_minor ?? 0),
    currency: r.currency ?? '',
    createdAt: Number(r.created_at),
    status: r.status === 'pending' ? 'pending' : 'failed',
  }))
}

const PREFIX_LENGTH = purchaseReference('').length

/** Purchase lots, with the receipt the ledger stored for each (pack and quantity), their payment and receipt. */
function purchases(db: Database) {
  return (
    db.kysely
      .selectFrom('lots')
      .leftJoin('idempotency_keys', 'idempotency_keys.key', 'lots.reference')
      // A lot's reference is `purchase:<payment reference>`: the payment is found by its key.
      .leftJoin('purchase_payments as pp', (join) =>
        join.on(sql<boolean>`pp.reference = substr(lots.reference, ${PREFIX_LENGTH + 1})`),
      )
      .leftJoin('receipts', 'receipts.reference', 'pp.reference')
      .select([
        'lots.id',
        'lots.account_id',
        'lots.amount',
        'lots.remaining',
        'lots.granted_at',
        'lots.expires_at',
        'lots.cost_basis_minor',
        'lots.currency',
        'lots.reference',
        'idempotency_keys.response',
        'pp.provider',
        'pp.tax_minor',
        'pp.amount_refunded_minor',
        'pp.amount_paid_minor',
        'pp.credits_refunded',
        'pp.credits_unrecovered',
        'pp.dispute_status',
        'pp.credits_disputed',
        'receipts.number as receipt_number',
      ])
      .where('lots.source', '=', 'purchase')
  )
}

type Row = Awaited<ReturnType<ReturnType<typeof purchases>['executeTakeFirstOrThrow']>>

function toView(row: Row): PurchaseView {
  const receipt = row.response ? (JSON.parse(row.response) as { packId?: string; quantity?: number }) : {}
  const refunded = Number(row.amount_refunded_minor ?? 0)
  const paid = Number(row.amount_paid_minor ?? 0)
  const dispute = row.dispute_status ?? null
  const status: PurchaseStatus =
    dispute === 'open' || dispute === 'lost'
      ? 'disputed'
      : refunded === 0
        ? 'paid'
        : refunded >= paid
          ? 'refunded'
          : 'partly_refunded'
  return {
    id: (row.reference ?? row.id).replace(/^purchase:/, ''),
    accountId: row.account_id,
    packId: receipt.packId ?? '',
    quantity: receipt.quantity ?? 1,
    credits: row.amount,
    amountPaidMinor: Number(row.cost_basis_minor),
    taxMinor: Number(row.tax_minor ?? 0),
    currency: row.currency ?? '',
    lotId: row.id,
    grantedAt: Number(row.granted_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    remaining: row.remaining,
    status,
    amountRefundedMinor: refunded,
    disputeStatus: dispute,
    creditsRevoked:
      Number(row.credits_refunded ?? 0) +
      (dispute === 'open' || dispute === 'lost' ? Number(row.credits_disputed ?? 0) : 0),
    creditsUnrecovered: Number(row.credits_unrecovered ?? 0),
    receiptNumber: row.receipt_number === null ? null : Number(row.receipt_number),
    provider: row.provider ?? null,
  }
}
