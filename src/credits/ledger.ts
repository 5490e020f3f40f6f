import type { Database } from '../db/open.ts'
import { type GroupCommitOptions, GroupCommitter, type WriteOp, type Writes } from '../db/writer/index.ts'
import { type Clock, systemClock } from '../util/clock.ts'
import type { Balance } from './balance.ts'
import { ok, type Result, validation } from './errors.ts'
import { grantInput } from './grant-terms.ts'
import {
  type AccountCreated,
  type AccountProfile,
  accountNotFound,
  type CreateAccountInput,
  createAccountOp,
  setAccountProfileOp,
} from './ops/account.ts'
import { ensureAllowancesOp, type PricingCatalog } from './ops/allowances.ts'
import { type GrantReceipt, grantOp } from './ops/grant.ts'
import { type HoldReceipt, holdOp } from './ops/hold.ts'
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
  type CaptureReceipt,
  captureOp,
  type RefundReceipt,
  type ReleaseReceipt,
  refundOp,
  releaseOp,
} from './ops/settle.ts'
import type { SweepCounts } from './ops/sweep.ts'
import { type Quote, quote as quoteWithBook } from './pricing/quote.ts'
import {
  accountExists,
  type HistoryPage,
  readBalances,
  readHistory,
  readProfiles,
  readPurchaseAccount,
} from './queries.ts'
import { type ChargeReport, type LedgerReportWithPrices, readCharges, readReport } from './reports.ts'
import {
  type ChargeRequest,
  type GrantRequest,
  type HoldRequest,
  parseAccountId,
  parseBalance,
  parseBalances,
  parseCapture,
  parseChargeReport,
  parseChargeReports,
  parseCreateAccount,
  parseGrant,
  parseHistory,
  parseHold,
  parseProfileChange,
  parsePurchase,
  parseQuote,
  parseRefund,
  parseRefundPurchase,
  parseRelease,
  parseReport,
} from './requests.ts'
import { type SameTransaction, withWrites } from './same-transaction.ts'
import { sweepDue } from './sweep-due.ts'
import { type VerifyReport, verifyLedger } from './verify.ts'

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
 * A facade: each request is parsed once in `requests.ts`, written by the operations of `ops/`
 * (private to the credit engine) through the database's group commit, and read in
 * `queries.ts`/`reports.ts`. Reads never write and never wait for group commit.
 *
 * @example
 * const ledger = new Ledger(db)
 * const { value: acct } = await ledger.createAccount({})
 * await ledger.grant({ accountId: acct.accountId, amount: 15, source: 'monthly', expiresInMs: 30 * DAY })
 * const hold = await ledger.hold({ accountId: acct.accountId, amount: 1, reference: 'job_…' })
 * if (hold.ok) await ledger.capture({ holdId: hold.value.holdId })
 */
export class Ledger {
  readonly clock: Clock
  readonly pricing: PricingCatalog | undefined
  private readonly writes: Writes

  constructor(
    readonly db: Database,
    options: LedgerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.pricing = options.pricing
    this.writes = options.groupCommit ? new GroupCommitter(db.writePool, options.groupCommit) : db
  }

  private write<T>(op: WriteOp<T>): Promise<T> {
    return this.writes.write(op, this.clock)
  }

