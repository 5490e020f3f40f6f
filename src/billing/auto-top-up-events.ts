import type { SqlTx } from '../db/writer/index.ts'
import { countFailure, freeInFlight, saveCard, settleInFlight } from './auto-top-up-store.ts'
import {
  type EventContext,
  type EventOutcome,
  type Intent,
  intentsOf,
  recordEvent,
  writeEvent,
} from './event-records.ts'
import type { PaymentEvent, PaymentState, SavedCard } from './provider.ts'
import { recordCompletedPurchase } from './purchase-records.ts'

/** The payment event types the auto top-up acts on. */
export const PAYMENT_EVENT_TYPES: readonly string[] = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
]

/**
 * An off-session payment's outcome (an auto top-up). Succeeded: the pack is granted once, with
 * its payment, receipt and mail, in the transaction that records the event. Failed: one decline
 * is counted — the same one the payment's answer may have counted already (see
 * {@link declineTopUp}). A payment of a checkout is the checkout's events' business: ignored here.
 */
export async function paymentEvent(
  ctx: EventContext,
  event: PaymentEvent,
  payment: PaymentState,
): Promise<EventOutcome> {
  const intent = await intentOfPayment(ctx, payment)
  if (!intent) return recordEvent(ctx, event, { outcome: 'not_ours' })
  if (intent.kind !== 'auto_top_up') return 'ignored'
  const locks = { accounts: [intent.account_id] }
  if (intent.status === 'completed') {
    return recordEvent(ctx, event, { outcome: 'already_granted', intent }, locks)
  }
  if (event.type === 'payment_intent.payment_failed' || payment.status === 'failed') {
    let outcome: EventOutcome = 'failed'
    await ctx.db.write(
      {
        name: 'autoTopUpFailed',
        locks,
        run: async (tx, now) => {
          outcome = await writeEvent(tx, now, ctx, event, { outcome: 'failed', accountId: intent.account_id })
          if (outcome === 'duplicate') return
          const reason = payment.failureMessage ?? 'the payment failed'
          await declineTopUp(tx, now, ctx.settings.linkBase, intent, payment.id, reason)
        },
      },
      ctx.ledger.clock,
    )
    return outcome
  }
  if (payment.status !== 'succeeded') return recordEvent(ctx, event, { outcome: 'pending', intent }, locks)
  if (payment.amountMinor !== intent.amount_minor || payment.currency !== intent.currency) {
    // Not what Easel asked for: nothing is granted, the operator looks into it; the slot is freed
    // so that the account's auto top-up is not stuck behind it.
    return ctx.db.write(
      {
        name: 'autoTopUpMismatch',
        locks,
        run: async (tx, now) => {
          const outcome = await writeEvent(tx, now, ctx, event, {
            outcome: 'amount_mismatch',
            intent,
            status: 'amount_mismatch',
            detail: JSON.stringify({
              expected: { amountMinor: intent.amount_minor, currency: intent.currency },
              paid: { amountMinor: payment.amountMinor, currency: payment.currency },
            }),
          })
          if (outcome !== 'duplicate') await freeInFlight(tx, now, intent.account_id, intent.reference)
          return outcome
        },
      },
      ctx.ledger.clock,
    )
  }
  return grantTopUp(ctx, event, payment, intent)
}

/**
 * Grants the top-up's pack once: the ledger grants once per intent reference, and the event is
 * recorded in the grant's transaction, so a repeated or racing delivery grants nothing more and
 * answers 'duplicate'. Should the process stop before the commit, nothing is recorded and the
 * provider delivers the event again (or reconcile finds it).
 */
async function grantTopUp(
  ctx: EventContext,
  event: PaymentEvent,
  payment: PaymentState,
  intent: Intent,
): Promise<EventOutcome> {
  // Read before the transaction: nothing slow runs inside it.
  const details = await ctx.provider.paymentDetails(payment.id)
  const quantity = intent.quantity!
  let outcome: EventOutcome = 'granted'
  const granted = await ctx.ledger.completePurchase(
    {
      accountId: intent.account_id,
      packId: intent.pack_id!,
      quantity,
      amountPaidMinor: intent.amount_minor!,
      currency: intent.currency!,
      providerReference: intent.reference,
      // Priced when the top-up started: what was charged is what the credits were bought for.
      pricedAt: Number(intent.created_at),
    },
    {
      alsoWrite: async (tx, receipt, now) => {
        outcome = await writeEvent(tx, now, ctx, event, { outcome: 'granted', intent, status: 'completed' })
        if (outcome === 'duplicate') return
        await tx.run(
          'update purchase_intents set payment_id = coalesce(payment_id, ?), updated_at = ? where reference = ?',
          [payment.id, now, intent.reference],
        )
        await settleInFlight(tx, now, intent.account_id, intent.reference)
        await recordCompletedPurchase(
          tx,
          now,
          receipt,
          {
            provider: ctx.provider.name,
            paymentId: payment.id,
            chargeId: details.chargeId,
            receiptUrl: details.receiptUrl,
            taxMinor: 0,
            unitPriceMinor: intent.amount_minor! / quantity,
          },
          ctx.settings,
        )
      },
    },
  )
  if (!granted.ok) {
    throw new Error(
      `granting the auto top-up ${intent.reference} failed: ${granted.error.code}: ${granted.error.message}`,
    )
  }
  return outcome
}

/**
 * One declined top-up payment, whoever tells it first: the answer to the payment request, or the
 * provider's `payment_intent.payment_failed` later. Both are the same failure, counted once: the
 * intent (one payment per intent, its idempotency key) moves from pending to failed once, and only
 * the transaction that moves it counts the decline and frees the slot. Says whether mail was queued.
 */
export async function declineTopUp(
  tx: SqlTx,
  now: number,
  linkBase: string,
  intent: Pick<Intent, 'reference' | 'account_id'>,
  paymentId: string | null,
  reason: string,
): Promise<boolean> {
  const moved = await tx.run(
    `update purchase_intents set status = 'failed', outcome = ?, payment_id = coalesce(payment_id, ?), updated_at = ?
     where reference = ? and kind = 'auto_top_up' and status = 'pending'`,
    [reason, paymentId, now, intent.reference],
  )
  if (moved === 0) return false
  await freeInFlight(tx, now, intent.account_id, intent.reference)
  return countFailure(tx, now, intent.account_id, reason, linkBase)
}

/** Keeps the card a checkout saved, for the account's auto top-ups (in the grant's transaction). */
export async function rememberSavedCard(
  tx: SqlTx,
  now: number,
  accountId: string,
  card: SavedCard,
): Promise<void> {
  await saveCard(tx, now, accountId, card)
}

/** The intent a payment was made for: by the reference Easel put on it, else by its id. */
async function intentOfPayment(ctx: EventContext, payment: PaymentState): Promise<Intent | null> {
  const query = intentsOf(ctx)
  if (payment.reference !== null) {
    const byReference = await query.where('reference', '=', payment.reference).executeTakeFirst()
    // Only if the payment is the intent's (or it has none yet): a reference alone is not proof.
    if (byReference && (byReference.payment_id === null || byReference.payment_id === payment.id)) {
      return byReference
    }
  }
  return (await query.where('payment_id', '=', payment.id).executeTakeFirst()) ?? null
}
