import type { SqlTx } from '../db/writer/index.ts'
import {
  type EventContext,
  type EventOutcome,
  type Intent,
  moveIntent,
  recordEvent,
  writeEvent,
} from './event-records.ts'
import type { CheckoutSession, InvoiceState, PaymentEvent, SubscriptionState } from './provider.ts'
import { recordMovement } from './purchase-records.ts'
import {
  ENDS_PLAN,
  findSubscription,
  insertSubscription,
  linkFromIntent,
  liveSubscriptions,
  type SubscriptionLink,
  storeState,
} from './subscription-records.ts'

// A paid plan's events (DESIGN §8: "a plan: each paid invoice" is the one trigger of its grants).
// The checkout links the subscription to the account and grants nothing; each `invoice.paid`
// grants the plan's credits for the invoice's period, once per invoice, moving the account to the
// plan; the subscription's own events keep its state, and its end returns the account to the
// book's default plan. Every event is recorded in the transaction of its effect.

export const INVOICE_EVENT_TYPES: readonly string[] = ['invoice.paid', 'invoice.payment_failed']
export const SUBSCRIPTION_EVENT_TYPES: readonly string[] = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
]

/**
 * The words these events answer with (`EventOutcome`, the webhook's and reconcile's vocabulary):
 * a subscription's checkout completed is `pending` (its credits come with its paid invoices), a
 * state stored that leaves the plan as it is `already_applied` (nothing granted or taken), a plan
 * ended `expired`.
 */
const SUBSCRIBED: EventOutcome = 'pending'
const STATE_STORED: EventOutcome = 'already_applied'
const PLAN_ENDED: EventOutcome = 'expired'

/**
 * A plan's checkout session event. Completed: the subscription it started is stored as the
 * account's and the intent completed — no credits (the paid invoice grants them). Failed or
 * expired: the intent says so, unless it completed already.
 */
export async function subscriptionCheckout(
  ctx: EventContext,
  event: PaymentEvent,
  session: CheckoutSession,
  intent: Intent,
): Promise<EventOutcome> {
  if (event.type === 'checkout.session.expired' || event.type === 'checkout.session.async_payment_failed') {
    if (intent.status === 'completed') return recordEvent(ctx, event, { outcome: 'already_applied', intent })
    const outcome = event.type === 'checkout.session.expired' ? 'expired' : 'failed'
    return recordEvent(ctx, event, { outcome, intent, status: outcome })
  }
  const subscriptionId =
    session.subscriptionId ?? (await ctx.provider.retrieveCheckout(session.id)).subscriptionId
  // Completed without a subscription yet (its payment is still being made): the intent waits.
  if (subscriptionId === null) return recordEvent(ctx, event, { outcome: 'pending', intent })
  const state = await ctx.provider.retrieveSubscription(subscriptionId)
  const link = await linkFromIntent(ctx, { ...state, reference: state.reference ?? intent.reference })
  if (!link || link.intentReference !== intent.reference) {
    throw new Error(
      `subscription ${subscriptionId} of session ${session.id} does not name its intent ${intent.reference}`,
    )
  }
  return ctx.db.write(
    {
      name: 'subscriptionCheckout',
      locks: { accounts: [intent.account_id] },
      run: async (tx, now) => {
        await insertSubscription(tx, now, ctx.provider.name, link)
        return writeEvent(tx, now, ctx, event, { outcome: SUBSCRIBED, intent, status: 'completed' })
      },
    },
    ctx.ledger.clock,
  )
}

/**
 * `invoice.paid` grants the plan's credits for the invoice's period (expiring at its end), once
 * per invoice however often and concurrently it is delivered, with the plan, the subscription's
 * row and the event in one transaction. Not granted: an invoice not paid in full at the price
 * subscribed (`amount_mismatch`, for the operator), one of a subscription that ended for good or
 * for a period already over (`expired`). `invoice.payment_failed` is recorded: the provider
 * retries, and the subscription's `past_due` keeps the plan meanwhile.
 */
