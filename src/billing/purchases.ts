import { createHash } from 'node:crypto'
import type { Ledger, Result } from '../credits/index.ts'
import { packPrice } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import { newId } from '../util/ids.ts'
import { type CheckoutOpened, type CheckoutStatus, findCheckout, openCheckout } from './hosted-checkout.ts'
import { applyPaymentEvent, type EventOutcome } from './payment-events.ts'
import { manualSales, type PaymentsLine, paymentsReport } from './payments-report.ts'
import type {
  Card,
  HostedCheckoutProvider,
  PaymentEvent,
  PaymentProvider,
  PaymentRefusal,
} from './provider.ts'
import type { PaymentProviderName } from './providers/index.ts'
import {
  buyerEmails,
  type CheckoutView,
  findPurchase,
  listCheckouts,
  listPurchases,
  type PurchaseView,
} from './purchase-list.ts'
import { type BillingSettings, recordCompletedPurchase } from './purchase-records.ts'
import type { ReceiptDocument } from './receipt-document.ts'
import { readReceipt } from './receipts.ts'
import { type RefundError, type RefundRequested, refundPurchase } from './refunds.ts'

export type { CheckoutView, PurchaseView } from './purchase-list.ts'

/** A purchase's refusals: the provider's (a decline, unusable payment details) and its own. */
export type PurchaseError =
  | PaymentRefusal
  | { code: 'IDEMPOTENCY_CONFLICT'; message: string }
  | { code: 'NO_PAYMENT_PROVIDER'; message: string }
  | { code: 'UNCHARGEABLE_PRICE'; message: string }
  | RefundError

/** An event applied (by the webhook or by reconcile), and what Easel did with it. */
export interface AppliedEvent {
  id: string
  type: string
  outcome: EventOutcome
}

/**
 * Buying packs: price the pack with the book in force, charge the card through the provider, then
 * grant the pack with `Ledger.completePurchase` — once per payment reference, so a retried request
 * (same Idempotency-Key) gets the same purchase and is not charged twice.
 */
export class Purchases {
  constructor(
    private readonly db: Database,
    private readonly ledger: Ledger,
    /** Null when no payment provider is configured: purchases can be listed, not made. */
    private readonly provider: PaymentProvider<PaymentProviderName> | null,
    /** The seller on receipts, and where their mail's links point. */
    private readonly settings: BillingSettings,
  ) {}

  /** Which provider takes payments (`test`: the offline test checkout; `stripe`), or none. */
  get providerName(): PaymentProviderName | 'none' {
    return this.provider?.name ?? 'none'
  }

  async buy(input: {
    accountId: string
    packId: string
    quantity: number
    card: Card
    idempotencyKey?: string
  }): Promise<Result<PurchaseView, PurchaseError>> {
    const provider = this.provider
    if (!provider) return noProvider()
    if (provider.kind !== 'card') {
      return {
        ok: false,
        error: {
          code: 'NO_PAYMENT_PROVIDER',
          message: `this installation takes payments on ${provider.name} checkout: open one with POST /api/billing/checkout`,
        },
      }
    }
    const book = this.ledger.pricing?.bookAt(this.ledger.clock.now())
    if (!book) throw new Error('purchases need a price book')
    const price = packPrice(book, input.packId, input.quantity)
    if (!price.ok)
      return {
        ok: false,
        error: { code: 'VALIDATION', field: price.error.field, message: price.error.message },
      }
    let reference: string
    if (input.idempotencyKey === undefined) {
      reference = newId('pur')
    } else {
      reference = `pur_key_${createHash('sha256').update(`${input.accountId}\n${input.idempotencyKey}`).digest('hex').slice(0, 32)}`
      const claimed = await this.claim(input.accountId, reference, requestHash(input))
      if (claimed !== 'new') return claimed
    }
    const charged = await provider.charge({
      accountId: input.accountId,
      reference,
      packId: input.packId,
      quantity: input.quantity,
      amountMinor: price.value.totalMinor,
      currency: price.value.currency,
      card: input.card,
    })
    if (!charged.ok) {
      if (input.idempotencyKey !== undefined) {
        // A decline is the answer to this request; a mistyped card is not: the key can be used again.
        if (charged.error.code === 'VALIDATION') await this.dropIntent(reference)
        else await this.settleIntent(reference, 'declined', charged.error)
      }
      return { ok: false, error: charged.error }
    }
    const granted = await this.ledger.completePurchase(
      {
        accountId: input.accountId,
        packId: input.packId,
        quantity: input.quantity,
        amountPaidMinor: price.value.totalMinor,
        currency: price.value.currency,
        providerReference: reference,
      },
      {
        alsoWrite: async (tx, receipt, now) => {
          await recordCompletedPurchase(
            tx,
            now,
            receipt,
            {
              provider: provider.name,
              paymentId: charged.value.reference,
              chargeId: null,
              receiptUrl: null,
              taxMinor: 0,
              unitPriceMinor: price.value.unitPriceMinor,
            },
            this.settings,
          )
        },
      },
    )
    if (!granted.ok) {
      if (granted.error.code === 'VALIDATION') {
        return {
          ok: false,
          error: { code: 'VALIDATION', field: granted.error.field, message: granted.error.message },
        }
      }
      throw new Error(`completing a paid purchase failed: ${granted.error.code}: ${granted.error.message}`)
    }
    if (input.idempotencyKey !== undefined) await this.settleIntent(reference, 'completed', null)
    return { ok: true, value: (await this.find(input.accountId, reference))! }
  }

