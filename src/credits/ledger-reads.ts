import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import type { Balance } from './balance.ts'
import { ok, type Result, validation } from './errors.ts'
import { type AccountProfile, accountNotFound } from './ops/account.ts'
import type { PricingCatalog } from './ops/allowances.ts'
import { type Quote, quote as quoteWithBook } from './pricing/quote.ts'
import { accountExists, type HistoryPage, readBalances, readHistory, readProfiles } from './queries.ts'
import { type ChargeReport, type LedgerReportWithPrices, readCharges, readReport } from './reports.ts'
import {
  type ChargeRequest,
  parseBalance,
  parseBalances,
  parseChargeReport,
  parseChargeReports,
  parseHistory,
  parseQuote,
  parseReport,
} from './requests.ts'
import { type VerifyReport, verifyLedger } from './verify.ts'

/**
 * The ledger's reads: balances (with what the price book owes), profiles, the journal, quotes,
 * reports and the invariants' check. Each request is parsed once, then read in one snapshot
 * (`queries.ts`, `reports.ts`, `verify.ts`); none of them writes, and none waits for group commit.
 * `Ledger` is these and its writes.
 */
export class LedgerReads {
  constructor(
    readonly db: Database,
    readonly clock: Clock,
    /**
     * The price books in force: with them, balances count what the book owes, and quotes and
     * reports price by them.
     */
    readonly pricing: PricingCatalog | undefined,
  ) {}

  /**
   * The plan, cohorts (sorted) and held free grants of each of these accounts that exists, by id,
   * in one query.
   */
  accountProfiles(accountIds: readonly string[]): Promise<Map<string, AccountProfile>> {
    return readProfiles(this.db.kysely, accountIds)
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