export async function invoiceEvent(
  ctx: EventContext,
  event: PaymentEvent,
  invoice: InvoiceState,
): Promise<EventOutcome> {
  const link = invoice.subscriptionId === null ? null : await findSubscription(ctx, invoice.subscriptionId)
  if (!link) return recordEvent(ctx, event, { outcome: 'not_ours' })
  const whose = { accountId: link.accountId }
  if (event.type === 'invoice.payment_failed') return recordEvent(ctx, event, { outcome: 'failed', ...whose })
  if (invoice.status !== 'paid') return recordEvent(ctx, event, { outcome: 'pending', ...whose })
  if (invoice.currency !== link.currency || (invoice.amountPaidMinor ?? 0) < link.priceMinor) {
    return recordEvent(ctx, event, { outcome: 'amount_mismatch', ...whose })
  }
  const { periodStart, periodEnd } = invoice
  if (periodStart === null || periodEnd === null) throw new Error(`invoice ${invoice.id} names no period`)
  if (
    link.status === 'canceled' ||
    link.status === 'incomplete_expired' ||
    periodEnd <= ctx.ledger.clock.now()
  ) {
    return recordEvent(ctx, event, { outcome: 'expired', ...whose })
  }
  let outcome: EventOutcome = 'granted'
  const granted = await ctx.ledger.grantPlanInvoice(
    {
      accountId: link.accountId,
      plan: link.planId,
      invoiceId: invoice.id,
      periodStart,
      periodEnd,
      // The first period is priced as the subscriber was quoted it (the book when they subscribed).
      pricedAt: Math.max(periodStart, link.quotedAt),
      costBasis: { amountMinor: link.priceMinor, currency: link.currency },
    },
    {
      alsoWrite: async (tx, receipt, now) => {
        await insertSubscription(tx, now, ctx.provider.name, link)
        await tx.run(
          `update subscriptions set current_period_end = ?, updated_at = ?
           where provider = ? and subscription_id = ? and (current_period_end is null or current_period_end < ?)`,
          [periodEnd, now, ctx.provider.name, link.subscriptionId, periodEnd],
        )
        // The first invoice may come before the checkout's event: the intent is done either way.
        await moveIntent(tx, now, { reference: link.intentReference }, 'completed', null)
        outcome = await writeEvent(tx, now, ctx, event, {
          outcome: receipt.replayed ? 'already_granted' : 'granted',
          ...whose,
        })
        // The money the invoice brought in, for the operator's report (once: with the event).
        if (outcome === 'granted') {
          recordMovement(tx, now, {
            reference: `invoice:${invoice.id}`,
            accountId: link.accountId,
            kind: 'payment',
            amountMinor: invoice.amountPaidMinor ?? 0,
            currency: invoice.currency,
          })
        }
      },
    },
  )
  if (!granted.ok) {
    // The period ended between the check above and the grant's transaction.
    if (granted.error.code === 'VALIDATION' && granted.error.field === 'periodEnd') {
      return recordEvent(ctx, event, { outcome: 'expired', ...whose })
    }
    throw new Error(`granting invoice ${invoice.id} failed: ${granted.error.code}: ${granted.error.message}`)
  }
  return outcome
}

/**
 * A subscription was created, changed or deleted: its state is stored — the provider's current
 * one, fetched, since its events may arrive out of order; a deletion is final — and when it no
 * longer holds the plan (deleted at its period's end or lapsed after failed renewals, unpaid,
 * paused) the account returns to the book's default plan, unless another live subscription of
 * its holds that plan. Lots are never touched: the last paid period's credits run out at their
 * own expiry, purchased credits stay.
 */
export async function subscriptionEvent(
  ctx: EventContext,
  event: PaymentEvent,
  subscription: SubscriptionState,
): Promise<EventOutcome> {
  const link = await findSubscription(ctx, subscription.id, subscription)
  if (!link) return recordEvent(ctx, event, { outcome: 'not_ours' })
  const state =
    event.type === 'customer.subscription.deleted'
      ? { ...subscription, status: 'canceled' }
      : await ctx.provider.retrieveSubscription(subscription.id)
  const whose = { accountId: link.accountId }
  const store = async (tx: SqlTx, now: number) => {
    await insertSubscription(tx, now, ctx.provider.name, { ...link, ...stateOf(state) })
    await storeState(tx, now, ctx.provider.name, state)
  }
  if (!ENDS_PLAN.has(state.status) || (await planHeldElsewhere(ctx, link))) {
    return ctx.db.write(
      {
        name: 'subscriptionEvent',
        locks: { accounts: [link.accountId] },
        run: async (tx, now) => {
          await store(tx, now)
          return writeEvent(tx, now, ctx, event, { outcome: STATE_STORED, ...whose })
        },
      },
      ctx.ledger.clock,
    )
  }
  let outcome: EventOutcome = PLAN_ENDED
  const ended = await ctx.ledger.endPlan(link.accountId, link.planId, {
    alsoWrite: async (tx, _ended, now) => {
      await store(tx, now)
      outcome = await writeEvent(tx, now, ctx, event, { outcome: PLAN_ENDED, ...whose })
    },
  })
  if (!ended.ok)
    throw new Error(`ending plan ${link.planId} of ${link.accountId} failed: ${ended.error.message}`)
  return outcome
}

function stateOf(
  state: SubscriptionState,
): Pick<SubscriptionLink, 'status' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'> {
  return {
    status: state.status,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    currentPeriodEnd: state.currentPeriodEnd,
  }
}

/** Whether another of the account's subscriptions still holds the same plan (two checkouts both paid). */
async function planHeldElsewhere(ctx: EventContext, link: SubscriptionLink): Promise<boolean> {
  const live = await liveSubscriptions(ctx.db, ctx.provider.name, link.accountId)
  return live.some(
    (s) => s.subscriptionId !== link.subscriptionId && s.planId === link.planId && !ENDS_PLAN.has(s.status),
  )
}
