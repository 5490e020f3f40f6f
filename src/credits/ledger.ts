import type { Database } from '../db/open.ts'
import type { SqlTx } from '../db/sql-session.ts'
import { type Clock, systemClock } from '../util/clock.ts'
import { allowanceGrants, type BookLotTerms, bookLotTerms } from './allowances.ts'
import { checkCredits, checkId, checkMinorUnits, checkOptionalText } from './amounts.ts'
import { type Balance, type OwedLot, withOwed } from './balance.ts'
import { type CreditError, ok, type Result, validation } from './errors.ts'
import { type GroupCommitOptions, GroupCommitter, type LedgerOp } from './group-commit.ts'
import {
  type AccountCreated,
  type AccountProfile,
  accountNotFound,
  type CreateAccountInput,
  createAccountOp,
  setAccountCohortsOp,
  setAccountPlanOp,
} from './ops/account.ts'
import { ensureAllowancesOp, type PricingCatalog } from './ops/allowances.ts'
import { type GrantReceipt, grantOp } from './ops/grant.ts'
import { type HoldReceipt, holdOp, type PricedBy } from './ops/hold.ts'
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
import { type SweepCounts, sweepAccountOp } from './ops/sweep.ts'
import { periodAt } from './periods.ts'
import { type Quote, quote as quoteWithBook } from './pricing/quote.ts'
import { type HistoryPage, readBalance, readHistory } from './queries.ts'
import {
  type CashReceived,
  type ChargeReport,
  type LedgerReport,
  readCashMovements,
  readCharge,
  readMovements,
  summarizeCash,
  summarizeMovements,
} from './reports.ts'
import { DEFAULT_PRIORITY, LOT_SOURCES, type LotSource, type Money } from './types.ts'
import { type VerifyReport, verifyLedger } from './verify.ts'

/**
 * A grant. Terms left out are the price book's for the source (with the `pricing` option: a
 * purchase lasts 12 months and burns last under labs-2022), else priority `DEFAULT_PRIORITY` and
 * no expiry.
 */
export interface GrantRequest {
  accountId: string
  amount: number
  source: LotSource
  priority?: number
  /** Absolute expiry (ms since epoch), `null` for never, or… */
  expiresAt?: number | null
  /** …a lifetime from now. Give at most one of the two. */
  expiresInMs?: number
  costBasis?: Money
  reference?: string | null
  idempotencyKey?: string
}

export interface HoldRequest {
  accountId: string
  amount: number
  /**
   * The book version and rule that priced the operation (a quote's), recorded on the charge; with
   * the operation and its parameters, another book can re-price it (`pricing simulate`).
   */
  pricedBy?: PricedBy
  /** Time to live; a hold not settled by then is released. Default 15 minutes. */
  ttlMs?: number
  reference?: string | null
  idempotencyKey?: string
}

export const DEFAULT_HOLD_TTL_MS = 15 * 60_000
/** A year: no operation should take longer; a longer hold would just lock credits away. */
export const MAX_HOLD_TTL_MS = 365 * 86_400_000

export interface LedgerOptions {
  clock?: Clock
  groupCommit?: GroupCommitOptions
  /**
   * The price books in force. With them, an account's first activity in a period (a hold or a
   * balance read) grants what the book owes it: the plan's monthly allowance and cohort bonuses.
   * Without them the ledger grants nothing by itself (a library user's own rules apply).
   */
  pricing?: PricingCatalog
}

type Refusal = { ok: false; error: CreditError }

/**
 * Writes of the caller's own (a job's row, its images) that must commit in the same transaction as
 * a hold, capture or release, and only if it takes effect: a job is never charged without its
 * images, nor left pointing at a hold that does not exist. Not for idempotent requests (a replay
 * has no effect to attach writes to).
 */
export interface SameTransaction<T> {
  alsoWrite?: (tx: SqlTx, value: T, now: number) => void | Promise<void>
}

