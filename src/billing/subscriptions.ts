import { createHash } from 'node:crypto'
import {
  isPricedPlan,
  type Ledger,
  majorUnits,
  type PriceBook,
  planOf,
  type Result,
} from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import { newId } from '../util/ids.ts'
import type { CheckoutOpened } from './hosted-checkout.ts'
import type { HostedCheckoutProvider, PaymentProvider, SubscriptionState } from './provider.ts'
import { ENDS_PLAN, liveSubscriptions, type SubscriptionLink, storeState } from './subscription-records.ts'

/** A plan's refusals. */
export type PlanError =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'IDEMPOTENCY_CONFLICT'; message: string }
  | { code: 'NO_PAYMENT_PROVIDER'; message: string }
  /** One plan at a time: the account has a subscription that has not ended. */
  | { code: 'ALREADY_SUBSCRIBED'; message: string }
  /** Nothing to cancel or resume. */
  | { code: 'NOT_SUBSCRIBED'; message: string }

/** A plan of the book as it is offered: its allowance and its price for a month. */
export interface PlanOffer {
  id: string
  name: string
  monthlyCredits: number
  priceMinor: number
  currency: string
  /** Major units in the currency's own digits: "20.00". */
  price: string
}

/** The account's plan, its price and subscription, and the plans on sale. */
export interface PlanView {
  plan: string
  planName: string
  monthlyCredits: number
  /** What the plan costs a month (as subscribed, else as the book says); null for a free plan. */
  priceMinor: number | null
  currency: string
  price: string | null
  subscription: {
    id: string
    /** The provider's word: active, past_due, unpaid, incomplete, … */
    status: string
    cancelAtPeriodEnd: boolean
    currentPeriodEnd: number | null
  } | null
  /** When the plan renews (its next invoice), unless it is cancelled. */
  renewsAt: number | null
  /** When a cancelled plan ends and the account returns to the free plan. */
  endsAt: number | null
  /** The priced plans of the book in force, cheapest first. */
  offers: PlanOffer[]
  /** Whether plans can be subscribed to here (a hosted checkout is configured). */
  canSubscribe: boolean
}

/** How long a provider's checkout stays open (Stripe: 24 hours): a pending one is reused meanwhile. */
const CHECKOUT_OPEN_MS = 24 * 3_600_000

/** "pro" → "Pro", "team-large" → "Team large": the book names plans by slug only. */
export const planName = (id: string) => (id.charAt(0).toUpperCase() + id.slice(1)).replace(/[-_]/g, ' ')

/**
 * Paid plans: an account's plan and subscription, subscribing through the provider's checkout
 * (`mode=subscription`), cancelling at the period's end and taking that back. The credits and the
 * plan itself follow the provider's events (`subscription-events.ts`); what this writes is the
 * intent before the checkout, and the provider's answer to a cancel or resume, so that the view
 * is right before its event arrives.
 */
export class Plans {
  constructor(
    private readonly db: Database,
    private readonly ledger: Ledger,
    /** Null, or not a hosted checkout: plans are shown, not sold. */
    private readonly provider: PaymentProvider | null,
  ) {}

  async view(accountId: string): Promise<PlanView> {
    const now = this.ledger.clock.now()
    const book = this.book(now)
    const account = await this.db.kysely
      .selectFrom('accounts')
      .select('plan')
      .where('id', '=', accountId)
      .executeTakeFirst()
    const plan = account?.plan ?? book.allowances.defaultPlan
    const rules = planOf(book, plan)
    const current = await this.current(accountId)
    const subscribed = current?.planId === plan ? current : null
    const priceMinor = subscribed?.priceMinor ?? (rules && isPricedPlan(rules) ? rules.priceMinor! : null)
    const currency = subscribed?.currency ?? book.currency
    const ends = subscribed?.cancelAtPeriodEnd === true
    return {
      plan,
      planName: planName(plan),
      monthlyCredits: rules?.monthlyCredits ?? 0,
      priceMinor,
      currency,
      price: priceMinor === null ? null : majorUnits({ amountMinor: priceMinor, currency }),
      subscription: current && {
        id: current.subscriptionId,
        status: current.status,
        cancelAtPeriodEnd: current.cancelAtPeriodEnd,
        currentPeriodEnd: current.currentPeriodEnd,
      },
      renewsAt: subscribed && !ends ? subscribed.currentPeriodEnd : null,
      endsAt: ends ? (subscribed?.currentPeriodEnd ?? null) : null,
      offers: offersOf(book),
      canSubscribe: this.hosted() !== null,
    }
  }

