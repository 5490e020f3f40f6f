import { z } from 'zod'
import type { Database } from '../db/open.ts'
import type { ReceiptDocument } from './receipt-document.ts'

/** The seller's details as a receipt row stores them (JSON), checked when read back. */
const StoredSeller = z.object({
  name: z.string().nullable(),
  address: z.array(z.string()),
  taxId: z.string().nullable(),
})

/**
 * A purchase's receipt as issued, by the purchase's id (its provider reference); with `accountId`,
 * only if the purchase is that account's (another's is not found, never forbidden).
 */
export async function readReceipt(
  db: Database,
  purchaseId: string,
  accountId: string | null,
): Promise<ReceiptDocument | null> {
  let query = db.kysely.selectFrom('receipts').selectAll().where('reference', '=', purchaseId)
  if (accountId !== null) query = query.where('account_id', '=', accountId)
  const row = await query.executeTakeFirst()
  if (!row) return null
  return {
    number: Number(row.number),
    issuedAt: Number(row.issued_at),
    seller: StoredSeller.parse(JSON.parse(row.seller)),
    buyer: { accountId: row.account_id, email: row.buyer_email },
    packId: row.pack_id,
    creditsPerPack: row.credits / row.quantity,
    quantity: row.quantity,
    credits: row.credits,
    unitPriceMinor: Number(row.unit_price_minor),
    totalMinor: Number(row.total_minor),
    taxMinor: Number(row.tax_minor),
    currency: row.currency,
    provider: row.provider,
    providerReference: row.provider_reference,
    receiptUrl: row.receipt_url,
  }
}

/** The receipt numbers of these purchases (ids → number), for purchase lists. */
export async function receiptNumbers(
  db: Database,
  purchaseIds: readonly string[],
): Promise<Map<string, number>> {
  if (purchaseIds.length === 0) return new Map()
  const rows = await db.kysely
    .selectFrom('receipts')
    .select(['reference', 'number'])
    .where('reference', 'in', purchaseIds)
    .execute()
  return new Map(rows.map((r) => [r.reference, Number(r.number)]))
}
