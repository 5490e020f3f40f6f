import { createHash } from 'node:crypto'

/** Runs one read-only SQL statement on one side of a copy; the same text runs on SQLite and PostgreSQL. */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>

/**
 * The ledger as the database's own arithmetic sees it: each account's balances, the journal's
 * sums per account and bucket, lots and holds summed per account, transactions per kind. Two
 * databases holding the same ledger give the same `sha256`, however their rows were copied; the
 * totals are what `easel migrate-to-postgres` prints.
 */
export interface LedgerChecksum {
  sha256: string
  accounts: number
  available: bigint
  held: bigint
  /** Sum of journal postings per bucket (issued, available, held, consumed, expired, revoked). */
  journal: Record<string, bigint>
}

// Sums are cast to text in SQL: PostgreSQL's sum(bigint) is numeric, which no driver should read
// into a number; SQLite's is an integer. As text they are exact on both.
const PARTS: [name: string, sql: string][] = [
  ['account', 'select id as k, cast(available as text) as a, cast(held as text) as b from accounts'],
  [
    'posting',
    `select account_id || '/' || bucket as k, cast(sum(amount) as text) as a, cast(count(*) as text) as b
     from journal_postings group by account_id, bucket`,
  ],
  [
    'lot',
    `select account_id as k, cast(sum(remaining) as text) as a, cast(sum(amount) as text) || '/' || cast(count(*) as text) as b
     from lots group by account_id`,
  ],
  [
    'hold',
    `select account_id || '/' || status as k, cast(sum(amount) as text) as a,
       cast(sum(captured) as text) || '/' || cast(sum(refunded) as text) || '/' || cast(count(*) as text) as b
     from holds group by account_id, status`,
  ],
  [
    'transaction',
    `select kind as k, cast(sum(amount) as text) as a, cast(count(*) as text) as b
     from journal_transactions group by kind`,
  ],
]

export async function ledgerChecksum(query: Query): Promise<LedgerChecksum> {
  const lines: string[] = []
  let accounts = 0
  let available = 0n
  let held = 0n
  const journal: Record<string, bigint> = {}
  for (const [name, sql] of PARTS) {
    for (const row of await query(sql)) {
      const k = String(row.k)
      const a = String(row.a)
      const b = String(row.b)
      lines.push(`${name}|${k}|${a}|${b}`)
      if (name === 'account') {
        accounts++
        available += BigInt(a)
        held += BigInt(b)
      } else if (name === 'posting') {
        const bucket = k.slice(k.lastIndexOf('/') + 1)
        journal[bucket] = (journal[bucket] ?? 0n) + BigInt(a)
      }
    }
  }
  // Sorted by code point here, not by either database's collation.
  lines.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  const sha256 = createHash('sha256').update(lines.join('\n')).digest('hex')
  return { sha256, accounts, available, held, journal }
}
