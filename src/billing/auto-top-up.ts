import type { Ledger, Result } from '../credits/index.ts'
import { packPrice } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import {
  clearBelow,
  forgetCard,
  readTopUp,
  saveChoice,
  type TopUpRow,
  topUpsSince,
  utcDayStart,
} from './auto-top-up-store.ts'
import { type TopUpDeps, type TriggerOutcome, triggerTopUp } from './auto-top-up-trigger.ts'
import { openCheckout } from './hosted-checkout.ts'
import type { HostedCheckoutProvider, PaymentProvider } from './provider.ts'
import type { BillingSettings } from './purchase-records.ts'

export type { TriggerOutcome } from './auto-top-up-trigger.ts'

/** An account's auto top-up and low-balance notice, as its person sees them. */
export interface AutoTopUpView {
  /** Whether this installation can keep cards for auto top-up (a hosted provider, Stripe). */
  offered: boolean
  /** Wanted by the person (it turns itself off after declines). */
  enabled: boolean
  /** Running: wanted, with a card saved. Wanted without a card: waiting for the first checkout. */
  active: boolean
  packId: string | null
  threshold: number | null
  lowBalanceNotice: boolean
  card: { label: string } | null
  consecutiveFailures: number
  /** Why it turned itself off ("2 payments in a row were declined: Your card was declined."). */
  disabledReason: string | null
  inFlight: { reference: string; since: number } | null
  /** Auto top-ups started today (UTC), and how many a day are allowed. */
  todayCount: number
  maxPerDay: number
  /** With the notice on: the threshold, and whether available credits are below it now. */
  lowBalance: { threshold: number; below: boolean } | null
}

/** What turning auto top-up on may refuse. */
export type AutoTopUpError =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'NO_PAYMENT_PROVIDER'; message: string }

export interface AutoTopUpsDeps {
  db: Database
  ledger: Ledger
  /** The configured provider (auto top-up needs a hosted one that keeps cards), or none. */
  provider: PaymentProvider | null
  settings: BillingSettings
  log?: { error(obj: object, msg: string): void }
  /** Mail was queued and committed (a notice, auto top-up turned off): send it now. */
  onMail?: () => void
}

/**
 * Auto top-up and the low-balance notice: the person's choice (a pack and a threshold), the card
 * saved by their first checkout, and the trigger that runs after each charge (see
 * {@link triggerTopUp}). The credits of a top-up land with the provider's event
 * (`auto-top-up-events.ts`), never from the payment's answer.
 */
export class AutoTopUps {
  private readonly hosted: HostedCheckoutProvider | null
  private readonly running = new Set<Promise<unknown>>()

  constructor(private readonly deps: AutoTopUpsDeps) {
    this.hosted = deps.provider?.kind === 'hosted' ? deps.provider : null
  }

  private get topUpDeps(): TopUpDeps {
    return {
      db: this.deps.db,
      ledger: this.deps.ledger,
      provider: this.hosted,
      linkBase: this.deps.settings.linkBase,
      maxPerDay: this.deps.settings.autoTopUpMaxPerDay,
    }
  }

  /** The account's settings, card and state; a low-balance flag no longer true is cleared. */
  async view(accountId: string): Promise<AutoTopUpView> {
    const { db, ledger, settings } = this.deps
    const now = ledger.clock.now()
    const [row, todayCount, balance] = await Promise.all([
      readTopUp(db, accountId),
      topUpsSince(db, accountId, utcDayStart(now)),
      ledger.balance(accountId),
    ])
    const threshold = row?.threshold ?? null
    const below = threshold !== null && balance.ok && balance.value.available < threshold
    if (row && threshold !== null && balance.ok && !below && row.below_threshold === 1) {
      await db.write(
        { name: 'lowBalanceCleared', locks: {}, run: (tx, at) => clearBelow(tx, at, accountId, threshold) },
        ledger.clock,
      )
    }
    return {
      offered: this.hosted !== null,
      enabled: row?.enabled === 1,
      active: this.hosted !== null && isActive(row),
      packId: row?.pack_id ?? null,
      threshold,
      lowBalanceNotice: row?.low_balance_notice === 1,
      card: row?.card_label ? { label: row.card_label } : null,
      consecutiveFailures: row?.consecutive_failures ?? 0,
      disabledReason: row?.disabled_reason ?? null,
      inFlight:
        row?.in_flight && row.in_flight_since !== null
          ? { reference: row.in_flight, since: Number(row.in_flight_since) }
          : null,
      todayCount,
      maxPerDay: settings.autoTopUpMaxPerDay,
      lowBalance:
        threshold !== null && row?.low_balance_notice === 1 ? { threshold, below: Boolean(below) } : null,
    }
  }

