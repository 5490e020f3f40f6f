import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import { invariant } from './errors.ts'
import { Fraction } from './money.ts'
import { holdAllocations } from './ops/sweep.ts'
import type { PriceBook } from './pricing/book.ts'
import { quote } from './pricing/quote.ts'
import { inSnapshot } from './queries.ts'
import { MAX_CHARGES } from './requests.ts'
import { toSafeInteger } from './safe-integer.ts'
import { splitCapture, splitRefund } from './settlement.ts'

/** What one lot's credits did in a period, by bucket. */
export interface LotMovement {
  source: string
  lotAmount: number
  costBasisMinor: number
  /** The currency of the lot's cost basis; null on a lot that records none (it carries no money). */
  currency: string | null
  bucket: 'issued' | 'consumed' | 'expired' | 'revoked'
  credits: number
}

export interface SourceLine {
  granted: number
  consumed: number
  expired: number
  /**
   * Credits revoked (purchases refunded or disputed, in full or in part), less those reinstated
   * (disputes won): net of the `revoked` bucket, so a period with a reinstatement can go below 0.
   */
  refunded: number
}

/**
 * The money side of a report in one currency: cost bases are never added across currencies.
 * Each lot counts in the currency of its cost basis, free lots included (an allowance is granted
 * in the book's currency at 0), so a one-currency installation has one line.
 */
export interface MoneyLine {
  /** ISO 4217 code. */
  currency: string
  /** Cost basis of the credits consumed, in minor units (exact). */
  revenueRecognised: Fraction
  /** Cost basis of paid credits that expired unspent. */
  breakage: Fraction
  /**
   * Revenue recognised per credit consumed from lots in this currency: what a credit really
   * earned. Null when none was used.
   */
  effectivePricePerCredit: Fraction | null
}

export interface LedgerReport {
  bySource: Record<string, SourceLine>
  total: SourceLine
  /** Revenue, breakage and price per credit, one line per currency, sorted by currency. */
  byCurrency: MoneyLine[]
}

/**
 * Sums what lots did in a period: credits granted, consumed, expired and refunded (purchases
 * refunded, credits revoked) by source; per currency, revenue recognised is the cost basis of the
 * credits consumed (each lot's cost spread evenly over its credits), breakage that of paid credits
 * that expired unspent. Pure; exact until shown.
 *
 * @example
 * summarizeMovements([{ source: 'purchase', lotAmount: 115, costBasisMinor: 1500, currency: 'USD', bucket: 'consumed', credits: 4 }])
 * // → byCurrency: [{ currency: 'USD', revenueRecognised 6000/115 = 52.17 cents, effectivePricePerCredit 13.04 cents }]
 */
export function summarizeMovements(movements: readonly LotMovement[]): LedgerReport {
  const bySource: Record<string, SourceLine> = {}
  const total: SourceLine = { granted: 0, consumed: 0, expired: 0, refunded: 0 }
  const money = new Map<string, { revenue: Fraction; breakage: Fraction; consumed: number }>()
  for (const m of movements) {
    bySource[m.source] ??= { granted: 0, consumed: 0, expired: 0, refunded: 0 }
    const line = bySource[m.source]!
    const field = m.bucket === 'issued' ? 'granted' : m.bucket === 'revoked' ? 'refunded' : m.bucket
    // Issued postings are negative (credits leave the issuer); the rest are what the bucket gained.
    const credits = m.bucket === 'issued' ? -m.credits : m.credits
    line[field] += credits
    total[field] += credits
    invariant(
      m.currency !== null || m.costBasisMinor === 0,
      `a lot with a cost basis of ${m.costBasisMinor} has no currency`,
    )
    if (m.currency === null || (m.bucket !== 'consumed' && m.bucket !== 'expired')) continue
    let cur = money.get(m.currency)
    if (!cur) {
      cur = { revenue: Fraction.zero, breakage: Fraction.zero, consumed: 0 }
      money.set(m.currency, cur)
    }
    const value = Fraction.of(BigInt(credits) * BigInt(m.costBasisMinor), m.lotAmount)
    if (m.bucket === 'consumed') {
      cur.revenue = cur.revenue.plus(value)
      cur.consumed += credits
    }
    if (m.bucket === 'expired' && m.costBasisMinor > 0) cur.breakage = cur.breakage.plus(value)
  }
  const byCurrency = [...money.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, l]) => ({
      currency,
      revenueRecognised: l.revenue,
      breakage: l.breakage,
      effectivePricePerCredit: l.revenue.over(l.consumed),
    }))
  return { bySource, total, byCurrency }
}

