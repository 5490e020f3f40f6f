import type { SellerConfig } from '../config-billing.ts'
import type { PurchaseReceipt } from '../credits/index.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { newId } from '../util/ids.ts'
import type { ReceiptDocument } from './receipt-document.ts'
import { receiptMail } from './receipt-mail.ts'

/** What a completed purchase's records need besides the ledger's receipt. */
export interface CompletedPayment {
  provider: string
  /** The provider's payment (Stripe's PaymentIntent) and charge, when it has them. */
  paymentId: string | null
  chargeId: string | null
  /** The provider's own receipt page, when there is one. */
  receiptUrl: string | null
  /** Tax the provider charged on top of the packs' price (minor units); 0 when none. */
  taxMinor: number
  /** One pack's price as the buyer was quoted it (volume tier applied). */
  unitPriceMinor: number
}

/** Billing's settings: the seller on receipts as configured now, links for mail, top-up limits. */
export interface BillingSettings {
  seller: SellerConfig
  /** EASEL_PUBLIC_URL, or the address the server listens on. */
  linkBase: string
  /** Auto top-up payments an account may make in a day (EASEL_AUTO_TOPUP_MAX_PER_DAY). */
  autoTopUpMaxPerDay: number
}

/**
 * Writes a granted purchase's records inside the grant's transaction (the ledger's `alsoWrite`):
 * its payment (which refunds and disputes update later), the payment's movement of money, and its
 * receipt — numbered without gaps — mailed to the buyer. Either all of it commits with the credits,
 * or none of it does. The ledger answers a repeated grant of one reference with the first one's
 * receipt, and this runs again then: the payment is there already, and nothing more is written
 * (null).
 */
export async function recordCompletedPurchase(
  tx: SqlTx,
  now: number,
  purchase: PurchaseReceipt,
  payment: CompletedPayment,
  settings: BillingSettings,
): Promise<ReceiptDocument | null> {
  const reference = purchase.providerReference
  // The ledger's cost basis is the packs' price; the buyer paid that plus the tax.
  const paidMinor = purchase.amountPaidMinor + payment.taxMinor
  const inserted = await tx.run(
    `insert into purchase_payments (reference, account_id, provider, payment_id, charge_id, credits,
       amount_paid_minor, tax_minor, currency, receipt_url, paid_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (reference) do nothing`,
    [
      reference,
      purchase.accountId,
      payment.provider,
      payment.paymentId,
      payment.chargeId,
      purchase.credits,
      paidMinor,
      payment.taxMinor,
      purchase.currency,
      payment.receiptUrl,
      now,
      now,
    ],
  )
  if (inserted === 0) return null
  recordMovement(tx, now, {
    reference,
    accountId: purchase.accountId,
    kind: 'payment',
    amountMinor: paidMinor,
    currency: purchase.currency,
  })
  const receipt = await issueReceipt(tx, now, purchase, payment, settings.seller)
  if (receipt.buyer.email !== null) {
    queueMail(
      tx,
      receiptMail({ receipt, to: receipt.buyer.email, purchaseId: reference, linkBase: settings.linkBase }),
      now,
    )
  }
  return receipt
}

/** Money that moved, for the operator's report (see `payment_movements`). */
export function recordMovement(
  tx: SqlTx,
  now: number,
  movement: {
    reference: string
    accountId: string
    kind: 'payment' | 'refund' | 'dispute' | 'dispute_won'
    amountMinor: number
    currency: string
  },
): void {
  if (movement.amountMinor === 0) return
  tx.write(
    `insert into payment_movements (id, reference, account_id, kind, amount_minor, currency, at)
     values (?, ?, ?, ?, ?, ?, ?)`,
    [
      newId('pmv', now),
      movement.reference,
      movement.accountId,
      movement.kind,
      movement.amountMinor,
      movement.currency,
      now,
    ],
    1,
  )
}

/**
 * The next receipt number, and the receipt under it. The counter's one row is updated (and so
 * locked) by the grant's transaction: concurrent grants take numbers one after the other, and a
 * grant that rolls back gives its number back, so the numbers have no gaps.
 */
async function issueReceipt(
  tx: SqlTx,
  now: number,
  purchase: PurchaseReceipt,
  payment: CompletedPayment,
  seller: SellerConfig,
): Promise<ReceiptDocument> {
  const [counter] = await tx.all<{ last_number: number | string }>(
    'update receipt_counter set last_number = last_number + 1 where id = 1 returning last_number',
  )
  if (!counter) throw new Error('the receipt counter row is missing: run the migrations')
  const number = Number(counter.last_number)
  const [buyer] = await tx.all<{ email: string }>(
    'select email from users where account_id = ? and deleted_at is null order by created_at limit 1',
    [purchase.accountId],
  )
  const receipt: ReceiptDocument = {
    number,
    issuedAt: now,
    seller,
    buyer: { accountId: purchase.accountId, email: buyer?.email ?? null },
    packId: purchase.packId,
    creditsPerPack: purchase.credits / purchase.quantity,
    quantity: purchase.quantity,
    credits: purchase.credits,
    unitPriceMinor: payment.unitPriceMinor,
    totalMinor: purchase.amountPaidMinor + payment.taxMinor,
    taxMinor: payment.taxMinor,
    currency: purchase.currency,
    provider: payment.provider,
    providerReference: payment.paymentId ?? purchase.providerReference,
    receiptUrl: payment.receiptUrl,
  }
  tx.write(
    `insert into receipts (number, reference, account_id, issued_at, pack_id, quantity, credits,
       unit_price_minor, total_minor, tax_minor, currency, buyer_email, seller, provider,
       provider_reference, receipt_url)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      number,
      purchase.providerReference,
      purchase.accountId,
      now,
      receipt.packId,
      receipt.quantity,
      receipt.credits,
      receipt.unitPriceMinor,
      receipt.totalMinor,
      receipt.taxMinor,
      receipt.currency,
      receipt.buyer.email,
      JSON.stringify(seller),
      receipt.provider,
      receipt.providerReference,
      receipt.receiptUrl,
    ],
    1,
  )
  return receipt
}
