import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import { invariant } from './errors.ts'
import { Fraction } from './money.ts'
import { parseAllocations } from './ops/sweep.ts'
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
    lotAmount: Number(r.lot_amount),
    costBasisMinor: Number(r.cost_basis_minor),
    currency: r.currency,
    bucket: r.bucket,
    credits: Number(r.credits),
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
    const amountMinor = Number(r.amount)
    invariant(
      Number.isSafeInteger(amountMinor),
      `sum of cost bases ${String(r.amount)} is not a safe integer`,
    )
    invariant(r.currency !== null, 'a purchase lot with a cost basis has no currency')
    return { kind: r.kind, currency: r.currency, amountMinor }
  })
}

export interface ChargeReport {
  holdId: string
  /** Credits charged, net of refunds. */
  credits: number
  /** Cost basis of the credits it consumed, in minor units. */
  cost: Fraction
  imagesReturned: number
  imagesKept: number
  perImageReturned: Fraction | null
  perImageKept: Fraction | null
}

/**
 * What one job really cost: the credits its hold was charged (net of refunds) and the cost basis
 * of the lots they came from, per image returned and per image kept (favourited or downloaded).
 */
export async function readCharge(
  db: Kysely<DB>,
  holdId: string,
  images: { returned: number; kept: number },
): Promise<ChargeReport | null> {
  const hold = await db
    .selectFrom('holds')
    .select(['allocations', 'captured', 'refunded'])
    .where('id', '=', holdId)
    .executeTakeFirst()
  if (!hold) return null
  // Which lots the charge consumed follows from the hold alone (captures consume in burn order,
  // refunds give back last-in first-out), so no journal scan is needed.
  const allocations = parseAllocations(hold.allocations)
  const net = new Map<string, number>()
  for (const [lotId, n] of splitCapture(allocations, hold.captured).consumed)
    net.set(lotId, (net.get(lotId) ?? 0) + n)
  for (const [lotId, n] of splitRefund(allocations, hold.captured, 0, hold.refunded))
    net.set(lotId, (net.get(lotId) ?? 0) - n)
  const lots =
    net.size === 0
      ? []
      : await db
          .selectFrom('lots')
          .select(['id', 'amount', 'cost_basis_minor'])
          .where('id', 'in', [...net.keys()])
          .execute()
  let credits = 0
  let cost = Fraction.zero
  for (const lot of lots) {
    const n = net.get(lot.id) ?? 0
    credits += n
    cost = cost.plus(Fraction.of(BigInt(n) * BigInt(lot.cost_basis_minor), lot.amount))
  }
  return {
    holdId,
    credits,
    cost,
    imagesReturned: images.returned,
    imagesKept: images.kept,
    perImageReturned: cost.over(images.returned),
    perImageKept: cost.over(images.kept),
  }
}