/** The movements of a period [from, to), for one account or the whole installation. */
export async function readMovements(
  db: Kysely<DB>,
  range: { from: number; to: number; accountId?: string },
): Promise<LotMovement[]> {
  const rows = await sql<{
    source: string
    lot_amount: unknown
    cost_basis_minor: unknown
    currency: string | null
    bucket: LotMovement['bucket']
    credits: unknown
  }>`select l.source, l.amount as lot_amount, l.cost_basis_minor, l.currency, p.bucket, sum(p.amount) as credits
     from journal_transactions t
     join journal_postings p on p.transaction_id = t.id
     join lots l on l.id = p.lot_id
     where t.created_at >= ${range.from} and t.created_at < ${range.to}
       ${range.accountId === undefined ? sql`` : sql`and t.account_id = ${range.accountId}`}
       and p.bucket in ('issued', 'consumed', 'expired', 'revoked')
     group by l.id, l.source, l.amount, l.cost_basis_minor, l.currency, p.bucket`.execute(db)
  return rows.rows.map((r) => ({
    source: r.source,
    lotAmount: toSafeInteger(r.lot_amount, `the amount of a ${r.source} lot`),
    costBasisMinor: toSafeInteger(r.cost_basis_minor, `the cost basis of a ${r.source} lot`),
    currency: r.currency,
    bucket: r.bucket,
    credits: toSafeInteger(r.credits, `the ${r.bucket} credits of a ${r.source} lot`),
  }))
}

/** Money received in one currency over a period: purchases, less those refunded. */
export interface CashReceived {
  /** ISO 4217 code. */
  currency: string
  /** What purchases made in the period paid (their lots' cost basis), in minor units. */
  purchasesMinor: number
  /** What purchases refunded in the period had paid, in minor units. */
  refundsMinor: number
  /** `purchasesMinor - refundsMinor`; negative when refunds of earlier purchases outweigh sales. */
  netMinor: number
}

/** Money that moved in a period, per currency: paid for purchases, or given back by refunds. */
export interface CashMovement {
  currency: string
  kind: 'purchase' | 'refund'
  amountMinor: number
}

/**
 * Cash received per currency, sorted by currency: the other side of revenue recognised, which only
 * counts credits once they are used (packs sold and not yet spent are cash, not revenue). Currencies
 * are never added together. Pure.
 *
 * @example
 * summarizeCash([{ currency: 'USD', kind: 'purchase', amountMinor: 4500 },
 *                { currency: 'USD', kind: 'refund', amountMinor: 1500 }])
 * // → [{ currency: 'USD', purchasesMinor: 4500, refundsMinor: 1500, netMinor: 3000 }]
 */
export function summarizeCash(movements: readonly CashMovement[]): CashReceived[] {
  const byCurrency = new Map<string, CashReceived>()
  for (const m of movements) {
    invariant(
      Number.isSafeInteger(m.amountMinor) && m.amountMinor >= 0,
      `cash movement of ${m.amountMinor} ${m.currency} is not a whole, non-negative amount`,
    )
    let line = byCurrency.get(m.currency)
    if (!line) {
      line = { currency: m.currency, purchasesMinor: 0, refundsMinor: 0, netMinor: 0 }
      byCurrency.set(m.currency, line)
    }
    if (m.kind === 'purchase') line.purchasesMinor += m.amountMinor
    else line.refundsMinor += m.amountMinor
    line.netMinor = line.purchasesMinor - line.refundsMinor
    invariant(
      Number.isSafeInteger(line.purchasesMinor) && Number.isSafeInteger(line.refundsMinor),
      `cash received in ${m.currency} exceeds what a number holds exactly`,
    )
  }
  return [...byCurrency.values()].sort((a, b) =>
    a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0,
  )
}