  /**
   * Opens the provider's checkout for a priced plan of the book in force: records the
   * subscription intent (kind `subscription`, the plan, its price) first, then asks the provider,
   * with the intent as its idempotency key. An account with a live subscription is refused (one
   * plan at a time); its checkout for the same plan still open is answered again rather than a
   * second one opened. With an Idempotency-Key, a retry answers the same session.
   */
  async subscribe(input: {
    accountId: string
    planId: string
    /** The studio's address: the subscriber comes back to `<base>/credits`. */
    returnBase: string
    idempotencyKey?: string
  }): Promise<Result<CheckoutOpened, PlanError>> {
    const provider = this.hosted()
    if (!provider)
      return refuse(
        'NO_PAYMENT_PROVIDER',
        'plans are subscribed to through a hosted checkout (Stripe), which this installation does not have',
      )
    const now = this.ledger.clock.now()
    const book = this.book(now)
    const offer = offersOf(book).find((o) => o.id === input.planId)
    if (!offer) {
      const onSale = offersOf(book).map((o) => o.id)
      return {
        ok: false,
        error: {
          code: 'VALIDATION',
          field: 'planId',
          message: `planId: must be a plan on sale: ${onSale.length > 0 ? onSale.join(', ') : 'there is none'}`,
        },
      }
    }
    if (await this.current(input.accountId)) {
      return refuse(
        'ALREADY_SUBSCRIBED',
        'you are subscribed to a plan already: cancel it first, or wait for it to end',
      )
    }
    const hash = createHash('sha256')
      .update(JSON.stringify(['subscribe', input.planId]))
      .digest('hex')
    const open = await this.openIntent(input.accountId, input.planId, now)
    if (open && input.idempotencyKey === undefined) return { ok: true, value: open }
    const reference =
      input.idempotencyKey === undefined
        ? newId('pur')
        : `pur_sub_${createHash('sha256').update(`${input.accountId}\n${input.idempotencyKey}`).digest('hex').slice(0, 32)}`
    const inserted = await this.db.kysely
      .insertInto('purchase_intents')
      .values({
        reference,
        account_id: input.accountId,
        request_hash: hash,
        status: 'pending',
        outcome: null,
        created_at: now,
        updated_at: now,
        provider: provider.name,
        kind: 'subscription',
        plan_id: input.planId,
        amount_minor: offer.priceMinor,
        currency: offer.currency,
      })
      .onConflict((oc) => oc.column('reference').doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      const seen = await this.db.kysely
        .selectFrom('purchase_intents')
        .select(['request_hash', 'session_id', 'checkout_url'])
        .where('reference', '=', reference)
        .executeTakeFirstOrThrow()
      if (seen.request_hash !== hash) {
        return refuse('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used for a different request')
      }
      if (seen.session_id !== null && seen.checkout_url !== null) {
        return { ok: true, value: { sessionId: seen.session_id, checkoutUrl: seen.checkout_url } }
      }
    }
    const started = await provider.startSubscription({
      accountId: input.accountId,
      reference,
      planId: input.planId,
      description: `Easel ${offer.name} — ${offer.monthlyCredits} credits a month`,
      unitAmountMinor: offer.priceMinor,
      currency: offer.currency,
      successUrl: `${input.returnBase}/credits?subscribed={SESSION}`,
      cancelUrl: `${input.returnBase}/credits`,
      customerId: await this.customerOf(input.accountId),
    })
    // The session may be stored already: an event about it overtook this answer.
    await this.db.kysely
      .updateTable('purchase_intents')
      .set({ session_id: started.sessionId, checkout_url: started.url, updated_at: this.ledger.clock.now() })
      .where('reference', '=', reference)
      .execute()
    return { ok: true, value: { sessionId: started.sessionId, checkoutUrl: started.url } }
  }

