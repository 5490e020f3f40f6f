import type BetterSqlite3 from 'better-sqlite3'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely'
import type { WritePool, WriteSession } from '../sql-session.ts'

/**
 * Kysely on SQLite with reads and writes split: a read-only statement runs on the read connection
 * (WAL readers never wait), and every write runs on the ledger's single writer connection, taken from
 * its pool. Writes must not go through a second connection: better-sqlite3 is synchronous, so a
 * write waiting for the file's lock while the ledger's transaction is open would block the event
 * loop that transaction needs to finish (a stall until the busy timeout, then SQLITE_BUSY).
 */
export function splitSqliteDialect(
  readDb: BetterSqlite3.Database,
  writeDb: BetterSqlite3.Database,
  pool: WritePool,
): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SplitDriver(readDb, writeDb, pool),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  }
}

class SplitDriver implements Driver {
  constructor(
    private readonly readDb: BetterSqlite3.Database,
    private readonly writeDb: BetterSqlite3.Database,
    private readonly pool: WritePool,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<SplitConnection> {
    return new SplitConnection(this.readDb, this.writeDb, this.pool)
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).begin()
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('commit')
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('rollback')
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('rollback')
  }

  async destroy(): Promise<void> {
    if (this.readDb !== this.writeDb && this.readDb.open) this.readDb.close()
  }
}

class SplitConnection implements DatabaseConnection {
  /** Held from `begin` to commit or rollback: the transaction runs on the writer connection. */
  private session: WriteSession | null = null

  constructor(
    private readonly readDb: BetterSqlite3.Database,
    private readonly writeDb: BetterSqlite3.Database,
    private readonly pool: WritePool,
  ) {}

  async begin(): Promise<void> {
    this.session = await this.pool.acquire()
    try {
      this.writeDb.prepare('begin immediate').run()
    } catch (error) {
      this.session.release()
      this.session = null
      throw error
    }
  }

  async end(how: 'commit' | 'rollback'): Promise<void> {
    const session = this.session
    if (!session) return
    this.session = null
    try {
      if (this.writeDb.inTransaction) this.writeDb.prepare(how).run()
    } finally {
      session.release()
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.session) return run<R>(this.writeDb, query)
    const stmt = this.readDb.prepare(query.sql)
    if (stmt.readonly) return { rows: stmt.all(query.parameters as unknown[]) as R[] }
    const session = await this.pool.acquire()
    try {
      return run<R>(this.writeDb, query)
    } finally {
      session.release()
    }
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered on this dialect
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here')
  }
}

function run<R>(db: BetterSqlite3.Database, query: CompiledQuery): QueryResult<R> {
  const stmt = db.prepare(query.sql)
  const params = query.parameters as unknown[]
  if (stmt.reader) return { rows: stmt.all(params) as R[] }
  const { changes, lastInsertRowid } = stmt.run(params)
  return {
    numAffectedRows: BigInt(changes),
    insertId: lastInsertRowid === undefined ? undefined : BigInt(lastInsertRowid),
    rows: [],
  }
}
