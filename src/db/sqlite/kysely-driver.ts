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
  type TransactionSettings,
} from 'kysely'
import type { WritePool, WriteSession } from '../writer/index.ts'

/**
 * Connections for read-only transactions, one transaction on each at a time: a deferred `begin`
 * holds a WAL snapshot from its first read to its end, and readers never wait for the writer. They
 * are separate from the read connection of single statements because a transaction spans awaits:
 * another caller's statement run on its connection meanwhile would read the old snapshot. Opened
 * as needed, up to `max`; a transaction beyond that waits for one to be free.
 */
export class SnapshotReaders {
  private readonly all: BetterSqlite3.Database[] = []
  private readonly idle: BetterSqlite3.Database[] = []
  private readonly waiters: Array<(db: BetterSqlite3.Database) => void> = []

  constructor(
    private readonly open: () => BetterSqlite3.Database,
    private readonly max: number,
  ) {}

  async acquire(): Promise<BetterSqlite3.Database> {
    const idle = this.idle.pop()
    if (idle) return idle
    if (this.all.length < this.max) {
      const db = this.open()
      this.all.push(db)
      return db
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  release(db: BetterSqlite3.Database): void {
    const next = this.waiters.shift()
    if (next) next(db)
    else this.idle.push(db)
  }

  close(): void {
    for (const db of this.all) if (db.open) db.close()
  }
}

/**
 * Kysely on SQLite with reads and writes split: a read-only statement runs on the read connection
 * (WAL readers never wait), and every write runs on the database's single writer connection, taken
 * from the write pool that group commit also uses. Writes must not go through a second connection:
 * better-sqlite3 is synchronous, so a write waiting for the file's lock while a group-commit
 * transaction is open would block the event loop that transaction needs to finish (a stall until
 * the busy timeout, then SQLITE_BUSY).
 *
 * A read-only transaction (`db.transaction().setAccessMode('read only')`) runs on a connection of
 * `snapshots`: a snapshot that never queues behind group commit. Any other transaction runs on the
 * writer. Without `snapshots` (an in-memory database, which no other connection can open) read-only
 * transactions run on the writer too.
 */
export function splitSqliteDialect(
  readDb: BetterSqlite3.Database,
  writeDb: BetterSqlite3.Database,
  pool: WritePool,
  snapshots?: SnapshotReaders,
): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SplitDriver(readDb, writeDb, pool, snapshots),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  }
}

class SplitDriver implements Driver {
  constructor(
    private readonly readDb: BetterSqlite3.Database,
    private readonly writeDb: BetterSqlite3.Database,
    private readonly pool: WritePool,
    private readonly snapshots: SnapshotReaders | undefined,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<SplitConnection> {
    return new SplitConnection(this.readDb, this.writeDb, this.pool, this.snapshots)
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // A WAL snapshot is at least repeatable read: the isolation level asks for nothing more here.
    await (connection as SplitConnection).begin(settings.accessMode === 'read only')
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
    this.snapshots?.close()
    if (this.readDb !== this.writeDb && this.readDb.open) this.readDb.close()
  }
}

class SplitConnection implements DatabaseConnection {
  /** Held from `begin` to commit or rollback: the transaction runs on the writer connection. */
  private session: WriteSession | null = null
  /** Held from `begin` to its end by a read-only transaction: its snapshot's connection. */
  private reader: BetterSqlite3.Database | null = null

  constructor(
    private readonly readDb: BetterSqlite3.Database,
    private readonly writeDb: BetterSqlite3.Database,
    private readonly pool: WritePool,
    private readonly snapshots: SnapshotReaders | undefined,
  ) {}

  async begin(readOnly: boolean): Promise<void> {
    if (readOnly && this.snapshots) {
      const reader = await this.snapshots.acquire()
      try {
        // Deferred: the snapshot starts at the first read and takes no lock a writer waits for.
        reader.prepare('begin').run()
      } catch (error) {
        this.snapshots.release(reader)
        throw error
      }
      this.reader = reader
      return
    }
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
    const reader = this.reader
    if (reader) {
      this.reader = null
      try {
        if (reader.inTransaction) reader.prepare(how).run()
      } finally {
        this.snapshots?.release(reader)
      }
      return
    }
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
    if (this.reader) {
      const stmt = this.reader.prepare(query.sql)
      if (!stmt.readonly) throw new Error(`a read-only transaction cannot run: ${query.sql}`)
      return run<R>(this.reader, query)
    }
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
