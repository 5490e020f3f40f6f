import type { Selectable } from 'kysely'
import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { PurchaseIntentsTable } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import type { HostedCheckoutProvider, PaymentEvent } from './provider.ts'
import type { BillingSettings } from './purchase-records.ts'

/**
 * What Easel did with a provider's event (recorded with it, and said by `easel billing reconcile`);
 * the webhook's answer lists the same words (`StripeWebhookBody` in contracts/billing.ts).
 */
export type EventOutcome =
  /** Recorded before: nothing was done again. */
  | 'duplicate'
  /** A type Easel does not act on: not recorded, so that a later Easel that does can still apply it. */
  | 'ignored'
  /** About a checkout or a payment Easel did not start (another integration on the same account). */
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
  /** A refund or a dispute took the purchase's unspent credits (as many as it could). */
  | 'revoked'
  /** A dispute was won: the credits it took are back. */
  | 'reinstated'
  /** A dispute was lost: the credits it took stay revoked. */
  | 'dispute_lost'
  /** Said of a state already applied (an older refund total, a dispute seen closed): nothing changed. */
  | 'already_applied'

export interface EventContext {
  db: Database
  ledger: Ledger
  provider: HostedCheckoutProvider
  settings: BillingSettings
}

export type Intent = Pick<
  Selectable<PurchaseIntentsTable>,
  | 'reference'
  | 'account_id'
  | 'status'
  | 'pack_id'
  | 'quantity'
  | 'amount_minor'
  | 'currency'
  | 'session_id'
  | 'created_at'
  | 'kind'
  | 'plan_id'
  | 'payment_id'
  | 'save_card'
>

/** The provider's intents, with the columns of {@link Intent}, to narrow by reference, session or payment. */
export function intentsOf(ctx: Pick<EventContext, 'db' | 'provider'>) {
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
      'kind',
      'plan_id',
      'payment_id',
      'save_card',
    ])
    .where('provider', '=', ctx.provider.name)
}

/** What {@link writeEvent} records of an event: its outcome, and what it does to the intent. */
export interface EventRecord {
  outcome: EventOutcome
  intent?: Intent
  /** Whose event it is, when it is not about an intent (a payment's refund or dispute). */
  accountId?: string
  objectId?: string
  status?: 'completed' | 'failed' | 'expired' | 'amount_mismatch'
  detail?: string
}

export async function isRecorded(ctx: EventContext, eventId: string): Promise<boolean> {
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
export function recordEvent(
  ctx: EventContext,
  event: PaymentEvent,
  what: EventRecord,
  locks: { accounts?: string[] } = {},
): Promise<EventOutcome> {
  return ctx.db.write(
    { name: 'recordPaymentEvent', locks, run: (tx, now) => writeEvent(tx, now, ctx, event, what) },
    ctx.ledger.clock,
  )
}

/** What an event is about: the object its provider named. */
function objectOf(event: PaymentEvent): string | null {
  switch (event.subject.kind) {
    case 'checkout':
      return event.subject.session.id
    case 'charge':
      return event.subject.charge.id
    case 'dispute':
      return event.subject.dispute.id
    case 'payment':
      return event.subject.payment.id
    case 'invoice':
      return event.subject.invoice.id
    case 'subscription':
      return event.subject.subscription.id
    case 'other':
      return event.subject.objectId
  }
}

/** {@link recordEvent}'s work, inside a transaction: the billing's own, or a ledger operation's. */
export async function writeEvent(
  tx: SqlTx,
  now: number,
  ctx: EventContext,
  event: PaymentEvent,
  what: EventRecord,
): Promise<EventOutcome> {
  const { intent } = what
  const objectId = what.objectId ?? objectOf(event)
  const inserted = await tx.run(
    `insert into payment_events (provider, event_id, type, object_id, account_id, outcome, created_at, received_at)
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (provider, event_id) do nothing`,
    [
      ctx.provider.name,
      event.id,
      event.type,
      objectId,
      intent?.account_id ?? what.accountId ?? null,
      what.outcome,
      event.createdAt,
      now,
    ],
  )
  if (inserted === 0) return 'duplicate'
  if (intent && objectId !== null && event.subject.kind === 'checkout') {
    // The session is the intent's from now on, even if the checkout request never stored it.
    await tx.run(
      'update purchase_intents set session_id = ?, updated_at = ? where reference = ? and session_id is null',
      [objectId, now, intent.reference],
    )
  }
  if (intent && what.status) await moveIntent(tx, now, intent, what.status, what.detail ?? null)
  return what.outcome
}

/** Moves a pending intent to `status`; a completed one never moves, and any moves to completed. */
export async function moveIntent(
  tx: SqlTx,
  now: number,
  intent: Pick<Intent, 'reference'>,
  status: NonNullable<EventRecord['status']>,
  detail: string | null,
): Promise<void> {
  await tx.run(
    `update purchase_intents set status = ?, outcome = ?, updated_at = ?
     where reference = ? and (status = 'pending' or ? = 'completed') and status <> 'completed'`,
    [status, detail, now, intent.reference, status],
  )
}
