import { createHash } from 'node:crypto'
import type pg from 'pg'
import { type SqlTx, UnexpectedRowCount, type WritePool, type WriteSession } from './sql-session.ts'

/** `?` placeholders to `$1…$n`, computed once per statement text. */
const translated = new Map<string, { text: string; name: string }>()
function translate(sql: string): { text: string; name: string } {
  let t = translated.get(sql)
  if (!t) {
    let i = 0
    const text = sql.replace(/\?/g, () => `$${++i}`)
    const name = `e_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    t = { text, name }
    translated.set(sql, t)
  }
  return t
}

interface QueuedWrite {
  sql: string
  params: readonly unknown[]
  expect: number
  table: string
  isUpdate: boolean
}

function parseWrite(sql: string): { table: string; isUpdate: boolean } {
  const m = /^\s*(insert\s+into|update)\s+(\w+)/i.exec(sql)
  if (!m) throw new Error(`not a queueable write: ${sql.slice(0, 80)}`)
  return { table: m[2]!.toLowerCase(), isUpdate: m[1]!.toLowerCase() === 'update' }
}

/**
 * Splits queued writes into runs that can share one statement. Data-modifying CTEs all see the
 * same snapshot, so a run may not update a table that another of its writes also touches (two
 * updates of one row in one statement are undefined in PostgreSQL; an update would not see a row
 * inserted beside it). Inserts into one table can share a run.
 */
function groupWrites(writes: readonly QueuedWrite[]): QueuedWrite[][] {
  const groups: QueuedWrite[][] = []
  let current: QueuedWrite[] = []
  let touched = new Map<string, boolean>() // table → updated in this run
  for (const w of writes) {
    const seen = touched.get(w.table)
    if (seen !== undefined && (seen || w.isUpdate)) {
      groups.push(current)
      current = []
      touched = new Map()
    }
    current.push(w)
    touched.set(w.table, (touched.get(w.table) ?? false) || w.isUpdate)
  }
  if (current.length > 0) groups.push(current)
  return groups
}

class PostgresTx implements SqlTx {
  readonly dialect = 'postgres' as const
  private queued: QueuedWrite[] = []
  constructor(private readonly client: pg.PoolClient) {}

  private async query(sql: string, params: readonly unknown[]) {
    const { text, name } = translate(sql)
    // A named statement is parsed and planned once per connection, then only bound and executed.
    return this.client.query({ name, text, values: params as unknown[] })
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    await this.flush()
    return (await this.query(sql, params)).rows as T[]
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.flush()
    return (await this.query(sql, params)).rowCount ?? 0
  }

  write(sql: string, params: readonly unknown[], expect: number): void {
    this.queued.push({ sql, params, expect, ...parseWrite(sql) })
  }

  /** Sends the queued writes, as few statements as the grouping rule allows, and checks row counts. */
  async flush(): Promise<void> {
    if (this.queued.length === 0) return
    const writes = this.queued
    this.queued = []
    for (const group of groupWrites(writes)) {
      if (group.length === 1) {
        const w = group[0]!
        const changed = (await this.query(w.sql, w.params)).rowCount ?? 0
        if (changed !== w.expect) throw new UnexpectedRowCount(w.sql, w.expect, changed)
        continue
      }
      const ctes = group.map((w, i) => `w${i} as (${w.sql} returning 1)`).join(', ')
      const counts = group.map((_, i) => `(select count(*) from w${i})::int as c${i}`).join(', ')
      const params = group.flatMap((w) => w.params)
      const [row] = (await this.query(`with ${ctes} select ${counts}`, params)).rows as Array<
        Record<string, number>
      >
      group.forEach((w, i) => {
        const changed = row?.[`c${i}`] ?? -1
        if (changed !== w.expect) throw new UnexpectedRowCount(w.sql, w.expect, changed)
      })
    }
  }

  discard(): void {
    this.queued = []
  }

  async lockAccounts(accountIds: readonly string[], holdIds: readonly string[]): Promise<void> {
    if (accountIds.length === 0 && holdIds.length === 0) return
    // One round trip for the whole batch: the accounts named, and those owning the holds named,
    // locked in id order. (An `or` of the two conditions would make PostgreSQL scan every account.)
    await this.all(
      `select id from accounts
       where id = any(array(select unnest(?::text[]) union select account_id from holds where id = any(?::text[])))
       order by id for update`,
      [[...new Set(accountIds)], [...new Set(holdIds)]],
    )
  }
}

/** Write transactions on connections of the process's pool, `concurrency` of them at a time. */
export class PostgresWritePool implements WritePool {
  constructor(
    private readonly pool: pg.Pool,
    readonly concurrency: number,
  ) {}

  async acquire(): Promise<WriteSession> {
    const client = await this.pool.connect()
    const tx = new PostgresTx(client)
    return {
      tx,
      begin: async () => {
        await client.query('begin')
      },
      commit: async () => {
        await tx.flush()
        await client.query('commit')
      },
      rollback: async () => {
        tx.discard()
        await client.query('rollback')
      },
      release: (broken) => client.release(broken ? true : undefined),
    }
  }
}
