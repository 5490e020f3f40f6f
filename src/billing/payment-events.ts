import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { PurchaseIntentsTable } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import type { CheckoutSession, HostedCheckoutProvider, PaymentEvent } from './provider.ts'

/**
 * What Easel did with a provider's event (recorded with it, and said by `easel billing reconcile`);
 * the webhook's answer lists the same words (`StripeWebhookBody` in contracts/billing.ts).
 */
export type EventOutcome =
  /** Recorded before: nothing was done again. */
  | 'duplicate'
  /** A type Easel does not act on: not recorded, so that a later Easel that does can still apply it. */
  | 'ignored'
  /** About a checkout Easel did not start (another integration on the same Stripe account). */
  | 'not_ours'
  | 'granted'
  /** The session's pack had been granted by an earlier event (each session grants once). */
  | 'already_granted'
  /** Completed, not paid yet (an asynchronous method): nothing is granted until it is. */
  | 'pending'
  | 'failed'
  | 'expired'
  /** Paid, but not what Easel asked for: not granted, left for the operator (and logged). */
  | 'amount_mismatch'

export interface EventContext {
  db: Database
  ledger: Ledger
  provider: HostedCheckoutProvider
}

type Intent = Pick<
  PurchaseIntentsTable,
  | 'reference'
  | 'account_id'
  | 'status'
  | 'pack_id'
  | 'quantity'
  | 'amount_minor'
  | 'currency'
  | 'session_id'
  | 'created_at'
>

type CheckoutHandler = (
  ctx: EventContext,
  event: PaymentEvent,
  session: CheckoutSession,
  intent: Intent,
) => Promise<EventOutcome>

/**
 * One handler per event type Easel acts on. Refunds, disputes and invoices join as entries here
 * (with their own subject kind in `PaymentEvent`); every handler records its event with
 * {@link recordEvent} in the transaction of its effect.
 */
const CHECKOUT_HANDLERS: Record<string, CheckoutHandler> = {
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
 * Applies one verified event: the webhook's path and `easel billing reconcile`'s. An event seen
 * before does nothing; an error is thrown, never swallowed, so that the provider delivers the event
 * again (a 5xx) or reconcile reports it.
 */
export async function applyPaymentEvent(ctx: EventContext, event: PaymentEvent): Promise<EventOutcome> {
  if (event.subject.kind !== 'checkout' || !(event.type in CHECKOUT_HANDLERS)) return 'ignored'
  if (await isRecorded(ctx, event.id)) return 'duplicate'
  const found = await findIntent(ctx, event.subject.session)
  if (!found)
    return await recordEvent(ctx, event, { outcome: 'not_ours', objectId: event.subject.session.id })
  return CHECKOUT_HANDLERS[event.type]!(ctx, event, found.session, found.intent)
}

/**
 * The intent of a session. Known by its session id, the event's copy of the session is used. Not
 * known yet (the event overtook the answer to the checkout request, or says little), the session
 * is fetched from the provider and its current state used: it names the intent it was made for.
 */
async function findIntent(
  ctx: EventContext,
  session: CheckoutSession,
): Promise<{ intent: Intent; session: CheckoutSession } | null> {
  const bySession = await intents(ctx).where('session_id', '=', session.id).executeTakeFirst()
  if (bySession) return { intent: bySession, session }
  const current = await ctx.provider.retrieveCheckout(session.id)
  if (current.reference === null) return null
  const byReference = await intents(ctx).where('reference', '=', current.reference).executeTakeFirst()
  if (!byReference || (byReference.session_id !== null && byReference.session_id !== current.id)) return null
  return { intent: byReference, session: current }
}

function intents(ctx: EventContext) {
  return ctx.db.kysely
    .selectFrom('purchase_intents')
    .select([
      'reference',
      'account_id',
      'status',
      'pack_id',
      'quantity',
      'amount_minor',
      'currency',
      'session_id',
      'created_at',
    ])
    .where('provider', '=', ctx.provider.name)
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
  if (session.amountTotalMinor !== intent.amount_minor || session.currency !== intent.currency) {
    const outcome = JSON.stringify({
      expected: { amountMinor: intent.amount_minor, currency: intent.currency },
      paid: { amountMinor: session.amountTotalMinor, currency: session.currency },
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
  const granted = await ctx.ledger.completePurchase(
    {
      accountId: intent.account_id,
      packId: intent.pack_id!,
      quantity: intent.quantity!,
      amountPaidMinor: intent.amount_minor!,
      currency: intent.currency!,
      providerReference: intent.reference,
      // What the buyer was quoted when the checkout started is what they paid for.
      pricedAt: Number(intent.created_at),
    },
    {
      alsoWrite: async (tx, _receipt, now) => {
        outcome = await writeEvent(tx, now, ctx, event, { outcome: 'granted', intent, status: 'completed' })
      },
    },
  )
  if (!granted.ok) {
    throw new Error(
      `granting the pack of ${session.id} failed: ${granted.error.code}: ${granted.error.message}`,
    )
  }
  return outcome
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

async function isRecorded(ctx: EventContext, eventId: string): Promise<boolean> {
  const row = await ctx.db.kysely
    .selectFrom('payment_events')
    .select('event_id')
    .where('provider', '=', ctx.provider.name)
    .where('event_id', '=', eventId)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Records the event and, only if this transaction is the one that recorded it, its effect on the
 * intent: the session it is about, and its new status. Concurrent deliveries of one event race on
 * the primary key; the losers change nothing and answer 'duplicate'.
 */
function recordEvent(ctx: EventContext, event: PaymentEvent, what: EventRecord): Promise<EventOutcome> {
  return ctx.db.write(
    { name: 'recordPaymentEvent', locks: {}, run: (tx, now) => writeEvent(tx, now, ctx, event, what) },
    ctx.ledger.clock,
  )
}

/** What {@link writeEvent} records of an event: its outcome, and what it does to the intent. */
interface EventRecord {
  outcome: EventOutcome
  intent?: Intent
  objectId?: string
  status?: 'completed' | 'failed' | 'expired' | 'amount_mismatch'
  detail?: string
}

/** {@link recordEvent}'s work, inside a transaction: the billing's own, or the grant's. */
async function writeEvent(
  tx: SqlTx,
  now: number,
  ctx: EventContext,
  event: PaymentEvent,
  what: EventRecord,
): Promise<EventOutcome> {
  const { intent } = what
  const objectId = what.objectId ?? (event.subject.kind === 'checkout' ? event.subject.session.id : null)
  const inserted = await tx.run(
    `insert into payment_events (provider, event_id, type, object_id, account_id, outcome, created_at, received_at)
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (provider, event_id) do nothing`,
    [
      ctx.provider.name,
      event.id,
      event.type,
      objectId,
      intent?.account_id ?? null,
      what.outcome,
      event.createdAt,
      now,
    ],
  )
  if (inserted === 0) return 'duplicate'
  if (intent && objectId !== null) {
    // The session is the intent's from now on, even if the checkout request never stored it.
    await tx.run(
      'update purchase_intents set session_id = ?, updated_at = ? where reference = ? and session_id is null',
      [objectId, now, intent.reference],
    )
  }
  if (intent && what.status) {
    // Only a pending intent moves, except to completed: a grant is final whatever came before.
    await tx.run(
      `update purchase_intents set status = ?, outcome = ?, updated_at = ?
       where reference = ? and (status = 'pending' or ? = 'completed') and status <> 'completed'`,
      [what.status, what.detail ?? null, now, intent.reference, what.status],
    )
  }
  return what.outcome
}
