import type { Database } from '../db/open.ts'
import { type GroupCommitOptions, GroupCommitter, type WriteOp, type Writes } from '../db/writer/index.ts'
import { type Clock, systemClock } from '../util/clock.ts'
import { parseCreateAccount, parseProfileChange } from './account-requests.ts'
import { ok, type Result, validation } from './errors.ts'
import { grantInput } from './grant-terms.ts'
import { LedgerReads } from './ledger-reads.ts'
import {
  type AccountCreated,
  type AccountProfile,
  accountNotFound,
  type CreateAccountInput,
  createAccountOp,
  type ProfileChangeInput,
  setAccountProfileOp,
} from './ops/account.ts'
import { ensureAllowancesOp, type PricingCatalog } from './ops/allowances.ts'
import { type GrantReceipt, grantOp } from './ops/grant.ts'
import { type HoldReceipt, holdOp } from './ops/hold.ts'
import type { PlanEnded, PlanInvoiceInput, PlanInvoiceReceipt } from './ops/plan.ts'
import {
  completePurchaseOp,
  type PurchaseInput,
  type PurchaseReceipt,
  type PurchaseRefundReceipt,
  purchaseNotFound,
  purchaseReference,
  refundPurchaseOp,
} from './ops/purchase.ts'
import {
  type PurchaseReinstatement,
  type PurchaseRevocation,
  reinstatePurchaseOp,
  revokePurchaseOp,
} from './ops/revoke.ts'
import {
  type CaptureReceipt,
  captureOp,
  type RefundReceipt,
  type ReleaseReceipt,
  refundOp,
  releaseOp,
} from './ops/settle.ts'
import type { SweepCounts } from './ops/sweep.ts'
import { endPlanWrite, planInvoiceWrite } from './plan-requests.ts'
import { accountExists, readPurchaseAccount } from './queries.ts'
import {
  type GrantRequest,
  type HoldRequest,
  parseAccountId,
  parseCapture,
  parseGrant,
  parseHold,
  parsePurchase,
  parseRefund,
  parseRefundPurchase,
  parseRelease,
} from './requests.ts'
import {
  parseReinstatePurchase,
  parseRevokePurchase,
  type ReinstatePurchaseRequest,
  type RevokePurchaseRequest,
} from './revoke-requests.ts'
import { type SameTransaction, withWrites } from './same-transaction.ts'
import { sweepDue } from './sweep-due.ts'

// What tests and older callers import from here; the door for everyone else is `index.ts`.
export { DEFAULT_HOLD_TTL_MS, type GrantRequest, type HoldRequest, MAX_HOLD_TTL_MS } from './requests.ts'

export interface LedgerOptions {
  clock?: Clock
  /**
   * Gives this ledger a group committer of its own, with these options, instead of the database's
   * shared one (`Database.write`): for a benchmark's one-commit-per-operation baseline
   * (`{ maxBatch: 1 }`) or a test of batch sizes. On SQLite both take turns on the one writer.
   */
  groupCommit?: GroupCommitOptions
  /**
   * The price books in force. With them, what the book owes an account (the plan's monthly
   * allowance, cohort bonuses) counts in its balance at once, and its first spend of a period (a
   * hold) grants it. Without them the ledger grants nothing by itself (a library user's own rules
   * apply).
   */
  pricing?: PricingCatalog
}

/**
 * The credit engine: accounts, lots, holds and the append-only journal, on SQLite or PostgreSQL.
 * Every write is atomic, durable before it resolves, and takes an optional idempotency key; expected
 * refusals (not enough credits, unknown ids, bad input) are returned as `{ ok: false, error }` and
 * change nothing. A write of the caller's own joins a ledger write's transaction only through
 * {@link SameTransaction}.
 *
 * A facade: each request is parsed once in `requests.ts` (`account-requests.ts` for accounts),
 * written by the operations of `ops/` (private to the credit engine) through the database's group
 * commit; its reads (balances, history, quotes, reports, verify) are {@link LedgerReads}'s, which
 * never write and never wait for group commit.
 *
 * @example
 * const ledger = new Ledger(db)
 * const { value: acct } = await ledger.createAccount({})
 * await ledger.grant({ accountId: acct.accountId, amount: 15, source: 'monthly', expiresInMs: 30 * DAY })
 * const hold = await ledger.hold({ accountId: acct.accountId, amount: 1, reference: 'job_…' })
 * if (hold.ok) await ledger.capture({ holdId: hold.value.holdId })
 */
export class Ledger extends LedgerReads {
  private readonly writes: Writes

