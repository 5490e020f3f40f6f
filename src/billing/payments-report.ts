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
 * The ledger report's "cash received" from the payments as they moved: purchases (tax included),
 * and what went back (refunds, in part or whole, and disputes, net of those won). The ledger alone
 * knows only whole refunds, so reports show these figures.
 */
export function cashReceivedOf(lines: readonly PaymentsLine[]) {
  return lines.map((p) => ({
    currency: p.currency,
    purchasesMinor: p.receivedMinor,
    refundsMinor: p.refundedMinor + p.disputedMinor - p.disputesWonMinor,
    netMinor: p.netMinor,
  }))
}
