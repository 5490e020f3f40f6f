import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import { allowanceGrants } from './allowances.ts'
import {
  type Balance,
  freeGrantsOwed,
  type OwedLot,
  type OwingAccount,
  owedLots,
  projectBalance,
  withOwed,
} from './balance.ts'
import { invariant } from './errors.ts'
import type { AccountProfile } from './ops/account.ts'
import { holdAllocations, toLotView } from './ops/sweep.ts'
import type { PriceBook } from './pricing/book.ts'
import { MAX_BALANCES } from './requests.ts'
import { toSafeInteger } from './safe-integer.ts'
import type { Bucket, TransactionKind } from './types.ts'

// The ledger's reads, outside any write transaction: what they read either never changes once
// written (an account's creation, a lot's account, a transaction's postings) or is read in one
// snapshot. None of them writes, and none waits for group commit.

/**
 * Reads in one consistent snapshot that writes nothing: a read-only repeatable-read transaction on
 * PostgreSQL; on SQLite a deferred read transaction on a read connection of its own (a WAL
 * snapshot), so that it never queues behind the writer's group commit.
 */
export function inSnapshot<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.transaction().setAccessMode('read only').setIsolationLevel('repeatable read').execute(fn)
}

/**
 * The balances of these accounts at `at`, by id (accounts that do not exist are absent), from one
 * snapshot in five set-based queries however many accounts: pending holds, the lots they and the
 * spendable credits are in, and with `book` what it owes by `at` and has not granted (see
 * {@link owedLots}), counted in `available`. Writes nothing.
 */
export async function readBalances(
  db: Kysely<DB>,
  accountIds: readonly string[],
  at: number,
  book: PriceBook | undefined,
): Promise<Map<string, Balance>> {
  const ids = [...new Set(accountIds)]
  invariant(ids.length <= MAX_BALANCES, `${ids.length} balances read at once, more than ${MAX_BALANCES}`)
  const balances = new Map<string, Balance>()
  if (ids.length === 0) return balances
  return inSnapshot(db, async (trx) => {
    const accounts = await trx
      .selectFrom('accounts')
      .select(['id', 'created_at', 'plan', 'free_grants_from'])
      .where('id', 'in', ids)
      .execute()
    if (accounts.length === 0) return balances
    const found = accounts.map((a) => a.id)
    const holds = await trx
      .selectFrom('holds')
      .select(['id', 'account_id', 'amount', 'expires_at', 'reference', 'allocations'])
      .where('account_id', 'in', found)
      .where('status', '=', 'pending')
      .execute()
    const pending = holds.map((h) => ({
      accountId: h.account_id,
      id: h.id,
      amount: h.amount,
      expiresAt: h.expires_at,
      reference: h.reference,
      allocations: holdAllocations(h),
    }))
    const heldLotIds = [...new Set(pending.flatMap((h) => h.allocations.map(([lotId]) => lotId)))]
    const lots = await trx
      .selectFrom('lots')
      .select([
        'id',
        'account_id',
        'source',
        'amount',
        'remaining',
        'priority',
        'granted_at',
        'expires_at',
        'revoke_owed',
      ])
      .where('account_id', 'in', found)
      .where((eb) => {
        const spendable = eb('remaining', '>', 0)
        return heldLotIds.length > 0 ? eb.or([spendable, eb('id', 'in', heldLotIds)]) : spendable
      })
      .execute()
    const owed = book ? await readOwed(trx, accounts, at, book) : new Map<string, OwedLot[]>()
    const lotsOf = groupBy(lots, (l) => l.account_id)
    const holdsOf = groupBy(pending, (h) => h.accountId)
    for (const account of accounts) {
      const balance = projectBalance(
        account.id,
        (lotsOf.get(account.id) ?? []).map(toLotView),
        holdsOf.get(account.id) ?? [],
        at,
      )
      balances.set(account.id, withOwed(balance, owed.get(account.id) ?? []))
    }
    return balances
  })
}

/**
 * What `book` owes each of these accounts by `at` and has not granted: two queries for all of them
 * (none for accounts whose free grants are held or released after `at`: they are owed nothing).
 */
