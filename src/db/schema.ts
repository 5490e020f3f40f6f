import type { Generated } from 'kysely'

/**
 * Row types of the tables, as Kysely sees them. Credits and money are integers end to end:
 * `bigint` columns are read as JS numbers and checked to be safe integers when they are read
 * (see `db/postgres/connect.ts`); times are integer milliseconds since the epoch, in UTC.
 */
export interface AccountsTable {
  id: string
  created_at: number
  reference: string | null
  /** Projection: the sum of `remaining` over the account's lots (including expired, unswept ones). */
  available: number
  /** Projection: the sum of the amounts of the account's pending holds. */
  held: number
  /** The plan that sets the monthly allowance (`free` unless given). */
  plan: Generated<string>
  /** The allowance keys last found granted, joined; see `ops/allowances.ts`. */
  allowances_checked: string | null
}

export interface AccountCohortsTable {
  account_id: string
  cohort: string
  joined_at: number
}

export interface LotsTable {
  id: string
  account_id: string
  source: string
  amount: number
  remaining: number
  priority: number
  granted_at: number
  expires_at: number | null
  cost_basis_minor: number
  currency: string | null
  reference: string | null
  transaction_id: string
  /** Set when the purchase that bought the lot was refunded. */
  revoked_at: number | null
}

export interface HoldsTable {
  id: string
  account_id: string
  amount: number
  status: 'pending' | 'captured' | 'released' | 'expired'
  captured: number
  refunded: number
  created_at: number
  expires_at: number
  settled_at: number | null
  reference: string | null
  /** JSON `[[lotId, amount], …]` in burn order: where the held credits came from. */
  allocations: string
  /** The price book version and rule that priced the operation, when it was priced by one. */
  book_version: string | null
  price_rule: string | null
  /** JSON `{ operation, parameters }` that was priced, when known. */
  priced_request: string | null
}

export interface JournalTransactionsTable {
  id: string
  account_id: string
  kind: string
  created_at: number
  amount: number
  hold_id: string | null
  lot_id: string | null
  memo: string | null
}

export interface JournalPostingsTable {
  transaction_id: string
  seq: number
  account_id: string
  lot_id: string
  bucket: string
  amount: number
}

export interface IdempotencyKeysTable {
  key: string
  operation: string
  request_hash: string
  response: string
  created_at: number
}

export interface KyselyMigrationTable {
  name: string
  timestamp: string
}

export interface PriceBooksTable {
  version: string
  effective_from: number
  /** The validated book as JSON. */
  body: string
  activated_at: number
}

export interface DB {
  accounts: AccountsTable
  account_cohorts: AccountCohortsTable
  lots: LotsTable
  holds: HoldsTable
  journal_transactions: JournalTransactionsTable
  journal_postings: JournalPostingsTable
  idempotency_keys: IdempotencyKeysTable
  price_books: PriceBooksTable
}

export type { Generated }
