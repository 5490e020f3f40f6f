import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from '../schema.ts'
import type { SqlTx, WritePool, WriteSession } from '../sql-session.ts'

const INT8_OID = 20

/**
 * `bigint` columns (credits, money, times) arrive from `pg` as strings. We read them as numbers and
 * refuse any that a JS number cannot hold exactly, rather than silently rounding money.
 */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`bigint value ${text} is outside the safe integer range`)
  return n
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

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

class PostgresTx implements SqlTx {
  readonly dialect = 'postgres' as const
  constructor(private readonly client: pg.PoolClient) {}

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const { text, name } = translate(sql)
    // A named statement is parsed and planned once per connection, then only bound and executed.
    const res = await this.client.query({ name, text, values: params as unknown[] })
    return res.rows as T[]
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const { text, name } = translate(sql)
    const res = await this.client.query({ name, text, values: params as unknown[] })
    return res.rowCount ?? 0
  }

  async lockAccounts(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    const sorted = [...new Set(ids)].sort()
    await this.all('select id from accounts where id = any(?) order by id for update', [sorted])
  }
}

class PostgresWritePool implements WritePool {
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
        await client.query('commit')
      },
      rollback: async () => {
        await client.query('rollback')
      },
      release: (broken) => client.release(broken ? true : undefined),
    }
  }
}

export interface PostgresBackend {
  readonly dialect: 'postgres'
  readonly kysely: Kysely<DB>
  readonly writer: WritePool
  readonly pool: pg.Pool
  close(): Promise<void>
}

export function connectPostgres(url: string, poolSize: number): PostgresBackend {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    // Durability is not negotiable: an acknowledged operation survives a crash.
    options: '-c synchronous_commit=on',
  })
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  // Leave a couple of connections for reads so that a burst of writes cannot starve them.
  const writeConcurrency = Math.max(1, poolSize - 2)
  return {
    dialect: 'postgres',
    kysely,
    writer: new PostgresWritePool(pool, writeConcurrency),
    pool,
    async close() {
      await kysely.destroy() // ends the pool
    },
  }
}
