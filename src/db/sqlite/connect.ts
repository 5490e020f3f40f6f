import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import type { DB } from '../schema.ts'
import { type SqlTx, UnexpectedRowCount, type WritePool, type WriteSession } from '../sql-session.ts'
import { splitSqliteDialect } from './kysely-driver.ts'

/** How long a writer waits for another process's write lock before giving up with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000

function openFile(file: string): BetterSqlite3.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new BetterSqlite3(file)
  db.pragma('journal_mode = WAL')
  // FULL: a commit is on disk (the WAL is fsynced) before it is acknowledged.
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  // 64 MiB of page cache per connection (the default is 2 MiB): the ledger's indexes by account are
  // written at random places, and a cache miss on a large database costs a read on every write.
  db.pragma('cache_size = -65536')
  return db
}

class SqliteTx implements SqlTx {
  readonly dialect = 'sqlite' as const
  private readonly statements = new Map<string, BetterSqlite3.Statement>()
  constructor(readonly db: BetterSqlite3.Database) {}

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql)
    if (!stmt) {
      stmt = this.db.prepare(sql)
      this.statements.set(sql, stmt)
    }
    return stmt
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.prepare(sql).all(...params) as T[]
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const stmt = this.prepare(sql)
    if (stmt.reader) return stmt.all(...params).length
    return stmt.run(...params).changes
  }

  /** SQLite is in-process and synchronous: a queued write may as well run at once. */
  write(sql: string, params: readonly unknown[], expect: number): void {
    const changes = this.prepare(sql).run(...params).changes
    if (changes !== expect) throw new UnexpectedRowCount(sql, expect, changes)
  }

  async lockAccounts(): Promise<void> {}
}

/**
 * SQLite has one writer at a time, so the write pool is one connection. `begin immediate` takes the
 * write lock at the start, so that a transaction never fails half-way on a lock upgrade; another
 * process waits up to the busy timeout.
 */
class SqliteWritePool implements WritePool {
  readonly concurrency = 1
  private readonly session: WriteSession
  private busy = false
  private readonly waiters: Array<(s: WriteSession) => void> = []

  constructor(db: BetterSqlite3.Database) {
    const tx = new SqliteTx(db)
    const begin = db.prepare('begin immediate')
    const commit = db.prepare('commit')
    const rollback = db.prepare('rollback')
    this.session = {
      tx,
      begin: async () => {
        begin.run()
      },
      commit: async () => {
        commit.run()
      },
      rollback: async () => {
        if (db.inTransaction) rollback.run()
      },
      release: () => {
        const next = this.waiters.shift()
        if (next) next(this.session)
        else this.busy = false
      },
    }
  }

  acquire(): Promise<WriteSession> {
    if (!this.busy) {
      this.busy = true
      return Promise.resolve(this.session)
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

export interface SqliteBackend {
  readonly dialect: 'sqlite'
  readonly kysely: Kysely<DB>
  readonly writer: WritePool
  /** The raw connection the writer uses, for bulk work that bypasses the ledger (bench data). */
  readonly writeConnection: BetterSqlite3.Database
  close(): Promise<void>
}

export function connectSqlite(file: string): SqliteBackend {
  const writeDb = openFile(file)
  // Kysely gets its own connection: its transactions are asynchronous and must never interleave
  // with the writer's synchronous ones on one handle. SQLite's locking arbitrates between them.
  const readDb = file === ':memory:' ? writeDb : openFile(file)
  const writer = new SqliteWritePool(writeDb)
  const kysely = new Kysely<DB>({ dialect: splitSqliteDialect(readDb, writeDb, writer) })
  return {
    dialect: 'sqlite',
    kysely,
    writer,
    writeConnection: writeDb,
    async close() {
      await kysely.destroy() // closes readDb
      if (writeDb.open) writeDb.close()
    },
  }
}