function withWrites<T>(
  op: LedgerOp<Result<T>>,
  idempotencyKey: string | undefined,
  alsoWrite: SameTransaction<T>['alsoWrite'],
): LedgerOp<Result<T>> {
  if (!alsoWrite) return op
  if (idempotencyKey !== undefined) throw new Error('alsoWrite cannot be combined with an idempotency key')
  return {
    ...op,
    run: async (tx, now) => {
      const result = await op.run(tx, now)
      if (result.ok) await alsoWrite(tx, result.value, now)
      return result
    },
  }
}

function checkKey(key: unknown): Refusal | null {
  if (key === undefined) return null
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    return validation('idempotencyKey', 'must be 1 to 255 characters')
  }
  return null
}

const NAME_RULE = 'must be 1 to 40 lower-case letters, digits, - or _, starting with a letter'
const isName = (v: unknown): v is string => typeof v === 'string' && /^[a-z][a-z0-9_-]{0,39}$/.test(v)

function isPricedBy(p: unknown): p is PricedBy {
  if (typeof p !== 'object' || p === null) return false
  const { bookVersion, ruleId, operation, parameters } = p as Record<string, unknown>
  return (
    typeof bookVersion === 'string' &&
    bookVersion.length <= 100 &&
    typeof ruleId === 'string' &&
    ruleId.length <= 100 &&
    (operation === undefined || (typeof operation === 'string' && operation.length <= 100)) &&
    (parameters === undefined ||
      (typeof parameters === 'object' && parameters !== null && JSON.stringify(parameters).length <= 2000))
  )
}

const firstRefusal = (...checks: Array<Refusal | null>): Refusal | null =>
  checks.find((c) => c !== null) ?? null

/**
 * Refuses a plan or cohort names that are not short lower-case names (`pro`, `beta`, `early-2026`);
 * the rule every ledger method that takes them applies, exported for callers that check first.
 *
 * @example
 * checkAccountProfile({ plan: 'pro', cohorts: ['beta'] }) // → null
 * checkAccountProfile({ cohorts: ['Beta'] })              // → { ok: false, error: { code: 'VALIDATION', field: 'cohorts', … } }
 */
export function checkAccountProfile(input: { plan?: unknown; cohorts?: unknown }): Refusal | null {
  return firstRefusal(
    input.plan === undefined || isName(input.plan) ? null : validation('plan', NAME_RULE),
    input.cohorts === undefined || (Array.isArray(input.cohorts) && input.cohorts.every(isName))
      ? null
      : validation('cohorts', `must be a list of names: ${NAME_RULE}`),
  )
}

