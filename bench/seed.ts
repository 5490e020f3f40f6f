import { sql } from 'kysely'
import type { Database } from '../src/db/open.ts'

/**
 * Fills the ledger with history: `lotsPerAccount` spent lots on each of `accountIds`, each with a
 * grant and two hold+capture cycles of one credit (5 transactions, 10 postings per lot), exactly as
 * the engine would have written them, so `verify` stays clean. Spent lots are what an old
 * installation is made of; the point is to show the hot path does not slow down as they pile up.
 */
export async function seedHistory(
  db: Database,
  accountIds: readonly string[],
  lotsPerAccount: number,
  t0: number,
) {
  const total = accountIds.length * lotsPerAccount
  if (db.dialect === 'sqlite') {
    const c = db.writeConnection
    const lot = c.prepare(
      `insert into lots (id, account_id, source, amount, remaining, priority, granted_at, expires_at, cost_basis_minor, currency, reference, transaction_id)
       values (?, ?, 'purchase', 2, 0, 50, ?, null, 26, 'USD', null, ?)`,
    )
    const txn = c.prepare(
      'insert into journal_transactions (id, account_id, kind, created_at, amount, hold_id, lot_id, memo) values (?, ?, ?, ?, ?, ?, ?, null)',
    )
    const posting = c.prepare(
      'insert into journal_postings (transaction_id, seq, account_id, lot_id, bucket, amount) values (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)',
    )
    const hold = c.prepare(
      `insert into holds (id, account_id, amount, status, captured, refunded, created_at, expires_at, settled_at, reference, allocations)
       values (?, ?, 1, 'captured', 1, 0, ?, ?, ?, null, ?)`,
    )
    const chunk = 20_000
    for (let start = 0; start < total; start += chunk) {
      c.transaction(() => {
        for (let i = start; i < Math.min(total, start + chunk); i++) {
          const acct = accountIds[i % accountIds.length]!
          const n = String(i).padStart(9, '0')
          const lotId = `lot_0seed${n}`
          const at = t0 + i
          lot.run(lotId, acct, at, `txn_0seed${n}g`)
          txn.run(`txn_0seed${n}g`, acct, 'grant', at, 2, null, lotId)
          posting.run(
            `txn_0seed${n}g`,
            0,
            acct,
            lotId,
            'issued',
            -2,
            `txn_0seed${n}g`,
            1,
            acct,
            lotId,
            'available',
            2,
          )
          for (const k of [0, 1]) {
            const holdId = `hold_0seed${n}${k}`
            hold.run(holdId, acct, at, at + 900_000, at, JSON.stringify([[lotId, 1, null]]))
            txn.run(`txn_0seed${n}h${k}`, acct, 'hold', at, 1, holdId, null)
            posting.run(
              `txn_0seed${n}h${k}`,
              0,
              acct,
              lotId,
              'available',
              -1,
              `txn_0seed${n}h${k}`,
              1,
              acct,
              lotId,
              'held',
              1,
            )
            txn.run(`txn_0seed${n}c${k}`, acct, 'capture', at, 1, holdId, null)
            posting.run(
              `txn_0seed${n}c${k}`,
              0,
              acct,
              lotId,
              'held',
              -1,
              `txn_0seed${n}c${k}`,
              1,
              acct,
              lotId,
              'consumed',
              1,
            )
          }
        }
      })()
    }
    c.pragma('wal_checkpoint(TRUNCATE)')
    return
  }
  // PostgreSQL: set-based inserts, in slices so that no single statement runs for minutes.
  const k = db.kysely
  const slice = 100_000
  await k.transaction().execute(async (trx) => {
    await sql`create temporary table seed_accounts_tx (n int primary key, id text not null) on commit drop`.execute(
      trx,
    )
    for (let i = 0; i < accountIds.length; i += 5000) {
      const part = accountIds.slice(i, i + 5000).map((id, j) => ({ n: i + j, id }))
      await sql`insert into seed_accounts_tx (n, id) select * from json_to_recordset(${JSON.stringify(part)}::json) as x(n int, id text)`.execute(
        trx,
      )
    }
    const accounts = accountIds.length
    for (let start = 0; start < total; start += slice) {
      const end = Math.min(total, start + slice) - 1
      const series = sql`(select g, lpad(g::text, 9, '0') as n, a.id as acct, ${t0}::bigint + g as at
                          from generate_series(${start}::int, ${end}::int) g join seed_accounts_tx a on a.n = g % ${accounts}::int) s`
      await sql`insert into lots (id, account_id, source, amount, remaining, priority, granted_at, expires_at, cost_basis_minor, currency, reference, transaction_id)
                select 'lot_0seed' || n, acct, 'purchase', 2, 0, 50, at, null, 26, 'USD', null, 'txn_0seed' || n || 'g' from ${series}`.execute(
        trx,
      )
      await sql`insert into journal_transactions (id, account_id, kind, created_at, amount, hold_id, lot_id, memo)
                select 'txn_0seed' || n || 'g', acct, 'grant', at, 2, null, 'lot_0seed' || n, null from ${series}
                union all select 'txn_0seed' || n || 'h' || k, acct, 'hold', at, 1, 'hold_0seed' || n || k, null, null from ${series}, (values (0), (1)) v(k)
                union all select 'txn_0seed' || n || 'c' || k, acct, 'capture', at, 1, 'hold_0seed' || n || k, null, null from ${series}, (values (0), (1)) v(k)`.execute(
        trx,
      )
      await sql`insert into journal_postings (transaction_id, seq, account_id, lot_id, bucket, amount)
                select 'txn_0seed' || n || 'g', 0, acct, 'lot_0seed' || n, 'issued', -2 from ${series}
                union all select 'txn_0seed' || n || 'g', 1, acct, 'lot_0seed' || n, 'available', 2 from ${series}
                union all select 'txn_0seed' || n || 'h' || k, 0, acct, 'lot_0seed' || n, 'available', -1 from ${series}, (values (0), (1)) v(k)
                union all select 'txn_0seed' || n || 'h' || k, 1, acct, 'lot_0seed' || n, 'held', 1 from ${series}, (values (0), (1)) v(k)
                union all select 'txn_0seed' || n || 'c' || k, 0, acct, 'lot_0seed' || n, 'held', -1 from ${series}, (values (0), (1)) v(k)
                union all select 'txn_0seed' || n || 'c' || k, 1, acct, 'lot_0seed' || n, 'consumed', 1 from ${series}, (values (0), (1)) v(k)`.execute(
        trx,
      )
      await sql`insert into holds (id, account_id, amount, status, captured, refunded, created_at, expires_at, settled_at, reference, allocations)
                select 'hold_0seed' || n || k, acct, 1, 'captured', 1, 0, at, at + 900000, at, null, '[["lot_0seed' || n || '",1,null]]'
                from ${series}, (values (0), (1)) v(k)`.execute(trx)
    }
  })
  // What an operator does after a bulk load: vacuum and analyze now, so that autovacuum does not
  // start on ten million fresh rows in the middle of the measurement, and checkpoint.
  await sql`vacuum analyze`.execute(k)
  await sql`checkpoint`.execute(k)
}
