import type { Selectable } from 'kysely'
import type { Database } from '../db/open.ts'
import type { SubscriptionsTable } from '../db/schema-plans.ts'
import type { SqlTx } from '../db/writer/index.ts'
import type { EventContext } from './event-records.ts'
import type { SubscriptionState } from './provider.ts'

/** Statuses a subscription never leaves: its row is not updated again. */
export const ENDED_FOR_GOOD: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired'])

/**
 * Statuses in which the account is not on the subscription's plan: ended for good, or given up
 * on by the provider without being deleted (`unpaid`, `paused`). `past_due` keeps the plan: the
 * provider is still retrying the renewal. A later paid invoice brings the plan back.
 */
export const ENDS_PLAN: ReadonlySet<string> = new Set([...ENDED_FOR_GOOD, 'unpaid', 'paused'])

/** A subscription as Easel knows it: whose, which plan, at what price, and its provider's state. */
export interface SubscriptionLink {
  subscriptionId: string
  accountId: string
  planId: string
  intentReference: string
  customerId: string | null
  status: string
  cancelAtPeriodEnd: boolean
  currentPeriodEnd: number | null
  priceMinor: number
  currency: string
  /** When the subscriber was quoted the plan (its intent's creation): its first period's book. */
  quotedAt: number
}

export const linkOfRow = (row: Selectable<SubscriptionsTable> & { quoted_at: number }): SubscriptionLink => ({
  subscriptionId: row.subscription_id,
  accountId: row.account_id,
  planId: row.plan_id,
  intentReference: row.intent_reference,
  customerId: row.customer_id,
  status: row.status,
  cancelAtPeriodEnd: Number(row.cancel_at_period_end) === 1,
  currentPeriodEnd: row.current_period_end === null ? null : Number(row.current_period_end),
  priceMinor: Number(row.price_minor),
  currency: row.currency,
  quotedAt: Number(row.quoted_at),
})

export async function readSubscription(
  db: Database,
  provider: string,
  subscriptionId: string,
): Promise<SubscriptionLink | null> {
  const row = await rows(db)
    .where('s.provider', '=', provider)
    .where('s.subscription_id', '=', subscriptionId)
    .executeTakeFirst()
  return row ? linkOfRow(row) : null
}

/**
 * The subscription an event is about. Stored already, its row; else (its event overtook the
 * checkout's) the provider's subscription, linked through the intent its metadata names — the
 * intent says whose it is, which plan and at what price. Null when it is not this installation's.
 */
export async function findSubscription(
  ctx: EventContext,
  subscriptionId: string,
  known?: SubscriptionState,
): Promise<SubscriptionLink | null> {
  const stored = await readSubscription(ctx.db, ctx.provider.name, subscriptionId)
  if (stored) return stored
  const state = known?.reference ? known : await ctx.provider.retrieveSubscription(subscriptionId)
  return linkFromIntent(ctx, state)
}

/** The link a provider's subscription makes with the subscription intent it names, if it is ours. */
export async function linkFromIntent(
  ctx: EventContext,
  state: SubscriptionState,
): Promise<SubscriptionLink | null> {
  if (state.reference === null) return null
  const intent = await ctx.db.kysely
    .selectFrom('purchase_intents')
    .select(['reference', 'account_id', 'plan_id', 'amount_minor', 'currency', 'created_at'])
    .where('provider', '=', ctx.provider.name)
    .where('reference', '=', state.reference)
    .where('kind', '=', 'subscription')
    .executeTakeFirst()
  if (!intent || intent.plan_id === null || intent.amount_minor === null || intent.currency === null)
    return null
  // Metadata names the plan too: one that disagrees with the intent is not the intent's subscription.
  if (state.planId !== null && state.planId !== intent.plan_id) return null
  return {
    subscriptionId: state.id,
    accountId: intent.account_id,
    planId: intent.plan_id,
    intentReference: intent.reference,
    customerId: state.customerId,
    status: state.status,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    currentPeriodEnd: state.currentPeriodEnd,
    priceMinor: Number(intent.amount_minor),
    currency: intent.currency,
    quotedAt: Number(intent.created_at),
  }
}

/** Stores a subscription seen for the first time; one stored already is left as it is. */
export async function insertSubscription(
  tx: SqlTx,
  now: number,
  provider: string,
  link: SubscriptionLink,
): Promise<void> {
  await tx.run(
    `insert into subscriptions (provider, subscription_id, account_id, plan_id, intent_reference, customer_id,
       status, cancel_at_period_end, current_period_end, price_minor, currency, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (provider, subscription_id) do nothing`,
    [
      provider,
      link.subscriptionId,
      link.accountId,
      link.planId,
      link.intentReference,
      link.customerId,
      link.status,
      link.cancelAtPeriodEnd ? 1 : 0,
      link.currentPeriodEnd,
      link.priceMinor,
      link.currency,
      now,
      now,
    ],
  )
}

/**
 * Stores the provider's state of a stored subscription, unless it ended for good (a canceled
 * subscription is never reactivated: a late event saying otherwise is older than its end).
 * Returns whether anything changed.
 */
export async function storeState(
  tx: SqlTx,
  now: number,
  provider: string,
  state: Pick<SubscriptionState, 'id' | 'status' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'>,
): Promise<boolean> {
  const changed = await tx.run(
    `update subscriptions set status = ?, cancel_at_period_end = ?, current_period_end = ?, updated_at = ?
     where provider = ? and subscription_id = ? and status not in ('canceled', 'incomplete_expired')
       and (status <> ? or cancel_at_period_end <> ? or coalesce(current_period_end, -1) <> ?)`,
    [
      state.status,
      state.cancelAtPeriodEnd ? 1 : 0,
      state.currentPeriodEnd,
      now,
      provider,
      state.id,
      state.status,
      state.cancelAtPeriodEnd ? 1 : 0,
      state.currentPeriodEnd ?? -1,
    ],
  )
  return changed > 0
}

/** The account's subscriptions that have not ended for good, newest first. */
export async function liveSubscriptions(
  db: Database,
  provider: string,
  accountId: string,
): Promise<SubscriptionLink[]> {
  const live = await rows(db)
    .where('s.provider', '=', provider)
    .where('s.account_id', '=', accountId)
    .where('s.status', 'not in', [...ENDED_FOR_GOOD])
    .orderBy('s.created_at', 'desc')
    .execute()
  return live.map(linkOfRow)
}

/** Subscriptions with when their intent was made. */
function rows(db: Database) {
  return db.kysely
    .selectFrom('subscriptions as s')
    .innerJoin('purchase_intents as i', 'i.reference', 's.intent_reference')
    .selectAll('s')
    .select('i.created_at as quoted_at')
}