  /** Opens a hosted checkout (Stripe Checkout) for packs: see {@link openCheckout}. */
  async checkout(input: {
    accountId: string
    packId: string
    quantity: number
    returnBase: string
    idempotencyKey?: string
  }): Promise<Result<CheckoutOpened, PurchaseError>> {
    const provider = this.hosted()
    if (!provider) {
      if (this.provider === null) return noProvider()
      return {
        ok: false,
        error: {
          code: 'NO_PAYMENT_PROVIDER',
          message: `this installation takes payments with the ${this.provider.name} checkout, not a hosted one: buy with POST /api/purchases`,
        },
      }
    }
    return openCheckout({ db: this.db, ledger: this.ledger, provider }, input)
  }

  /** Where one of the account's checkouts stands, and its purchase once granted; null if it is not the account's. */
  async checkoutStatus(
    accountId: string,
    sessionId: string,
  ): Promise<{ status: CheckoutStatus; purchase: PurchaseView | null } | null> {
    const provider = this.hosted()
    if (!provider) return null
    const found = await findCheckout(this.db, provider.name, accountId, sessionId)
    if (!found) return null
    return { status: found.status, purchase: await this.find(accountId, found.reference) }
  }

  /**
   * A webhook delivery: its event if the signature is good (else `BAD_SIGNATURE`, nothing done),
   * applied exactly once. Errors are thrown, for the caller to answer 5xx: the provider retries.
   */
  async receiveEvent(
    rawBody: Buffer,
    signature: string | undefined,
  ): Promise<Result<AppliedEvent, { code: 'BAD_SIGNATURE' | 'NO_PAYMENT_PROVIDER'; message: string }>> {
    const provider = this.hosted()
    if (!provider) {
      return {
        ok: false,
        error: { code: 'NO_PAYMENT_PROVIDER', message: 'no hosted checkout is configured here' },
      }
    }
    const event = provider.verifyEvent(rawBody, signature)
    if (!event.ok) return { ok: false, error: { code: 'BAD_SIGNATURE', message: event.error.message } }
    return { ok: true, value: await this.apply(provider, event.value) }
  }

  /**
   * Lists the provider's events since `sinceMs` and applies those not recorded yet, through the
   * webhook's own path: the answer to a webhook outage, safe to run any time. Returns the ones
   * applied now (events recorded before are left out).
   */
  async reconcile(sinceMs: number): Promise<AppliedEvent[]> {
    const provider = this.hosted()
    if (!provider) throw new Error('no hosted checkout (Stripe) is configured: there is nothing to reconcile')
    const applied: AppliedEvent[] = []
    for await (const event of provider.listEvents(sinceMs)) {
      const done = await this.apply(provider, event)
      if (done.outcome !== 'duplicate') applied.push(done)
    }
    return applied
  }

  private async apply(provider: HostedCheckoutProvider, event: PaymentEvent): Promise<AppliedEvent> {
    const outcome = await applyPaymentEvent(
      { db: this.db, ledger: this.ledger, provider, settings: this.settings },
      event,
    )
    return { id: event.id, type: event.type, outcome }
  }

