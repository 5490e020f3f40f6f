import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { Fraction } from '../money.ts'
import type { PriceBook } from './book.ts'
import { listPricePerCredit, quote } from './quote.ts'

/** One charge as recorded: who, when, what was asked, and what it cost. */
export interface RecordedCharge {
  accountId: string
  at: number
  operation: string
  parameters: Record<string, unknown>
  credits: number
}

export interface SimulationLine {
  operations: number
  creditsBefore: number
  creditsAfter: number
  revenueBefore: Fraction
  revenueAfter: Fraction
}

export interface Simulation {
  book: string
  byOperation: Record<string, SimulationLine>
  total: SimulationLine
  /** Charges the other book cannot price (an operation it lacks, a parameter it refuses). */
  unpriceable: number
  /** Accounts whose charges under the other book would have passed what they had to spend. */
  accountsRunOutEarlier: number
}

const money = (credits: number, book: PriceBook) => {
  const price = listPricePerCredit(book)
  return price ? price.times(credits) : Fraction.zero
}

/**
 * Re-prices recorded charges under `book`: per operation and in total, credits and list revenue
 * (credits × the list price per credit of the book that priced them, and of `book`), and how many
 * accounts would have run out earlier. An account's budget is what it spent plus what it still has
 * (`budgets`); it runs out earlier when its re-priced charges, in time order, pass that budget
 * before its last charge. Pure.
 */
export function simulate(
  charges: readonly RecordedCharge[],
  book: PriceBook,
  bookAt: (at: number) => PriceBook,
  budgets: ReadonlyMap<string, number>,
): Simulation {
  const empty = (): SimulationLine => ({
    operations: 0,
    creditsBefore: 0,
    creditsAfter: 0,
    revenueBefore: Fraction.zero,
    revenueAfter: Fraction.zero,
  })
  const byOperation: Record<string, SimulationLine> = {}
  const total = empty()
  let unpriceable = 0
  const spentAfter = new Map<string, number>()
  const runOut = new Set<string>()
  for (const c of [...charges].sort((a, b) => a.at - b.at)) {
    const q = quote(book, c.operation, c.parameters)
    if (!q.ok) {
      unpriceable++
      continue
    }
    byOperation[c.operation] ??= empty()
    for (const line of [byOperation[c.operation]!, total]) {
      line.operations++
      line.creditsBefore += c.credits
      line.creditsAfter += q.value.credits
      line.revenueBefore = line.revenueBefore.plus(money(c.credits, bookAt(c.at)))
      line.revenueAfter = line.revenueAfter.plus(money(q.value.credits, book))
    }
    const spent = (spentAfter.get(c.accountId) ?? 0) + q.value.credits
    spentAfter.set(c.accountId, spent)
    if (spent > (budgets.get(c.accountId) ?? 0)) runOut.add(c.accountId)
  }
  return { book: book.version, byOperation, total, unpriceable, accountsRunOutEarlier: runOut.size }
}

/** The priced charges captured in [from, to), and each charged account's budget (spent + left). */
export async function readRecordedCharges(
  db: Kysely<DB>,
  range: { from: number; to: number },
): Promise<{ charges: RecordedCharge[]; budgets: Map<string, number> }> {
  const rows = await db
    .selectFrom('holds')
    .select(['account_id', 'created_at', 'captured', 'refunded', 'priced_request'])
    .where('status', '=', 'captured')
    .where('priced_request', 'is not', null)
    .where('created_at', '>=', range.from)
    .where('created_at', '<', range.to)
    .execute()
  const charges = rows.map((r) => {
    const request = JSON.parse(r.priced_request!) as {
      operation: string
      parameters: Record<string, unknown>
    }
    return {
      accountId: r.account_id,
      at: r.created_at,
      operation: request.operation,
      parameters: request.parameters,
      credits: r.captured - r.refunded,
    }
  })
  const budgets = new Map<string, number>()
  for (const c of charges) budgets.set(c.accountId, (budgets.get(c.accountId) ?? 0) + c.credits)
  const ids = [...budgets.keys()]
  for (let i = 0; i < ids.length; i += 500) {
    for (const a of await db
      .selectFrom('accounts')
      .select(['id', 'available', 'held'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute()) {
      budgets.set(a.id, (budgets.get(a.id) ?? 0) + a.available + a.held)
    }
  }
  return { charges, budgets }
}