  /**
   * Opens a credit account (plan `free` and no cohorts unless given); `alsoWrite` adds the caller's
   * rows in its transaction (accounts/ writes the account's user so).
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
   * `setAccountCohorts` do), with a write of the caller's own if given.
   *
   * @example
   * await ledger.setAccountProfile('acct_…', { plan: 'pro', cohorts: ['beta'] })
   */
  async setAccountProfile(
    accountId: string,
    change: { plan?: string; cohorts?: readonly string[] },
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

  /** The plan and cohorts (sorted) of each of these accounts that exists, by id, in one query. */
  accountProfiles(accountIds: readonly string[]): Promise<Map<string, AccountProfile>> {
    return readProfiles(this.db.kysely, accountIds)
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
   * What an account holds at `at` (default now): available, held, and each lot in burn order. With
   * a price book, what the book owes by `at` and has not granted yet (this period's allowance
   * before the account's first spend, or a later period's on a look ahead) is listed under `owed`
   * and counted in `available`: a hold can spend it. A pure read: it writes nothing, and on SQLite
   * it reads a snapshot on a read connection, never waiting for group commit.
   *
   * @example
   * await ledger.balance('acct_…')                  // → { available: 15, lots: [], owed: [{ source: 'monthly', amount: 15, … }] }
   * await ledger.balance('acct_…', { at: nextMonth }) // → next period's allowance owed
   */
  async balance(accountId: string, options: { at?: number } = {}): Promise<Result<Balance>> {
    const parsed = parseBalance(accountId, options)
    if (!parsed.ok) return parsed
    const at = parsed.value.at ?? this.clock.now()
    const balances = await readBalances(this.db.kysely, [accountId], at, this.pricing?.bookAt(at))
    const balance = balances.get(accountId)
    return balance ? ok(balance) : accountNotFound(accountId)
  }

  /**
   * The balances now of up to 500 accounts, by id (those that do not exist are absent), as
   * {@link balance} gives them, from one snapshot in a few set-based queries: an administrator's
   * page of users costs five reads, not one balance per user.
   *
   * @example
   * const page = await ledger.balances(['acct_a', 'acct_b'])
   * if (page.ok) page.value.get('acct_a')?.available // → 15
   */
  async balances(accountIds: readonly string[]): Promise<Result<Map<string, Balance>>> {
    const parsed = parseBalances(accountIds)
    if (!parsed.ok) return parsed
    const now = this.clock.now()
    return ok(await readBalances(this.db.kysely, parsed.value, now, this.pricing?.bookAt(now)))
  }

  /** The account's journal, newest first; pass `nextCursor` back as `before` for the next page. */
  async history(
    accountId: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<Result<HistoryPage>> {
    const parsed = parseHistory(accountId, options)
    if (!parsed.ok) return parsed
    const { limit, before } = parsed.value
    if (!(await accountExists(this.db.kysely, accountId))) return accountNotFound(accountId)
    return ok(await readHistory(this.db.kysely, accountId, { limit, ...(before ? { before } : {}) }))
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
   * What an operation costs under the book in force at `at` (default now): credits, images, the
   * book version and rule (pass them to `hold` as `pricedBy`), and list prices in money. With an
   * account, it also says what the account has available now (what is owed included, as in
   * {@link balance}) and whether that pays for it. A pure read.
   */
  async quote(req: {
    operation: string
    parameters?: Readonly<Record<string, unknown>>
    accountId?: string
    at?: number
  }): Promise<Result<Quote & { available?: number; affordable?: boolean }>> {
    const parsed = parseQuote(req)
    if (!parsed.ok) return parsed
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to quote from')
    const { operation, parameters, accountId, at } = parsed.value
    const priced = quoteWithBook(this.pricing.bookAt(at ?? this.clock.now()), operation, parameters)
    if (!priced.ok || accountId === undefined) return priced
    const balance = await this.balance(accountId)
    if (!balance.ok) return balance
    return ok({
      ...priced.value,
      available: balance.value.available,
      affordable: balance.value.available >= priced.value.credits,
    })
  }

  /**
   * Grants a bought pack once per provider reference (the one path every payment provider calls).
   * The lot's cost basis is what was paid; its expiry and priority come from the price book.
   */
  async completePurchase(req: PurchaseInput): Promise<Result<PurchaseReceipt>> {
    const parsed = parsePurchase(req)
    if (!parsed.ok) return parsed
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to sell packs from')
    return this.write(completePurchaseOp(parsed.value, this.pricing.bookAt(this.clock.now())))
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
   * Credits granted, consumed, expired and refunded by source over [from, to), for one account or
   * the whole installation, with revenue recognised, breakage, the list and effective price per
   * credit (the list price from the book in force at `to`), and the cash received per currency
   * (purchases, net of refunds: packs sold are cash before they are revenue). One snapshot.
   */
  async report(req: {
    from: number
    to: number
    accountId?: string
  }): Promise<Result<LedgerReportWithPrices>> {
    const parsed = parseReport(req)
    if (!parsed.ok) return parsed
    const range = parsed.value
    if (range.accountId !== undefined && !(await accountExists(this.db.kysely, range.accountId))) {
      return accountNotFound(range.accountId)
    }
    return ok(await readReport(this.db.kysely, range, this.pricing?.bookAt(range.to - 1)))
  }

  /**
   * What one job cost: credits charged, and the cost basis behind them per currency, per image
   * returned and kept.
   *
   * @example
   * await ledger.chargeReport('hold_…', { returned: 4, kept: 1 })
   * // → { credits: 1, byCurrency: [{ currency: 'USD', cost: 13.043…, perImageKept: 13.04…, … }], … }
   */
  async chargeReport(
    holdId: string,
    images: { returned: number; kept: number },
  ): Promise<Result<ChargeReport>> {
    const parsed = parseChargeReport(holdId, images)
    if (!parsed.ok) return parsed
    const charge = (await readCharges(this.db.kysely, [parsed.value])).get(holdId)
    return charge
      ? ok(charge)
      : { ok: false, error: { code: 'HOLD_NOT_FOUND', holdId, message: `no hold ${holdId}` } }
  }

  /**
   * The charge reports of up to 500 jobs at once, by hold id (unknown holds are absent), in two
   * queries: a page of jobs with their cost, without a read per job.
   *
   * @example
   * await ledger.chargeReports([{ holdId: 'hold_a', images: { returned: 4, kept: 4 } }, …])
   * // → { ok: true, value: Map { 'hold_a' → { credits: 1, byCurrency: [...] }, … } }
   */
  async chargeReports(charges: readonly ChargeRequest[]): Promise<Result<Map<string, ChargeReport>>> {
    const parsed = parseChargeReports(charges)
    return parsed.ok ? ok(await readCharges(this.db.kysely, parsed.value)) : parsed
  }

  /** Checks every invariant over the whole database; see {@link verifyLedger}. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db.kysely, this.clock.now())
  }
}
