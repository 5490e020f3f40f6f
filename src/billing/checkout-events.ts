import type { SqlTx } from '../db/writer/index.ts'
import { rememberSavedCard } from './auto-top-up-events.ts'
import {
  type EventContext,
  type EventOutcome,
  type Intent,
  intentsOf,
  moveIntent,
  recordEvent,
  writeEvent,
} from './event-records.ts'
import type { CheckoutSession, PaymentEvent } from './provider.ts'
import { recordCompletedPurchase } from './purchase-records.ts'

type CheckoutHandler = (
  ctx: EventContext,
  event: PaymentEvent,
  session: CheckoutSession,
  intent: Intent,
) => Promise<EventOutcome>

/** One handler per Checkout Session event type Easel acts on. */
export const CHECKOUT_HANDLERS: Record<string, CheckoutHandler> = {
  'checkout.session.completed': (ctx, event, session, intent) =>
    session.paymentStatus === 'paid'
      ? grant(ctx, event, session, intent)
      : settle(ctx, event, intent, 'pending'),
  'checkout.session.async_payment_succeeded': grant,
  'checkout.session.async_payment_failed': (ctx, event, _session, intent) =>
    settle(ctx, event, intent, 'failed'),
  'checkout.session.expired': (ctx, event, _session, intent) => settle(ctx, event, intent, 'expired'),
}

/**
 * The intent of a session. Known by its session id, the event's copy of the session is used. Not
 * known yet (the event overtook the answer to the checkout request, or says little), the session
 * is fetched from the provider and its current state used: it names the intent it was made for.
 */
export async function findIntent(
  ctx: EventContext,
  session: CheckoutSession,
): Promise<{ intent: Intent; session: CheckoutSession } | null> {
  const bySession = await intentsOf(ctx).where('session_id', '=', session.id).executeTakeFirst()
  if (bySession) return { intent: bySession, session }
  const current = await ctx.provider.retrieveCheckout(session.id)
  return intentOfCurrent(ctx, current)
}

/** The intent a session the provider answered names, if it is this installation's. */
export async function intentOfCurrent(
  ctx: EventContext,
  current: CheckoutSession,
): Promise<{ intent: Intent; session: CheckoutSession } | null> {
  if (current.reference === null) return null
  const byReference = await intentsOf(ctx).where('reference', '=', current.reference).executeTakeFirst()
  if (!byReference || (byReference.session_id !== null && byReference.session_id !== current.id)) return null
  return { intent: byReference, session: current }
}

/**
 * Whether what the session says was paid is what the intent asked for: the packs' price, plus the
 * tax the provider added on top when it computes tax (automatic tax).
 */
export function paidAsAsked(session: CheckoutSession, intent: Intent): boolean {
  return (
    session.amountTotalMinor !== null &&
    session.amountTotalMinor - session.taxMinor === intent.amount_minor &&
    session.currency === intent.currency
  )
}

/**
 * Grants the session's pack, once per session whatever the number of events and deliveries: the
 * ledger grants once per intent reference (its idempotency key), then the event is recorded and the
 * intent completed in one transaction. Should the process stop between the two, the event is not
 * recorded, so the provider delivers it again (or reconcile finds it) and the grant replays as the
 * same grant. Paid amount and currency must be what the intent recorded.
 */
async function grant(
  ctx: EventContext,
  event: PaymentEvent,
  session: CheckoutSession,
  intent: Intent,
): Promise<EventOutcome> {
  if (intent.status === 'completed') return recordEvent(ctx, event, { outcome: 'already_granted', intent })
  if (!paidAsAsked(session, intent)) {
    const outcome = JSON.stringify({
      expected: { amountMinor: intent.amount_minor, currency: intent.currency },
      paid: { amountMinor: session.amountTotalMinor, taxMinor: session.taxMinor, currency: session.currency },
    })
    return recordEvent(ctx, event, {
      outcome: 'amount_mismatch',
      intent,
      status: 'amount_mismatch',
      detail: outcome,
    })
  }
  // The event is recorded in the grant's transaction: both commit, or neither does. A delivery
  // racing this one grants nothing more (the grant is once per intent, by its reference) and
  // records nothing (the event's id is taken): it answers 'duplicate'.
  let outcome: EventOutcome = 'granted'
  await grantIntent(ctx, session, intent, async (tx, now) => {
    outcome = await writeEvent(tx, now, ctx, event, { outcome: 'granted', intent, status: 'completed' })
  })
  return outcome
}

/**
 * Grants a paid session's pack with its payment, receipt and mail (see `purchase-records.ts`) and
 * completes the intent, all in one transaction, which `alsoWrite` joins; once per intent. Used by
 * the session's own events, and by a refund or dispute that arrives before them.
 */
export async function grantIntent(
  ctx: EventContext,
  session: CheckoutSession,
  intent: Intent,
  alsoWrite: (tx: SqlTx, now: number) => Promise<void>,
): Promise<void> {
  // The provider's receipt page and charge are read first: nothing slow runs inside the transaction.
  const details = session.paymentId
    ? await ctx.provider.paymentDetails(session.paymentId)
    : { chargeId: null, receiptUrl: null }
  // The buyer asked to keep the card for auto top-ups: it is saved with the purchase.
  const saved =
    intent.save_card === 1 && session.paymentId ? await ctx.provider.savedCard(session.paymentId) : null
  const quantity = intent.quantity!
  const granted = await ctx.ledger.completePurchase(
    {
      accountId: intent.account_id,
      packId: intent.pack_id!,
      quantity,
      amountPaidMinor: intent.amount_minor!,
      currency: intent.currency!,
      providerReference: intent.reference,
      // What the buyer was quoted when the checkout started is what they paid for.
      pricedAt: Number(intent.created_at),
    },
    {
      alsoWrite: async (tx, receipt, now) => {
        await alsoWrite(tx, now)
        await moveIntent(tx, now, intent, 'completed', null)
        if (saved) await rememberSavedCard(tx, now, intent.account_id, saved)
        await recordCompletedPurchase(
          tx,
          now,
          receipt,
          {
            provider: ctx.provider.name,
            paymentId: session.paymentId,
            chargeId: details.chargeId,
            receiptUrl: details.receiptUrl,
            taxMinor: session.taxMinor,
            // The packs' price is a whole number of unit prices (a volume tier prices each pack alike).
            unitPriceMinor: intent.amount_minor! / quantity,
          },
          ctx.settings,
        )
      },
    },
  )
  if (!granted.ok) {
    throw new Error(
      `granting the pack of ${session.id} failed: ${granted.error.code}: ${granted.error.message}`,
    )
  }
}

/** An event whose effect is the intent's state alone; a completed intent stays completed. */
function settle(
  ctx: EventContext,
  event: PaymentEvent,
  intent: Intent,
  outcome: 'pending' | 'failed' | 'expired',
): Promise<EventOutcome> {
  // A late or out-of-order event about a session already granted changes nothing but is on the record.
  if (intent.status === 'completed') return recordEvent(ctx, event, { outcome: 'already_granted', intent })
  const status = outcome === 'pending' ? undefined : outcome
  return recordEvent(ctx, event, { outcome, intent, ...(status ? { status } : {}) })
}