/**
 * The cash movements of a period [from, to): purchase lots granted in it (what was paid, their cost
 * basis) and purchase lots refunded in it (`revoked_at`; a refund gives back the whole payment).
 * Free lots carry a cost basis of 0 and are left out.
 */
export async function readCashMovements(
  db: Kysely<DB>,
  range: { from: number; to: number; accountId?: string },
): Promise<CashMovement[]> {
  const account = range.accountId === undefined ? sql`` : sql`and account_id = ${range.accountId}`
  const rows = await sql<{ kind: CashMovement['kind']; currency: string | null; amount: unknown }>`
     select 'purchase' as kind, currency, sum(cost_basis_minor) as amount from lots
     where source = 'purchase' and cost_basis_minor > 0
       and granted_at >= ${range.from} and granted_at < ${range.to} ${account}
     group by currency
     union all
     select 'refund' as kind, currency, sum(cost_basis_minor) as amount from lots
     where source = 'purchase' and cost_basis_minor > 0
       and revoked_at >= ${range.from} and revoked_at < ${range.to} ${account}
     group by currency`.execute(db)
  return rows.rows.map((r) => {
    // PostgreSQL sums a bigint column as numeric, which pg returns as text: checked, never cast.
    const amountMinor = toSafeInteger(r.amount, `the ${r.kind} cost bases in ${r.currency}`)
    invariant(r.currency !== null, 'a purchase lot with a cost basis has no currency')
    return { kind: r.kind, currency: r.currency, amountMinor }
  })
}

/** What a job's credits cost in one currency: the cost basis of those bought in it. */
export interface ChargeLine {
  /** ISO 4217 code. */
  currency: string
  /** Credits charged from lots whose cost basis is in this currency (free ones at 0 included). */
  credits: number
  /** Their cost basis, in minor units (exact). */
  cost: Fraction
  perImageReturned: Fraction | null
  perImageKept: Fraction | null
}

export interface ChargeReport {
  holdId: string
  /** Credits charged, net of refunds. */
  credits: number
  /**
   * The cost basis of the credits charged, one line per currency, sorted by currency: a job whose
   * credits came from lots bought in different currencies has one line for each, never a sum.
   * Credits of lots that record no currency (and so no cost) count in `credits` only.
   */
  byCurrency: ChargeLine[]
  imagesReturned: number
  imagesKept: number
}

/** The lot facts a charge report needs; none of them changes once the lot is granted. */
export interface ChargedLot {
  amount: number
  costBasisMinor: number
  currency: string | null
}

/** A hold as settled: what it allocated, captured and had refunded. */
export interface SettledHold {
  id: string
  amount: number
  allocations: string
  captured: number
  refunded: number
}

/**
 * What one job really cost: the credits its hold was charged (net of refunds) and the cost basis
 * of the lots they came from, per currency, per image returned and per image kept (favourited or
 * downloaded). Which lots the charge consumed follows from the hold alone (captures consume in burn
 * order, refunds give back last-in first-out), so no journal scan is needed. Pure.
 *
 * @example
 * // 1 credit of a 115-credit pack bought for 1500 cents, 4 images kept:
 * summarizeCharge(hold, lots, { returned: 4, kept: 4 })
 * // → { credits: 1, byCurrency: [{ currency: 'USD', credits: 1, cost: 300/23 (13.043), perImageKept: 3.26, … }] }
 */