async function readOwed(
  trx: Kysely<DB>,
  accounts: ReadonlyArray<{ id: string; created_at: number; plan: string; free_grants_from: number | null }>,
  at: number,
  book: PriceBook,
): Promise<Map<string, OwedLot[]>> {
  const cohorts = await trx
    .selectFrom('account_cohorts')
    .select(['account_id', 'cohort'])
    .where(
      'account_id',
      'in',
      accounts.map((a) => a.id),
    )
    .orderBy('cohort')
    .execute()
  const cohortsOf = groupBy(cohorts, (c) => c.account_id)
  const profiles: OwingAccount[] = accounts.map((a) => ({
    id: a.id,
    createdAt: a.created_at,
    plan: a.plan,
    cohorts: (cohortsOf.get(a.id) ?? []).map((c) => c.cohort),
    freeGrantsFrom: a.free_grants_from,
  }))
  const keys = profiles.flatMap((p) =>
    freeGrantsOwed(p, at) ? allowanceGrants(p, book, at).map((g) => g.key) : [],
  )
  const granted = new Set(
    keys.length === 0
      ? []
      : (await trx.selectFrom('idempotency_keys').select('key').where('key', 'in', keys).execute()).map(
          (r) => r.key,
        ),
  )
  return new Map(profiles.map((p) => [p.id, owedLots(p, book, at, granted)]))
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const row of rows) {
    const k = key(row)
    const group = groups.get(k)
    if (group) group.push(row)
    else groups.set(k, [row])
  }
  return groups
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
      .select(['transaction_id', 'bucket', sql<unknown>`sum(amount)`.as('total')])
      .where(
        'transaction_id',
        'in',
        page.map((r) => r.id),
      )
      .groupBy(['transaction_id', 'bucket'])
      .execute()
    for (const s of sums) {
      const total = toSafeInteger(s.total, `the ${s.bucket} change of ${s.transaction_id}`)
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

export async function accountExists(db: Kysely<DB>, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst()
  return row !== undefined
}

/** When the account was created (it never changes), or null when there is no such account. */
export async function readAccountCreatedAt(db: Kysely<DB>, accountId: string): Promise<number | null> {
  const row = await db
    .selectFrom('accounts')
    .select('created_at')
    .where('id', '=', accountId)
    .executeTakeFirst()
  return row?.created_at ?? null
}

/**
 * The plan, cohorts (sorted) and held free grants of each of these accounts that exists, by id, in
 * one query.
 */
export async function readProfiles(
  db: Kysely<DB>,
  accountIds: readonly string[],
): Promise<Map<string, AccountProfile>> {
  const profiles = new Map<string, AccountProfile>()
  const ids = [...new Set(accountIds)]
  if (ids.length === 0) return profiles
  const rows = await db
    .selectFrom('accounts as a')
    .leftJoin('account_cohorts as c', 'c.account_id', 'a.id')
    .select(['a.id', 'a.plan', 'a.free_grants_from', 'c.cohort'])
    .where('a.id', 'in', ids)
    .orderBy('c.cohort')
    .execute()
  for (const row of rows) {
    let profile = profiles.get(row.id)
    if (!profile) {
      profile = {
        accountId: row.id,
        plan: row.plan,
        cohorts: [],
        freeGrantsHeld: row.free_grants_from === null,
      }
      profiles.set(row.id, profile)
    }
    if (row.cohort !== null) profile.cohorts.push(row.cohort)
  }
  return profiles
}

/** Accounts (at most `limit` of each kind) with lots past their expiry or pending holds past their TTL. */
export async function readAccountsDue(db: Kysely<DB>, now: number, limit: number): Promise<string[]> {
  const [lots, holds] = await Promise.all([
    db
      .selectFrom('lots')
      .select('account_id')
      .distinct()
      .where('remaining', '>', 0)
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .limit(limit)
      .execute(),
    db
      .selectFrom('holds')
      .select('account_id')
      .distinct()
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .limit(limit)
      .execute(),
  ])
  return [...new Set([...lots, ...holds].map((r) => r.account_id))]
}

/** The account of the lot a purchase granted (`reference`: its lot reference), or null. */
export async function readPurchaseAccount(db: Kysely<DB>, reference: string): Promise<string | null> {
  const lot = await db
    .selectFrom('lots')
    .select('account_id')
    .where('source', '=', 'purchase')
    .where('reference', '=', reference)
    .executeTakeFirst()
  return lot?.account_id ?? null
}