/**
 * The credit engine: accounts, lots, holds and the append-only journal, on SQLite or PostgreSQL.
 * Every write is atomic, durable before it resolves, and takes an optional idempotency key; expected
 * refusals (not enough credits, unknown ids, bad input) are returned as `{ ok: false, error }` and
 * change nothing.
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
  private readonly committer: GroupCommitter

  constructor(
    readonly db: Database,
    options: LedgerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.pricing = options.pricing
    this.committer = new GroupCommitter(db.writer, this.clock, options.groupCommit)
  }

  /** Runs one ledger operation through group commit (for modules that add operations of their own). */
  execute<T>(op: LedgerOp<T>): Promise<T> {
    return this.committer.execute(op)
  }

  async createAccount(input: CreateAccountInput = {}): Promise<Result<AccountCreated>> {
    const refused = firstRefusal(
      input.id === undefined ? null : checkId('id', input.id, 'acct'),
      checkOptionalText('reference', input.reference),
      checkAccountProfile(input),
      checkKey(input.idempotencyKey),
    )
    return refused ?? this.execute(createAccountOp(input))
  }

  /**
   * Moves an account to another plan. The monthly allowance follows from the next period: a period
   * already granted keeps what it got.
   *
   * @example
   * await ledger.setAccountPlan('acct_…', 'pro') // → { ok: true, value: { accountId, plan: 'pro', cohorts } }
   */
  async setAccountPlan(accountId: string, plan: string): Promise<Result<AccountProfile>> {
    const refused = firstRefusal(
      checkId('accountId', accountId, 'acct'),
      plan === undefined ? validation('plan', 'is required') : checkAccountProfile({ plan }),
    )
    return refused ?? this.execute(setAccountPlanOp(accountId, plan))
  }

  /**
   * Makes `cohorts` the account's whole set of cohorts. A cohort joined now brings its one-time
   * bonus with the account's next activity; leaving one takes nothing back.
   *
   * @example
   * await ledger.setAccountCohorts('acct_…', ['beta']) // the next balance read grants the beta bonus
   */
  async setAccountCohorts(accountId: string, cohorts: readonly string[]): Promise<Result<AccountProfile>> {
    const refused = firstRefusal(
      checkId('accountId', accountId, 'acct'),
      cohorts === undefined ? validation('cohorts', 'is required') : checkAccountProfile({ cohorts }),
    )
    return refused ?? this.execute(setAccountCohortsOp(accountId, cohorts))
  }

  /**
   * The plan and cohorts (sorted) of each of these accounts that exists, by id, in one query.
   *
   * @example
   * (await ledger.accountProfiles(['acct_…'])).get('acct_…') // → { accountId, plan: 'free', cohorts: ['beta'] }
   */
  async accountProfiles(accountIds: readonly string[]): Promise<Map<string, AccountProfile>> {
    const profiles = new Map<string, AccountProfile>()
    const ids = [...new Set(accountIds)]
    if (ids.length === 0) return profiles
    const rows = await this.db.kysely
      .selectFrom('accounts as a')
      .leftJoin('account_cohorts as c', 'c.account_id', 'a.id')
      .select(['a.id', 'a.plan', 'c.cohort'])
      .where('a.id', 'in', ids)
      .orderBy('c.cohort')
      .execute()
    for (const row of rows) {
      let profile = profiles.get(row.id)
      if (!profile) {
        profile = { accountId: row.id, plan: row.plan, cohorts: [] }
        profiles.set(row.id, profile)
      }
      if (row.cohort !== null) profile.cohorts.push(row.cohort)
    }
    return profiles
  }

  async grant(req: GrantRequest): Promise<Result<GrantReceipt>> {
    const source = req.source
    const refused = firstRefusal(
      checkId('accountId', req.accountId, 'acct'),
      checkCredits('amount', req.amount),
      LOT_SOURCES.includes(source) ? null : validation('source', `must be one of ${LOT_SOURCES.join(', ')}`),
      req.priority === undefined ||
        (Number.isSafeInteger(req.priority) && req.priority >= 0 && req.priority <= 1000)
        ? null
        : validation('priority', 'must be a whole number from 0 to 1000'),
      req.expiresAt !== undefined && req.expiresAt !== null && req.expiresInMs !== undefined
        ? validation('expiresAt', 'give expiresAt or expiresInMs, not both')
        : null,
      req.expiresAt === undefined || req.expiresAt === null || Number.isSafeInteger(req.expiresAt)
        ? null
        : validation('expiresAt', 'must be a time in milliseconds since the epoch'),
      req.expiresInMs === undefined || (Number.isSafeInteger(req.expiresInMs) && req.expiresInMs > 0)
        ? null
        : validation('expiresInMs', 'must be a positive whole number of milliseconds'),
      req.costBasis === undefined || (typeof req.costBasis === 'object' && req.costBasis !== null)
        ? null
        : validation('costBasis', 'must be { amountMinor, currency }'),
      req.costBasis == null ? null : checkMinorUnits('costBasis.amountMinor', req.costBasis.amountMinor),
      req.costBasis == null ||
        (typeof req.costBasis.currency === 'string' && /^[A-Z]{3}$/.test(req.costBasis.currency))
        ? null
        : validation('costBasis.currency', 'must be an ISO 4217 code such as USD'),
      checkOptionalText('reference', req.reference),
      checkKey(req.idempotencyKey),
    )
    if (refused) return refused
    const now = this.clock.now()
    const terms =
      req.priority === undefined || (req.expiresAt === undefined && req.expiresInMs === undefined)
        ? await this.bookTerms(req.accountId, source, now)
        : null
    const expiresAt =
      req.expiresInMs !== undefined
        ? now + req.expiresInMs
        : req.expiresAt !== undefined
          ? req.expiresAt
          : (terms?.expiresAt ?? null)
    if (expiresAt !== null && !Number.isSafeInteger(expiresAt)) {
      return validation('expiresInMs', 'puts the expiry past the latest time the ledger can store')
    }
    // Whether the expiry is still in the future is checked inside the operation, after the
    // idempotency lookup: a replay after that time must still get its stored answer.
    return this.execute(
      grantOp({
        accountId: req.accountId,
        amount: req.amount,
        source,
        priority: req.priority ?? terms?.priority ?? DEFAULT_PRIORITY[source],
        expiresAt,
        costBasis: req.costBasis ?? { amountMinor: 0, currency: 'USD' },
        reference: req.reference ?? null,
        ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
        // The request as given: a replay a moment later with `expiresInMs` is the same request.
        fingerprint: { ...req, idempotencyKey: undefined },
      }),
    )
  }

  async hold(req: HoldRequest, options: SameTransaction<HoldReceipt> = {}): Promise<Result<HoldReceipt>> {
    const ttlMs = req.ttlMs ?? DEFAULT_HOLD_TTL_MS
    const refused = firstRefusal(
      checkId('accountId', req.accountId, 'acct'),
      checkCredits('amount', req.amount),
      Number.isSafeInteger(ttlMs) && ttlMs > 0 && ttlMs <= MAX_HOLD_TTL_MS
        ? null
        : validation('ttlMs', `must be a whole number of milliseconds from 1 to ${MAX_HOLD_TTL_MS}`),
      checkOptionalText('reference', req.reference),
      req.pricedBy === undefined || isPricedBy(req.pricedBy)
        ? null
        : validation('pricedBy', 'must be { bookVersion, ruleId, operation?, parameters? } from a quote'),
      checkKey(req.idempotencyKey),
    )
    if (refused) return refused
    return this.execute(
      withWrites(
        holdOp(
          {
            accountId: req.accountId,
            amount: req.amount,
            ttlMs,
            reference: req.reference ?? null,
            pricedBy: req.pricedBy ?? null,
            ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
          },
          this.pricing,
        ),
        req.idempotencyKey,
        options.alsoWrite,
      ),
    )
  }

  async capture(
    req: {
      holdId: string
      amount?: number
      idempotencyKey?: string
    },
    options: SameTransaction<CaptureReceipt> = {},
  ): Promise<Result<CaptureReceipt>> {
    const refused = firstRefusal(
      checkId('holdId', req.holdId, 'hold'),
      req.amount === undefined ? null : checkCredits('amount', req.amount),
      checkKey(req.idempotencyKey),
    )
    return refused ?? this.execute(withWrites(captureOp(req), req.idempotencyKey, options.alsoWrite))
  }

  async release(
    req: { holdId: string; idempotencyKey?: string },
    options: SameTransaction<ReleaseReceipt> = {},
  ): Promise<Result<ReleaseReceipt>> {
    const refused = firstRefusal(checkId('holdId', req.holdId, 'hold'), checkKey(req.idempotencyKey))
    return refused ?? this.execute(withWrites(releaseOp(req), req.idempotencyKey, options.alsoWrite))
  }

  async refund(req: {
    holdId: string
    amount?: number
    reason?: string | null
    idempotencyKey?: string
  }): Promise<Result<RefundReceipt>> {
    const refused = firstRefusal(
      checkId('holdId', req.holdId, 'hold'),
      req.amount === undefined ? null : checkCredits('amount', req.amount),
      checkOptionalText('reason', req.reason),
      checkKey(req.idempotencyKey),
    )
    return refused ?? this.execute(refundOp(req))
  }

  /**
   * Records what time has done across the installation: releases holds past their TTL and expires
   * lots past their expiry, account by account. Spending never depends on this having run (expired
   * credit is unspendable regardless); it makes expiry visible in the journal for breakage reports.
   */
  async expireDue(options: { limit?: number } = {}): Promise<SweepCounts & { accounts: number }> {
    const now = this.clock.now()
    const limit = options.limit ?? 10_000
    const k = this.db.kysely
    const [lots, holds] = await Promise.all([
      k
        .selectFrom('lots')
        .select('account_id')
        .distinct()
        .where('remaining', '>', 0)
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', now)
        .limit(limit)
        .execute(),
      k
        .selectFrom('holds')
        .select('account_id')
        .distinct()
        .where('status', '=', 'pending')
        .where('expires_at', '<=', now)
        .limit(limit)
        .execute(),
    ])
    const accounts = [...new Set([...lots, ...holds].map((r) => r.account_id))]
    // Every account's sweep runs to its end even if another's fails; failures are reported together.
    const settled = await Promise.allSettled(accounts.map((id) => this.execute(sweepAccountOp(id))))
    const failed = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [{ accountId: accounts[i]!, error: r.reason }] : [],
    )
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f) => f.error),
        `expiry sweep failed for ${failed.length} accounts: ${failed.map((f) => f.accountId).join(', ')}`,
      )
    }
    const results = settled.map((r) => (r as PromiseFulfilledResult<SweepCounts>).value)
    const total: SweepCounts & { accounts: number } = {
      accounts: accounts.length,
      holdsReleased: 0,
      lotsExpired: 0,
      creditsExpired: 0,
    }
    for (const r of results) {
      total.holdsReleased += r.holdsReleased
      total.lotsExpired += r.lotsExpired
      total.creditsExpired += r.creditsExpired
    }
    return total
  }

  /**
   * What an account holds at `at` (default now): available, held, and each lot in burn order. A
   * balance ahead of now also counts what the book will owe by then and has not granted (the next
   * period's allowance), listed under `owed`: a projection, nothing is written for it.
   *
   * @example
   * await ledger.balance('acct_…', { at: nextMonth }) // → { available: 15, lots: [], owed: [{ source: 'monthly', amount: 15, … }] }
   */
  async balance(accountId: string, options: { at?: number } = {}): Promise<Result<Balance>> {
    const refused = firstRefusal(
      checkId('accountId', accountId, 'acct'),
      options.at === undefined || Number.isSafeInteger(options.at)
        ? null
        : validation('at', 'must be a time in ms'),
    )
    if (refused) return refused
    const now = this.clock.now()
    const at = options.at ?? now
    // A balance read is activity: it receives the period's allowance first (a no-op once granted).
    // A look ahead is not: it writes nothing, and counts what is not granted yet as owed.
    if (this.pricing && at <= now) await this.execute(ensureAllowancesOp(accountId, this.pricing))
    const balance = await readBalance(this.db.kysely, this.db.dialect, accountId, at)
    if (!balance) return accountNotFound(accountId)
    if (!this.pricing || at <= now) return ok(balance)
    return ok(withOwed(balance, await this.owedAt(accountId, at, this.pricing)))
  }

  /**
   * What the book in force at `at` will owe the account by then and has not been granted: the
   * allowance rules of `allowanceGrants`, less the grants whose keys are already taken. Reads only.
   */
  private async owedAt(accountId: string, at: number, pricing: PricingCatalog): Promise<OwedLot[]> {
    const k = this.db.kysely
    const account = await k
      .selectFrom('accounts')
      .select(['created_at', 'plan'])
      .where('id', '=', accountId)
      .executeTakeFirst()
    if (!account) return []
    const cohorts = await k
      .selectFrom('account_cohorts')
      .select('cohort')
      .where('account_id', '=', accountId)
      .orderBy('cohort')
      .execute()
    const due = allowanceGrants(
      {
        id: accountId,
        createdAt: account.created_at,
        plan: account.plan,
        cohorts: cohorts.map((c) => c.cohort),
      },
      pricing.bookAt(at),
      at,
    )
    if (due.length === 0) return []
    const granted = new Set(
      (
        await k
          .selectFrom('idempotency_keys')
          .select('key')
          .where(
            'key',
            'in',
            due.map((g) => g.key),
          )
          .execute()
      ).map((r) => r.key),
    )
    const periodStart = periodAt(account.created_at, at).start
    return due
      .filter((g) => !granted.has(g.key))
      .map((g) => ({
        source: g.source,
        amount: g.amount,
        priority: g.priority,
        // A bonus is granted on the next activity; as a projection, that is `at` at the latest.
        dueAt: g.source === 'monthly' ? periodStart : at,
        expiresAt: g.expiresAt,
        reference: g.reference,
      }))
  }

  /** The account's journal, newest first; pass `nextCursor` back as `before` for the next page. */
  async history(
    accountId: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<Result<HistoryPage>> {
    const limit = options.limit ?? 50
    const refused = firstRefusal(
      checkId('accountId', accountId, 'acct'),
      Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000
        ? null
        : validation('limit', 'must be 1 to 1000'),
      options.before === undefined ? null : checkId('before', options.before, 'txn'),
    )
    if (refused) return refused
    if (!(await this.accountExists(accountId))) return accountNotFound(accountId)
    return ok(
      await readHistory(this.db.kysely, accountId, {
        limit,
        ...(options.before ? { before: options.before } : {}),
      }),
    )
  }

  /**
   * Grants what the price book owes the account by now (this period's allowance, cohort bonuses)
   * and has not been granted yet; returns the new grants. Needs the `pricing` option.
   */
  async ensureAllowances(accountId: string): Promise<Result<GrantReceipt[]>> {
    const refused = checkId('accountId', accountId, 'acct')
    if (refused) return refused
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to grant allowances from')
    if (!(await this.accountExists(accountId))) return accountNotFound(accountId)
    return ok(await this.execute(ensureAllowancesOp(accountId, this.pricing)))
  }

  /**
   * What an operation costs under the book in force at `at` (default now): credits, images, the
   * book version and rule (pass them to `hold` as `pricedBy`), and list prices in money. With an
   * account, a quote is activity (the period's allowance is granted) and says whether it can pay.
   */
  async quote(req: {
    operation: string
    parameters?: Readonly<Record<string, unknown>>
    accountId?: string
    at?: number
  }): Promise<Result<Quote & { available?: number; affordable?: boolean }>> {
    const refused = firstRefusal(
      typeof req.operation === 'string' && req.operation.length > 0
        ? null
        : validation('operation', 'is required'),
      req.parameters === undefined || (typeof req.parameters === 'object' && req.parameters !== null)
        ? null
        : validation('parameters', 'must be an object'),
      req.accountId === undefined ? null : checkId('accountId', req.accountId, 'acct'),
      req.at === undefined || Number.isSafeInteger(req.at) ? null : validation('at', 'must be a time in ms'),
    )
    if (refused) return refused
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to quote from')
    const priced = quoteWithBook(
      this.pricing.bookAt(req.at ?? this.clock.now()),
      req.operation,
      req.parameters ?? {},
    )
    if (!priced.ok || req.accountId === undefined) return priced
    const balance = await this.balance(req.accountId)
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
    const refused = firstRefusal(
      checkId('accountId', req.accountId, 'acct'),
      typeof req.packId === 'string' && req.packId.length > 0 ? null : validation('packId', 'is required'),
      Number.isSafeInteger(req.quantity) && req.quantity >= 1 && req.quantity <= 1000
        ? null
        : validation('quantity', 'must be a whole number from 1 to 1000'),
      checkMinorUnits('amountPaidMinor', req.amountPaidMinor),
      typeof req.currency === 'string' && /^[A-Z]{3}$/.test(req.currency)
        ? null
        : validation('currency', 'must be an ISO 4217 code such as USD'),
      checkKey(req.providerReference) ??
        (req.providerReference === undefined ? validation('providerReference', 'is required') : null),
    )
    if (refused) return refused
    if (!this.pricing) return validation('pricing', 'this ledger has no price book to sell packs from')
    return this.execute(completePurchaseOp(req, this.pricing.bookAt(this.clock.now())))
  }

  /**
   * Refunds a purchase: its unspent credits leave the account, and the receipt says how many had
   * been used already. Refused while some of its credits are on hold for running jobs.
   */
  async refundPurchase(req: {
    providerReference: string
    reason?: string | null
  }): Promise<Result<PurchaseRefundReceipt>> {
    const refused = firstRefusal(
      checkKey(req.providerReference) ??
        (req.providerReference === undefined ? validation('providerReference', 'is required') : null),
      checkOptionalText('reason', req.reason),
    )
    if (refused) return refused
    // The lot's account, to lock: it never changes, so it is read before the transaction.
    const lot = await this.db.kysely
      .selectFrom('lots')
      .select('account_id')
      .where('source', '=', 'purchase')
      .where('reference', '=', purchaseReference(req.providerReference))
      .executeTakeFirst()
    if (!lot) return purchaseNotFound(req.providerReference)
    return this.execute(refundPurchaseOp(req.providerReference, lot.account_id, req.reason ?? null))
  }

  /**
   * Credits granted, consumed, expired and refunded by source over [from, to), for one account or
   * the whole installation, with revenue recognised, breakage, the list and effective price per
   * credit (the list price from the book in force at `to`), and the cash received per currency
   * (purchases, net of refunds: packs sold are cash before they are revenue).
   */
  async report(req: { from: number; to: number; accountId?: string }): Promise<
    Result<
      LedgerReport & {
        listPricePerCredit: string | null
        currency: string | null
        cashReceived: CashReceived[]
      }
    >
  > {
    const refused = firstRefusal(
      Number.isSafeInteger(req.from) ? null : validation('from', 'must be a time in ms'),
      Number.isSafeInteger(req.to) && req.to > req.from
        ? null
        : validation('to', 'must be a time after from'),
      req.accountId === undefined ? null : checkId('accountId', req.accountId, 'acct'),
    )
    if (refused) return refused
    if (req.accountId !== undefined) {
      if (!(await this.accountExists(req.accountId))) return accountNotFound(req.accountId)
    }
    const [movements, cash] = await Promise.all([
      readMovements(this.db.kysely, req),
      readCashMovements(this.db.kysely, req),
    ])
    const summary = summarizeMovements(movements)
    const book = this.pricing?.bookAt(req.to - 1)
    const list = book ? quoteWithBook(book, Object.keys(book.operations)[0]!, {}) : null
    return ok({
      ...summary,
      listPricePerCredit: list?.ok ? (list.value.listPricePerCredit?.shown ?? null) : null,
      currency: book?.currency ?? null,
      cashReceived: summarizeCash(cash),
    })
  }

  /** What one job cost: credits charged and the cost basis behind them, per image returned and kept. */
  async chargeReport(
    holdId: string,
    images: { returned: number; kept: number },
  ): Promise<Result<ChargeReport>> {
    const refused = firstRefusal(
      checkId('holdId', holdId, 'hold'),
      Number.isSafeInteger(images.returned) && images.returned >= 0
        ? null
        : validation('imagesReturned', 'must be a whole number'),
      Number.isSafeInteger(images.kept) && images.kept >= 0 && images.kept <= images.returned
        ? null
        : validation('imagesKept', 'must be a whole number no larger than the images returned'),
    )
    if (refused) return refused
    const charge = await readCharge(this.db.kysely, holdId, images)
    return charge
      ? ok(charge)
      : { ok: false, error: { code: 'HOLD_NOT_FOUND', holdId, message: `no hold ${holdId}` } }
  }

  /**
   * The terms the book in force gives a lot of `source` granted now; null without a price book, or
   * for an account that does not exist (the operation then refuses it). The account's creation
   * never changes, so it is read before the transaction.
   */
  private async bookTerms(accountId: string, source: LotSource, now: number): Promise<BookLotTerms | null> {
    if (!this.pricing) return null
    const account = await this.db.kysely
      .selectFrom('accounts')
      .select('created_at')
      .where('id', '=', accountId)
      .executeTakeFirst()
    return account ? bookLotTerms(this.pricing.bookAt(now), source, now, account.created_at) : null
  }

  private async accountExists(accountId: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst()
    return row !== undefined
  }

  /** Checks every invariant over the whole database; see {@link verifyLedger}. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db.kysely, this.db.dialect, this.clock.now())
  }
}
