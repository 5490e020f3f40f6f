import type { FastifyReply } from 'fastify'
import type { PurchaseView } from '../billing/purchases.ts'
import type { ReceiptDocument } from '../billing/receipt-document.ts'
import { receiptNumberText, renderReceiptPdf } from '../billing/receipt-pdf.ts'
import type { PurchaseBody } from '../contracts/index.ts'
import { majorUnits } from '../credits/index.ts'

// How purchases and their receipts are answered, by the buyer's routes and the admin's.

/** A purchase as the API says it (without the fields only the admin's list shows). */
export const purchaseBody = ({
  accountId: _account,
  provider: _provider,
  ...p
}: PurchaseView): PurchaseBody => ({
  ...p,
  // Major units in the currency's own digits: '15.00' USD, '1500' JPY, '1.500' KWD.
  price: majorUnits({ amountMinor: p.amountPaidMinor, currency: p.currency }),
})

/** A receipt's PDF, named by its number, never cached by a shared cache. */
export async function sendReceipt(reply: FastifyReply, receipt: ReceiptDocument): Promise<FastifyReply> {
  const pdf = await renderReceiptPdf(receipt)
  return reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `inline; filename="receipt-${receiptNumberText(receipt.number)}.pdf"`)
    .header('cache-control', 'private, no-store')
    .send(pdf)
}