export function summarizeCharge(
  hold: SettledHold,
  lots: ReadonlyMap<string, ChargedLot>,
  images: { returned: number; kept: number },
): ChargeReport {
  const allocations = holdAllocations(hold)
  const net = new Map<string, number>()
  for (const [lotId, n] of splitCapture(allocations, hold.captured).consumed)
    net.set(lotId, (net.get(lotId) ?? 0) + n)
  for (const [lotId, n] of splitRefund(allocations, hold.captured, 0, hold.refunded))
    net.set(lotId, (net.get(lotId) ?? 0) - n)
  let credits = 0
  const byCurrency = new Map<string, { credits: number; cost: Fraction }>()
  for (const [lotId, n] of net) {
    const lot = lots.get(lotId)
    invariant(lot !== undefined, `hold ${hold.id} charged lot ${lotId}, which does not exist`)
    invariant(n >= 0 && n <= lot.amount, `hold ${hold.id} charged ${n} credits of ${lotId}`)
    credits += n
    if (n === 0) continue // all refunded: nothing charged in its currency
    if (lot.currency === null) {
      invariant(lot.costBasisMinor === 0, `lot ${lotId} has a cost basis and no currency`)
      continue
    }
    const line = byCurrency.get(lot.currency) ?? { credits: 0, cost: Fraction.zero }
    line.credits += n
    line.cost = line.cost.plus(Fraction.of(BigInt(n) * BigInt(lot.costBasisMinor), lot.amount))
    byCurrency.set(lot.currency, line)
  }
  invariant(
    credits === hold.captured - hold.refunded,
    `hold ${hold.id} charged ${credits} credits, not captured ${hold.captured} − refunded ${hold.refunded}`,
  )
  return {
    holdId: hold.id,
    credits,
    byCurrency: [...byCurrency]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, line]) => ({
        currency,
        credits: line.credits,
        cost: line.cost,
        perImageReturned: line.cost.over(images.returned),
        perImageKept: line.cost.over(images.kept),
      })),
    imagesReturned: images.returned,
    imagesKept: images.kept,
  }
}

/**
 * The charge report of each of these holds that exists, by hold id, in two queries however many:
 * the holds, then the lots they charged. What they read is consistent without a snapshot: a
 * settled hold's figures only change by a refund, which moves `refunded` alone, and a lot's size,
 * cost and currency never change.
 */
export async function readCharges(
  db: Kysely<DB>,
  charges: ReadonlyArray<{ holdId: string; images: { returned: number; kept: number } }>,
): Promise<Map<string, ChargeReport>> {
  invariant(charges.length <= MAX_CHARGES, `${charges.length} charges read at once, more than ${MAX_CHARGES}`)
  const reports = new Map<string, ChargeReport>()
  if (charges.length === 0) return reports
  const holds = await db
    .selectFrom('holds')
    .select(['id', 'amount', 'allocations', 'captured', 'refunded'])
    .where('id', 'in', [...new Set(charges.map((c) => c.holdId))])
    .execute()
  const byId = new Map(holds.map((h) => [h.id, h]))
  const lotIds = [...new Set(holds.flatMap((h) => holdAllocations(h).map(([lotId]) => lotId)))]
  const lots = new Map<string, ChargedLot>()
  if (lotIds.length > 0) {
    for (const l of await db
      .selectFrom('lots')
      .select(['id', 'amount', 'cost_basis_minor', 'currency'])
      .where('id', 'in', lotIds)
      .execute()) {
      lots.set(l.id, { amount: l.amount, costBasisMinor: l.cost_basis_minor, currency: l.currency })
    }
  }
  for (const { holdId, images } of charges) {
    const hold = byId.get(holdId)
    if (hold) reports.set(holdId, summarizeCharge(hold, lots, images))
  }
  return reports
}

/** A {@link LedgerReport} with the list price per credit of a book, and the cash received. */
export interface LedgerReportWithPrices extends LedgerReport {
  listPricePerCredit: string | null
  currency: string | null
  cashReceived: CashReceived[]
}

/**
 * The report of [from, to) for one account or the installation: movements summarised, the list
 * price per credit under `book` (the one in force at the end; its first operation as priced
 * alone), and the cash received per currency.
 */
export async function readReport(
  db: Kysely<DB>,
  req: { from: number; to: number; accountId?: string },
  book: PriceBook | undefined,
): Promise<LedgerReportWithPrices> {
  // One snapshot: the cash and the movements describe the same moment of the books.
  const [movements, cash] = await inSnapshot(db, (trx) =>
    Promise.all([readMovements(trx, req), readCashMovements(trx, req)]),
  )
  const list = book ? quote(book, Object.keys(book.operations)[0]!, {}) : null
  return {
    ...summarizeMovements(movements),
    listPricePerCredit: list?.ok ? (list.value.listPricePerCredit?.shown ?? null) : null,
    currency: book?.currency ?? null,
    cashReceived: summarizeCash(cash),
  }
}