  constructor(db: Database, options: LedgerOptions = {}) {
    super(db, options.clock ?? systemClock, options.pricing)
    this.writes = options.groupCommit ? new GroupCommitter(db.writePool, options.groupCommit) : db
  }

  private write<T>(op: WriteOp<T>): Promise<T> {
    return this.writes.write(op, this.clock)
  }

  /**
   * Opens a credit account (plan `free` and no cohorts unless given); `alsoWrite` adds the caller's
   * rows in its transaction (accounts/ writes the account's user so). With `holdFreeGrants`, the
   * book's free grants are held until {@link releaseFreeGrants}: the account is owed no allowance
   * and no cohort bonus meanwhile, while grants and purchases work as for any account.
   *
   * @example
   * await ledger.createAccount({ cohorts: ['beta'], holdFreeGrants: true })
   * // → { ok: true, value: { accountId: 'acct_…', freeGrantsHeld: true, … } }; its balance owes nothing yet
   */
  async createAccount(
    input: CreateAccountInput = {},
    options: SameTransaction<AccountCreated> = {},
  ): Promise<Result<AccountCreated>> {
    const parsed = parseCreateAccount(input)
    if (!parsed.ok) return parsed
    return this.write(
      withWrites(createAccountOp(parsed.value), parsed.value.idempotencyKey, options.alsoWrite),
    )
  }

  /**
   * Moves an account to another plan. The monthly allowance follows from the next period: a period
   * already granted keeps what it got.
   *
   * @example
   * await ledger.setAccountPlan('acct_…', 'pro') // → { ok: true, value: { accountId, plan: 'pro', cohorts } }
   */
  async setAccountPlan(accountId: string, plan: string): Promise<Result<AccountProfile>> {
    const parsed = parseProfileChange(accountId, { plan }, ['plan'])
    if (!parsed.ok) return parsed
    return this.write(setAccountProfileOp(parsed.value.accountId, parsed.value.change))
  }

  /**
   * Makes `cohorts` the account's whole set of cohorts. A cohort joined now brings its one-time
   * bonus: counted in the account's balance at once, granted by its next spend. Leaving one takes
   * nothing back.
   *
   * @example
   * await ledger.setAccountCohorts('acct_…', ['beta']) // the balance now counts the beta bonus as owed
   */
  async setAccountCohorts(accountId: string, cohorts: readonly string[]): Promise<Result<AccountProfile>> {
    const parsed = parseProfileChange(accountId, { cohorts }, ['cohorts'])
    if (!parsed.ok) return parsed
    return this.write(setAccountProfileOp(parsed.value.accountId, parsed.value.change))
  }

  /**
   * Changes the plan, the cohorts or both in one transaction (as `setAccountPlan` and
   * `setAccountCohorts` do), and releases held free grants with `releaseFreeGrants: true` (as
   * {@link releaseFreeGrants} does), with a write of the caller's own if given.
   *
   * @example
   * await ledger.setAccountProfile('acct_…', { plan: 'pro', cohorts: ['beta'] })
   */
  async setAccountProfile(
    accountId: string,
    change: ProfileChangeInput,
    options: SameTransaction<AccountProfile> = {},
  ): Promise<Result<AccountProfile>> {
    const parsed = parseProfileChange(accountId, change)
    if (!parsed.ok) return parsed
    return this.write(
      withWrites(
        setAccountProfileOp(parsed.value.accountId, parsed.value.change),
        undefined,
        options.alsoWrite,
      ),
    )
  }

  /**
   * Releases the free grants an account was created holding (`holdFreeGrants`): from now on its
   * balance counts this period's allowance and its cohorts' bonuses as owed, and its next spend
   * grants them, as for any account; the period stays the one anchored on its creation. Releasing
   * an account that holds nothing changes nothing (the answer says `freeGrantsHeld: false` either
   * way). `alsoWrite` commits the caller's cause in the same transaction (accounts/ marks the email
   * verified and uses up the verification link so).
   *
   * @example
   * await ledger.releaseFreeGrants('acct_…')
   * // → { ok: true, value: { accountId: 'acct_…', freeGrantsHeld: false, … } }; balance: 15 (+50 beta) owed
   */
  async releaseFreeGrants(
    accountId: string,
    options: SameTransaction<AccountProfile> = {},
  ): Promise<Result<AccountProfile>> {
    return this.setAccountProfile(accountId, { releaseFreeGrants: true }, options)
  }

