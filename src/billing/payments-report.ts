import { sql } from 'kysely'
import type { Database } from '../db/open.ts'

/** The money of a period in one currency, as it moved through the payment provider (minor units). */
export interface PaymentsLine {
  currency: string
  /** Paid for purchases, tax included. */
  receivedMinor: number
  refundedMinor: number
  /** Withdrawn by disputes opened, and given back by disputes won. */
  disputedMinor: number
  disputesWonMinor: number
  /** What the seller kept: received − refunded − disputed + won. */
  netMinor: number
}

/**
 * Cash received, refunds and disputes of the period [from, to) per currency, from the movements
 * recorded with each payment, refund and dispute event — beside revenue recognised (the ledger's
 * report), which counts credits only once they are used. Never added across currencies.
 */
export async function paymentsReport(
  db: Database,
  range: { from: number; to: number },
): Promise<PaymentsLine[]> {
  const rows = await sql<{ currency: string; kind: string; amount: unknown }>`
    select currency, kind, sum(amount_minor) as amount from payment_movements
    where at >= ${range.from} and at < ${range.to}
    group by currency, kind`.execute(db.kysely)
  const lines = new Map<string, PaymentsLine>()
  for (const row of rows.rows) {
    // PostgreSQL sums a bigint as numeric, which pg returns as text.
    const amount = Number(row.amount)
    if (!Number.isSafeInteger(amount))
      throw new Error(`the ${row.kind} sum in ${row.currency} is ${String(row.amount)}`)
    const line = lines.get(row.currency) ?? {
      currency: row.currency,
      receivedMinor: 0,
      refundedMinor: 0,
      disputedMinor: 0,
      disputesWonMinor: 0,
      netMinor: 0,
    }
    if (row.kind === 'payment') line.receivedMinor += amount
    else if (row.kind === 'refund') line.refundedMinor += amount
    else if (row.kind === 'dispute') line.disputedMinor += amount
    else if (row.kind === 'dispute_won') line.disputesWonMinor += amount
    lines.set(row.currency, line)
  }
  for (const line of lines.values()) {
    line.netMinor = line.receivedMinor - line.refundedMinor - line.disputedMinor + line.disputesWonMinor
  }
  return [...lines.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0))
}

/**
 * Credits sold outside the payment provider in [from, to), per currency: purchase lots an
 * operator granted with a cost basis (`easel credits grant --source purchase --cost …`, a sale
 * paid by bank transfer), which have no payment of the provider's.
 */
export async function manualSales(
  db: Database,
  range: { from: number; to: number },
): Promise<Array<{ currency: string; amountMinor: number }>> {
  const rows = await sql<{ currency: string; amount: unknown }>`
    select currency, sum(cost_basis_minor) as amount from lots
    where source = 'purchase' and cost_basis_minor > 0 and currency is not null
      and (reference is null or reference not like 'purchase:%')
      and granted_at >= ${range.from} and granted_at < ${range.to}
    group by currency`.execute(db.kysely)
  return rows.rows.map((r) => {
    const amountMinor = Number(r.amount)
    if (!Number.isSafeInteger(amountMinor))
      throw new Error(`the sales in ${r.currency} sum to ${String(r.amount)}`)
    return { currency: r.currency, amountMinor }
  })
}

/**
 * The report's "cash received": the payments as they moved (purchases, tax included; refunds in
 * part or whole, and disputes, net of those won), plus credits sold outside the provider. The
 * ledger alone knows only whole refunds, so reports show these figures.
 */
export function cashReceivedOf(
  lines: readonly PaymentsLine[],
  manual: ReadonlyArray<{ currency: string; amountMinor: number }> = [],
) {
  const byCurrency = new Map<
    string,
    { currency: string; purchasesMinor: number; refundsMinor: number; netMinor: number }
  >()
  for (const p of lines) {
    byCurrency.set(p.currency, {
      currency: p.currency,
      purchasesMinor: p.receivedMinor,
      refundsMinor: p.refundedMinor + p.disputedMinor - p.disputesWonMinor,
      netMinor: p.netMinor,
    })
  }
  for (const m of manual) {
    const line = byCurrency.get(m.currency) ?? {
      currency: m.currency,
      purchasesMinor: 0,
      refundsMinor: 0,
      netMinor: 0,
    }
    line.purchasesMinor += m.amountMinor
    line.netMinor += m.amountMinor
    byCurrency.set(m.currency, line)
  }
  return [...byCurrency.values()].sort((a, b) =>
    a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0,
  )
}