  /** Cancels the account's subscription at its period's end: the plan and its credits last until then. */
  cancel(accountId: string): Promise<Result<PlanView, PlanError>> {
    return this.setCancel(accountId, true)
  }

  /** Takes a cancellation back before the period ends: the plan renews as before. */
  resume(accountId: string): Promise<Result<PlanView, PlanError>> {
    return this.setCancel(accountId, false)
  }

  private async setCancel(accountId: string, cancel: boolean): Promise<Result<PlanView, PlanError>> {
    const provider = this.hosted()
    const current = provider ? await this.current(accountId) : null
    if (!provider || !current || ENDS_PLAN.has(current.status)) {
      return refuse('NOT_SUBSCRIBED', `you have no subscription to ${cancel ? 'cancel' : 'resume'}`)
    }
    if (current.cancelAtPeriodEnd !== cancel) {
      const state = await provider.setCancelAtPeriodEnd(current.subscriptionId, cancel)
      await this.store(accountId, state)
    }
    return { ok: true, value: await this.view(accountId) }
  }

  /** Stores the provider's answer now; its event, when it comes, stores the same. */
  private store(accountId: string, state: SubscriptionState): Promise<boolean> {
    const provider = this.hosted()!
    return this.db.write(
      {
        name: 'storeSubscription',
        locks: { accounts: [accountId] },
        run: (tx, now) => storeState(tx, now, provider.name, state),
      },
      this.ledger.clock,
    )
  }

  /** The account's newest subscription that has not ended for good, if any. */
  private async current(accountId: string): Promise<SubscriptionLink | null> {
    const provider = this.hosted()
    if (!provider) return null
    return (await liveSubscriptions(this.db, provider.name, accountId))[0] ?? null
  }

  /** The account's checkout for this plan still open at the provider, if any. */
  private async openIntent(accountId: string, planId: string, now: number): Promise<CheckoutOpened | null> {
    const row = await this.db.kysely
      .selectFrom('purchase_intents')
      .select(['session_id', 'checkout_url'])
      .where('account_id', '=', accountId)
      .where('provider', '=', this.hosted()!.name)
      .where('kind', '=', 'subscription')
      .where('plan_id', '=', planId)
      .where('status', '=', 'pending')
      .where('created_at', '>', now - CHECKOUT_OPEN_MS)
      .where('session_id', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    return row?.session_id && row.checkout_url
      ? { sessionId: row.session_id, checkoutUrl: row.checkout_url }
      : null
  }

  /** The account's customer at the provider, from an earlier subscription, so that it is reused. */
  private async customerOf(accountId: string): Promise<string | null> {
    const row = await this.db.kysely
      .selectFrom('subscriptions')
      .select('customer_id')
      .where('account_id', '=', accountId)
      .where('provider', '=', this.hosted()!.name)
      .where('customer_id', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    return row?.customer_id ?? null
  }

  private book(now: number): PriceBook {
    const book = this.ledger.pricing?.bookAt(now)
    if (!book) throw new Error('plans need a price book')
    return book
  }

  private hosted(): HostedCheckoutProvider | null {
    return this.provider?.kind === 'hosted' ? this.provider : null
  }
}

/** The priced plans of `book`, cheapest first. */
function offersOf(book: PriceBook): PlanOffer[] {
  return Object.entries(book.allowances.plans)
    .filter(([, plan]) => isPricedPlan(plan))
    .map(([id, plan]) => ({
      id,
      name: planName(id),
      monthlyCredits: plan.monthlyCredits,
      priceMinor: plan.priceMinor!,
      currency: book.currency,
      price: majorUnits({ amountMinor: plan.priceMinor!, currency: book.currency }),
    }))
    .sort((a, b) => a.priceMinor - b.priceMinor || a.id.localeCompare(b.id))
}

function refuse(
  code: Exclude<PlanError['code'], 'VALIDATION'>,
  message: string,
): { ok: false; error: PlanError } {
  return { ok: false, error: { code, message } }
}