  private hosted(): HostedCheckoutProvider<PaymentProviderName> | null {
    return this.provider?.kind === 'hosted' ? this.provider : null
  }

  /**
   * Records the intent before the card is charged. 'new' when this request is the first with its
   * key; otherwise what the first one came to (its purchase or its decline), or a conflict.
   */
  private async claim(
    accountId: string,
    reference: string,
    hash: string,
  ): Promise<'new' | Result<PurchaseView, PurchaseError>> {
    const now = this.ledger.clock.now()
    const inserted = await this.db.kysely
      .insertInto('purchase_intents')
      .values({
        reference,
        account_id: accountId,
        request_hash: hash,
        status: 'pending',
        outcome: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('reference').doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return 'new'
    const intent = await this.db.kysely
      .selectFrom('purchase_intents')
      .selectAll()
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow()
    const conflict = (message: string) => ({
      ok: false as const,
      error: { code: 'IDEMPOTENCY_CONFLICT' as const, message },
    })
    if (intent.request_hash !== hash)
      return conflict('this Idempotency-Key was already used for a different purchase')
    if (intent.status === 'declined')
      return { ok: false, error: JSON.parse(intent.outcome!) as PurchaseError }
    if (intent.status === 'pending')
      return conflict('a purchase with this Idempotency-Key is still being processed; try again shortly')
    return { ok: true, value: (await this.find(accountId, reference))! }
  }

  private async dropIntent(reference: string): Promise<void> {
    await this.db.kysely.deleteFrom('purchase_intents').where('reference', '=', reference).execute()
  }

  private async settleIntent(
    reference: string,
    status: 'completed' | 'declined',
    outcome: unknown,
  ): Promise<void> {
    await this.db.kysely
      .updateTable('purchase_intents')
      .set({
        status,
        outcome: outcome === null ? null : JSON.stringify(outcome),
        updated_at: this.ledger.clock.now(),
      })
      .where('reference', '=', reference)
      .execute()
  }

  /** The account's purchases, newest first. */
  list(accountId: string): Promise<PurchaseView[]> {
    return listPurchases(this.db, { accountId })
  }

  /** Everyone's purchases, newest first, with their buyer's email (the admin's list). */
  async listAll(limit: number): Promise<Array<PurchaseView & { email: string | null }>> {
    const purchases = await listPurchases(this.db, { accountId: null, limit })
    const emails = await buyerEmails(this.db, [...new Set(purchases.map((p) => p.accountId))])
    return purchases.map((p) => ({ ...p, email: emails.get(p.accountId) ?? null }))
  }

  /** The account's checkouts waiting for their payment, or failed. */
  checkouts(accountId: string): Promise<CheckoutView[]> {
    return listCheckouts(this.db, accountId)
  }

  /** Cash received, refunds and disputes of a period, per currency. */
  paymentsReport(range: { from: number; to: number }): Promise<PaymentsLine[]> {
    return paymentsReport(this.db, range)
  }

  /** Credits sold outside the provider in a period (granted with a cost basis), per currency. */
  manualSales(range: { from: number; to: number }) {
    return manualSales(this.db, range)
  }

  /** A purchase's receipt as issued; with `accountId`, only the account's own. */
  receipt(purchaseId: string, accountId: string | null): Promise<ReceiptDocument | null> {
    return readReceipt(this.db, purchaseId, accountId)
  }

  /** Refunds a purchase on the operator's word: see {@link refundPurchase}. */
  refund(input: { purchaseId: string; amountMinor?: number }): Promise<Result<RefundRequested, RefundError>> {
    return refundPurchase({ db: this.db, ledger: this.ledger, provider: this.provider }, input)
  }

  private find(accountId: string, reference: string): Promise<PurchaseView | null> {
    return findPurchase(this.db, accountId, reference)
  }
}

function noProvider(): { ok: false; error: PurchaseError } {
  return {
    ok: false,
    error: {
      code: 'NO_PAYMENT_PROVIDER',
      message:
        'no payment provider is configured on this installation, so credits cannot be bought here; ask its operator',
    },
  }
}

/** What makes two purchase requests the same one: the pack, how many, and the card (hashed). */
function requestHash(input: { packId: string; quantity: number; card: Card }): string {
  const number = input.card.number.replace(/[\s-]/g, '')
  return createHash('sha256')
    .update(JSON.stringify([input.packId, input.quantity, number]))
    .digest('hex')
}
