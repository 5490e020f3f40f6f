import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import { type Balance, projectBalance } from './balance.ts'
import { type LotRow, parseAllocations, toLotView } from './ops/sweep.ts'
import type { Bucket, TransactionKind } from './types.ts'

/** Reads in one consistent snapshot (repeatable read on PostgreSQL; SQLite read transactions are). */
export async function inSnapshot<T>(
  db: Kysely<DB>,
  dialect: 'sqlite' | 'postgres',
  fn: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  const builder = db.transaction()
  return (dialect === 'postgres' ? builder.setIsolationLevel('repeatable read') : builder).execute(fn)
}

export async function readBalance(
  db: Kysely<DB>,
  dialect: 'sqlite' | 'postgres',
  accountId: string,
  at: number,
): Promise<Balance | null> {
  return inSnapshot(db, dialect, async (trx) => {
    const account = await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst()
    if (!account) return null
    const holds = await trx
      .selectFrom('holds')
      .select(['id', 'amount', 'expires_at', 'reference', 'allocations'])
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .execute()
    const pending = holds.map((h) => ({
      id: h.id,
      amount: h.amount,
      expiresAt: h.expires_at,
      reference: h.reference,
      allocations: parseAllocations(h.allocations),
    }))
    const heldLotIds = [...new Set(pending.flatMap((h) => h.allocations.map(([lotId]) => lotId)))]
    const lots: LotRow[] = await trx
      .selectFrom('lots')
      .select(['id', 'source', 'amount', 'remaining', 'priority', 'granted_at', 'expires_at'])
      .where('account_id', '=', accountId)
      .where((eb) => {
        const spendable = eb('remaining', '>', 0)
        return heldLotIds.length > 0 ? eb.or([spendable, eb('id', 'in', heldLotIds)]) : spendable
      })
      .execute()
    return projectBalance(accountId, lots.map(toLotView), pending, at)
  })
}

export interface HistoryEntry {
  transactionId: string
  kind: TransactionKind
  createdAt: number
  amount: number
  holdId: string | null
  lotId: string | null
  memo: string | null
  /** Net change of the account's buckets in this transaction (e.g. a hold: available −1, held +1). */
  changes: Partial<Record<Bucket, number>>
}

export interface HistoryPage {
  entries: HistoryEntry[]
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null
}

export async function readHistory(
  db: Kysely<DB>,
  accountId: string,
  options: { limit: number; before?: string },
): Promise<HistoryPage> {
  let q = db
    .selectFrom('journal_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
  if (options.before) q = q.where('id', '<', options.before)
  const rows = await q.execute()
  const page = rows.slice(0, options.limit)
  const changes = new Map<string, Partial<Record<Bucket, number>>>()
  if (page.length > 0) {
    const sums = await db
      .selectFrom('journal_postings')
      .select(['transaction_id', 'bucket', sql<number>`sum(amount)`.as('total')])
      .where(
        'transaction_id',
        'in',
        page.map((r) => r.id),
      )
      .groupBy(['transaction_id', 'bucket'])
      .execute()
    for (const s of sums) {
      const total = Number(s.total)
      if (total === 0) continue
      const c = changes.get(s.transaction_id) ?? {}
      c[s.bucket as Bucket] = total
      changes.set(s.transaction_id, c)
    }
  }
  return {
    entries: page.map((r) => ({
      transactionId: r.id,
      kind: r.kind as TransactionKind,
      createdAt: r.created_at,
      amount: r.amount,
      holdId: r.hold_id,
      lotId: r.lot_id,
      memo: r.memo,
      changes: changes.get(r.id) ?? {},
    })),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.id : null,
  }
}
