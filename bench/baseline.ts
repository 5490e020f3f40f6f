import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import type { DatabaseConfig } from '../src/config.ts'
import { drive } from './support.ts'

/**
 * The database's own rate of single durable commits of a minimal equivalent write: per transaction
 * one conditional UPDATE of a balance and one INSERT of a log row, one operation per commit, at the
 * same concurrency as the Easel measurement, with the same durability settings Easel uses.
 */
export async function baseline(
  config: DatabaseConfig,
  callers: number,
  accounts: number,
  seconds: number,
): Promise<{ opsPerSecond: number; p99: number }> {
  if (config.kind === 'sqlite') {
    const db = new BetterSqlite3(config.path.replace(/easel\.db$/, 'baseline.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(`create table if not exists balances (id text primary key, available bigint not null);
             create table if not exists log (id integer primary key, account text not null, amount bigint not null, at bigint not null)`)
    const insert = db.prepare('insert or ignore into balances (id, available) values (?, ?)')
    db.transaction(() => {
      for (let i = 0; i < accounts; i++) insert.run(`acct_${i}`, 1_000_000_000)
    })()
    const update = db.prepare('update balances set available = available - 1 where id = ? and available >= 1')
    const log = db.prepare('insert into log (account, amount, at) values (?, 1, ?)')
    const begin = db.prepare('begin immediate')
    const commit = db.prepare('commit')
    const r = await drive(callers, seconds, async () => {
      const t = performance.now()
      const id = `acct_${Math.floor(Math.random() * accounts)}`
      begin.run()
      update.run(id)
      log.run(id, Date.now())
      commit.run()
      // Yield like an async driver would, so that the callers interleave.
      await new Promise<void>((resolve) => setImmediate(resolve))
      return performance.now() - t
    })
    db.close()
    return { opsPerSecond: r.opsPerSecond, p99: r.p99 }
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: callers,
    options: '-c synchronous_commit=on',
  })
  await pool.query(`create table if not exists bench_balances (id text primary key, available bigint not null);
                    create table if not exists bench_log (id bigserial primary key, account text not null, amount bigint not null, at bigint not null)`)
  await pool.query(
    `insert into bench_balances select 'acct_' || g, 1000000000 from generate_series(0, $1::int - 1) g on conflict do nothing`,
    [accounts],
  )
  const clients = await Promise.all(Array.from({ length: callers }, () => pool.connect()))
  const r = await drive(callers, seconds, async (caller) => {
    const c = clients[caller]!
    const t = performance.now()
    const id = `acct_${Math.floor(Math.random() * accounts)}`
    await c.query('begin')
    await c.query({
      name: 'u',
      text: 'update bench_balances set available = available - 1 where id = $1 and available >= 1',
      values: [id],
    })
    await c.query({
      name: 'i',
      text: 'insert into bench_log (account, amount, at) values ($1, 1, $2)',
      values: [id, Date.now()],
    })
    await c.query('commit')
    return performance.now() - t
  })
  for (const c of clients) c.release()
  await pool.end()
  return { opsPerSecond: r.opsPerSecond, p99: r.p99 }
}
