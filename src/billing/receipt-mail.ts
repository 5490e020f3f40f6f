import { formatMoney } from '../credits/index.ts'
import { composeMail, type OutgoingMail, publicLink } from '../notify/mail.ts'
import { CREDITS_PATH, dayInWords } from '../notify/notices-mails.ts'
import type { ReceiptDocument } from './receipt-document.ts'
import {
  DEFAULT_SELLER_NAME,
  providerName,
  receiptFigures,
  receiptLineDescription,
  receiptNumberText,
} from './receipt-pdf.ts'

// The mail that goes with a receipt: the same words as its PDF (receipt-pdf.ts), a link to the PDF
// and one to the credits page. A pure function of the receipt and where the studio is; queueing
// it in the purchase's transaction is the caller's.

const credits = (n: number) => `${n} ${n === 1 ? 'credit' : 'credits'}`

/**
 * Where a purchase's receipt is downloaded, on the installation's public URL, the id encoded as one
 * path segment. An empty id, `.` or `..` would name another path (URLs resolve dot segments even
 * when written `%2E`): no purchase has one, so it is a bug and throws.
 *
 * @example
 * receiptDownloadLink('https://easel.example', 'cs_test_1') // → 'https://easel.example/api/purchases/cs_test_1/receipt'
 */
export function receiptDownloadLink(linkBase: string, purchaseId: string): string {
  if (/^\.{0,2}$/.test(purchaseId)) throw new Error(`not a purchase id: "${purchaseId}"`)
  return publicLink(linkBase, `/api/purchases/${encodeURIComponent(purchaseId)}/receipt`)
}

/** What was bought: one pack, or several of one pack and the credits in all. */
function bought(receipt: ReceiptDocument): string {
  const what =
    receipt.quantity === 1
      ? receiptLineDescription(receipt)
      : `${receipt.quantity} × ${receiptLineDescription(receipt)}, ${credits(receipt.credits)} in all`
  return `Thank you for your purchase on Easel: ${what}. The credits are in your account now.`
}

/** What was paid, and the tax in it or on top of it. */
function paid(receipt: ReceiptDocument): string {
  const figures = receiptFigures(receipt)
  const money = (amountMinor: number) => formatMoney({ amountMinor, currency: receipt.currency })
  if (figures.taxMinor === 0)
    return `You paid ${money(figures.totalMinor)} (${receipt.currency}); no tax was added.`
  if (figures.taxIncluded)
    return `You paid ${money(figures.totalMinor)} (${receipt.currency}), including ${money(figures.taxMinor)} tax.`
  return `You paid ${money(figures.totalMinor)} (${receipt.currency}): ${money(figures.subtotalMinor)} plus ${money(figures.taxMinor)} tax.`
}

/** Who sold it: the seller's name, address and tax id as configured when the receipt was issued. */
function soldBy(receipt: ReceiptDocument): string {
  const { seller } = receipt
  const who = [seller.name ?? DEFAULT_SELLER_NAME, ...seller.address].join(', ')
  return seller.taxId ? `Sold by ${who}. Tax ID: ${seller.taxId}.` : `Sold by ${who}.`
}

/**
 * The receipt mail for a completed purchase: what was bought, what was paid (with the tax), the
 * receipt's number and date, the seller, the provider's reference and its own receipt page when
 * there is one, and a button to download the receipt as a PDF. Whatever the seller or the buyer
 * typed is escaped in the HTML by {@link composeMail}.
 *
 * @example
 * receiptMail({ receipt, to: 'ada@example.test', linkBase: 'https://easel.example', purchaseId: 'cs_test_1' })
 * // → subject "Your Easel receipt 000042 — 115 credits",
 * //   button "Download the receipt (PDF)" → https://easel.example/api/purchases/cs_test_1/receipt
 * @throws Error when the receipt's figures do not add up (see `receiptFigures`).
 */
export function receiptMail(input: {
  receipt: ReceiptDocument
  to: string
  /** The installation's public URL (EASEL_PUBLIC_URL), which links are built on. */
  linkBase: string
  /** The purchase's id as the API names it (`PurchaseView.id`), for the PDF's download link. */
  purchaseId: string
}): OutgoingMail {
  const { receipt } = input
  const number = receiptNumberText(receipt.number)
  const provider = providerName(receipt.provider)
  return composeMail({
    kind: 'purchase-receipt',
    to: input.to,
    subject: `Your Easel receipt ${number} — ${credits(receipt.credits)}`,
    paragraphs: [
      bought(receipt),
      paid(receipt),
      `Receipt no. ${number}, issued on ${dayInWords(receipt.issuedAt)}.`,
      soldBy(receipt),
      `Paid with ${provider}, reference ${receipt.providerReference}.`,
      ...(receipt.receiptUrl === null ? [] : [`${provider}'s own receipt: ${receipt.receiptUrl}`]),
    ],
    action: {
      label: 'Download the receipt (PDF)',
      url: receiptDownloadLink(input.linkBase, input.purchaseId),
    },
    footer: `Your balance and your purchases are on your credits page: ${publicLink(input.linkBase, CREDITS_PATH)}`,
  })
}