  async grant(req: GrantRequest): Promise<Result<GrantReceipt>> {
    const parsed = parseGrant(req)
    if (!parsed.ok) return parsed
    const input = await grantInput(this.db.kysely, this.pricing, parsed.value, this.clock.now())
    return input.ok ? this.write(grantOp(input.value)) : input
  }

  /**
   * Reserves credits for an operation, in burn order. With a price book, what the account is owed
   * (this period's allowance, cohort bonuses) is granted first, in the hold's transaction: a
   * balance's `available` is exactly what a hold can take.
   */
  async hold(req: HoldRequest, options: SameTransaction<HoldReceipt> = {}): Promise<Result<HoldReceipt>> {
    const parsed = parseHold(req)
    if (!parsed.ok) return parsed
    const op = holdOp(parsed.value, this.pricing)
    return this.write(withWrites(op, parsed.value.idempotencyKey, options.alsoWrite))
  }

  async capture(
    req: { holdId: string; amount?: number; idempotencyKey?: string },
    options: SameTransaction<CaptureReceipt> = {},
  ): Promise<Result<CaptureReceipt>> {
    const parsed = parseCapture(req)
    if (!parsed.ok) return parsed
    return this.write(withWrites(captureOp(parsed.value), parsed.value.idempotencyKey, options.alsoWrite))
  }

  async release(
    req: { holdId: string; idempotencyKey?: string },
    options: SameTransaction<ReleaseReceipt> = {},
  ): Promise<Result<ReleaseReceipt>> {
    const parsed = parseRelease(req)
    if (!parsed.ok) return parsed
    return this.write(withWrites(releaseOp(parsed.value), parsed.value.idempotencyKey, options.alsoWrite))
  }

  async refund(req: {
    holdId: string
    amount?: number
    reason?: string | null
    idempotencyKey?: string
  }): Promise<Result<RefundReceipt>> {
    const parsed = parseRefund(req)
    return parsed.ok ? this.write(refundOp(parsed.value)) : parsed
  }

  /**
   * Records what time has done across the installation: releases holds past their TTL and expires
   * lots past their expiry, account by account. Spending never depends on this having run (expired
   * credit is unspendable regardless); it makes expiry visible in the journal for breakage reports.
   * It grants nothing: what an account is owed is granted by its next spend (see `sweep-due.ts`).
   */
  expireDue(options: { limit?: number } = {}): Promise<SweepCounts & { accounts: number }> {
    return sweepDue(this.db.kysely, (op) => this.write(op), this.clock.now(), options.limit ?? 10_000)
  }

  /**
   * Grants what the price book owes the account by now (this period's allowance, cohort bonuses)
   * and has not been granted yet; returns the new grants. Needs the `pricing` option. Balances count
   * these already and a hold grants them; this writes them without a spend (`easel allowances`).
   */
  async ensureAllowances(accountId: string): Promise<Result<GrantReceipt[]>> {
    const parsed = parseAccountId(accountId)
    if (!parsed.ok) return parsed
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to grant allowances from')
    if (!(await accountExists(this.db.kysely, accountId))) return accountNotFound(accountId)
    return ok(await this.write(ensureAllowancesOp(accountId, this.pricing)))
  }

  /**
   * Grants a bought pack once per provider reference (the one path every payment provider calls).
   * The lot's cost basis is what was paid; its credits, expiry and priority come from the price
   * book in force at `pricedAt` (when the buyer was quoted; default now). `alsoWrite` records what
   * caused it (a payment event, by its id) in the same transaction; it runs on a repeat of a
   * reference too (answered with the first grant), so it must be idempotent.
   */
  async completePurchase(
    req: PurchaseInput,
    options: SameTransaction<PurchaseReceipt> = {},
  ): Promise<Result<PurchaseReceipt>> {
    const parsed = parsePurchase(req)
    if (!parsed.ok) return parsed
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to sell packs from')
    const now = this.clock.now()
    const { pricedAt } = parsed.value
    if (pricedAt !== undefined && pricedAt > now) return validation('pricedAt', 'must not be in the future')
    const op = completePurchaseOp(parsed.value, this.pricing.bookAt(pricedAt ?? now))
    return this.write(withWrites(op, undefined, options.alsoWrite))
  }