  /**
   * Saves the person's choice. Turned on with a card saved, auto top-up runs at once (from the
   * next charge). Turned on without one, the answer carries a checkout that buys the pack once and
   * saves the card: auto top-up runs once that payment completes and the card is remembered.
   * A pack the book does not sell is refused, and so is turning it on where no provider keeps cards.
   */
  async choose(input: {
    accountId: string
    enabled: boolean
    packId: string
    threshold: number
    lowBalanceNotice?: boolean
    /** The studio's address, for the checkout's way back. */
    returnBase: string
  }): Promise<Result<AutoTopUpView & { checkoutUrl: string | null }, AutoTopUpError>> {
    const { db, ledger } = this.deps
    const book = ledger.pricing?.bookAt(ledger.clock.now())
    if (!book) throw new Error('auto top-up needs a price book')
    const price = packPrice(book, input.packId, 1)
    if (!price.ok) {
      return { ok: false, error: { code: 'VALIDATION', field: 'packId', message: price.error.message } }
    }
    if (input.enabled && !this.hosted) {
      return {
        ok: false,
        error: {
          code: 'NO_PAYMENT_PROVIDER',
          message:
            'auto top-up needs Stripe, which keeps the card for payments made without you: this installation has no Stripe configured',
        },
      }
    }
    const row = await readTopUp(db, input.accountId)
    let checkoutUrl: string | null = null
    if (input.enabled && this.hosted && !row?.payment_method_id) {
      // The checkout first: should the provider be unreachable, nothing is saved.
      const opened = await openCheckout(
        { db, ledger, provider: this.hosted },
        {
          accountId: input.accountId,
          packId: input.packId,
          quantity: 1,
          returnBase: input.returnBase,
          saveCard: true,
          customerId: row?.customer_id ?? null,
        },
      )
      if (!opened.ok) {
        const field = opened.error.code === 'VALIDATION' ? opened.error.field : 'packId'
        return { ok: false, error: { code: 'VALIDATION', field, message: opened.error.message } }
      }
      checkoutUrl = opened.value.checkoutUrl
    }
    await db.write(
      {
        name: 'autoTopUpChoice',
        locks: { accounts: [input.accountId] },
        run: (tx, now) =>
          saveChoice(tx, now, input.accountId, {
            enabled: input.enabled,
            packId: input.packId,
            threshold: input.threshold,
            lowBalanceNotice: input.lowBalanceNotice ?? null,
          }),
      },
      ledger.clock,
    )
    return { ok: true, value: { ...(await this.view(input.accountId)), checkoutUrl } }
  }

  /** Forgets the saved card, which turns auto top-up off. */
  async forgetCard(accountId: string): Promise<AutoTopUpView> {
    await this.deps.db.write(
      {
        name: 'autoTopUpForgetCard',
        locks: { accounts: [accountId] },
        run: (tx, now) => forgetCard(tx, now, accountId),
      },
      this.deps.ledger.clock,
    )
    return this.view(accountId)
  }

  /**
   * The studio's hook after a charge committed: see {@link triggerTopUp}. Never rejects — a
   * failure is logged, and the charge it follows stands — so a caller may leave it running.
   * Resolves to what it did (null after a failure).
   */
  afterCharge(accountId: string): Promise<TriggerOutcome | null> {
    const run = triggerTopUp(this.topUpDeps, accountId).then(
      (outcome) => {
        if (outcome.mailed) this.deps.onMail?.()
        return outcome
      },
      (error: unknown) => {
        this.deps.log?.error({ accountId, err: error }, 'auto top-up after a charge failed')
        return null
      },
    )
    this.running.add(run)
    void run.then(() => this.running.delete(run))
    return run
  }

  /** Resolves once every trigger started so far has finished (tests; a graceful stop). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running])
  }
}

function isActive(row: TopUpRow | null): boolean {
  return row !== null && row.enabled === 1 && row.payment_method_id !== null && row.pack_id !== null
}