  /**
   * Grants a paid plan's invoice once per invoice id (see `ops/plan.ts`): the account moves to the
   * plan, and the plan's credits (book at `pricedAt` ?? `periodStart`) expire at `periodEnd`. `alsoWrite`
   * records the cause in the transaction; it runs on a replay too (`replayed: true`): idempotent.
   *
   * @example
   * await ledger.grantPlanInvoice({ accountId, plan: 'pro', invoiceId: 'in_1', periodStart, periodEnd, costBasis })
   * // → { ok: true, value: { credits: 200, expiresAt: periodEnd, previousPlan: 'free', replayed: false, … } }
   */
  async grantPlanInvoice(
    req: PlanInvoiceInput,
    options: SameTransaction<PlanInvoiceReceipt> = {},
  ): Promise<Result<PlanInvoiceReceipt>> {
    const op = planInvoiceWrite(req, this.pricing)
    return op.ok ? this.write(withWrites(op.value, undefined, options.alsoWrite)) : op
  }

  /** Returns an account still on `plan` to the book's default plan (a subscription ended); lots stay. */
  async endPlan(
    accountId: string,
    plan: string,
    options: SameTransaction<PlanEnded> = {},
  ): Promise<Result<PlanEnded>> {
    const op = endPlanWrite(accountId, plan, this.pricing)
    return op.ok ? this.write(withWrites(op.value, undefined, options.alsoWrite)) : op
  }

  /**
   * Refunds a purchase: its unspent credits leave the account, and the receipt says how many had
   * been used already. Refused while some of its credits are on hold for running jobs.
   */
  async refundPurchase(req: {
    providerReference: string
    reason?: string | null
  }): Promise<Result<PurchaseRefundReceipt>> {
    const parsed = parseRefundPurchase(req)
    if (!parsed.ok) return parsed
    const { providerReference, reason } = parsed.value
    // The lot's account, to lock: it never changes, so it is read before the transaction.
    const accountId = await readPurchaseAccount(this.db.kysely, purchaseReference(providerReference))
    if (accountId === null) return purchaseNotFound(providerReference)
    return this.write(refundPurchaseOp(providerReference, accountId, reason))
  }

  /**
   * Brings a purchase's revoked credits up to `upTo` in total (billing: ⌈credits × refunded ÷
   * paid⌉ for a partial refund, all of them for a dispute), capped at what is unspent: available
   * credits leave now, credits on hold for running jobs are owed and leave when they come back
   * (a capture spends them). Never takes more for the same target, so a repeated or late refund
   * total revokes nothing twice; what was spent already is `unrecovered`, taken from nowhere else.
   * Once per `key`. `alsoWrite` records the cause in the same transaction; it runs on a replay of
   * the key too (answered with the first receipt), so it must be idempotent.
   *
   * @example
   * await ledger.revokePurchase({ providerReference: 'pi_…', upTo: 58, key: 'stripe:evt_…' })
   * // → { ok: true, value: { credits: 115, revokedNow: 58, owed: 0, revokedTotal: 58, unrecovered: 0, … } }
   */
  async revokePurchase(
    req: RevokePurchaseRequest,
    options: SameTransaction<PurchaseRevocation> = {},
  ): Promise<Result<PurchaseRevocation>> {
    const parsed = parseRevokePurchase(req)
    if (!parsed.ok) return parsed
    const accountId = await readPurchaseAccount(
      this.db.kysely,
      purchaseReference(parsed.value.providerReference),
    )
    if (accountId === null) return purchaseNotFound(parsed.value.providerReference)
    return this.write(withWrites(revokePurchaseOp(parsed.value, accountId), undefined, options.alsoWrite))
  }

  /**
   * Gives back up to `credits` of what revocations took from a purchase (a won dispute: what the
   * dispute took): owed credits are cancelled first, then revoked ones return to the same lot with
   * its expiry, on the record as a `reinstate`; past the lot's expiry they expire at once. Once per
   * `key` (the same key space as {@link revokePurchase}); `alsoWrite` as there.
   *
   * @example
   * await ledger.reinstatePurchase({ providerReference: 'pi_…', credits: 115, key: 'stripe:evt_…' })
   * // → { ok: true, value: { reinstated: 115, expired: 0, revokedTotal: 0, … } }
   */
  async reinstatePurchase(
    req: ReinstatePurchaseRequest,
    options: SameTransaction<PurchaseReinstatement> = {},
  ): Promise<Result<PurchaseReinstatement>> {
    const parsed = parseReinstatePurchase(req)
    if (!parsed.ok) return parsed
    const accountId = await readPurchaseAccount(
      this.db.kysely,
      purchaseReference(parsed.value.providerReference),
    )
    if (accountId === null) return purchaseNotFound(parsed.value.providerReference)
    return this.write(withWrites(reinstatePurchaseOp(parsed.value, accountId), undefined, options.alsoWrite))
  }
}
