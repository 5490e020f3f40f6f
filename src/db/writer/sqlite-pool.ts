import type BetterSqlite3 from 'better-sqlite3'
import { type SqlTx, UnexpectedRowCount, type WritePool, type WriteSession } from './sql-session.ts'

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
export class SqliteWritePool implements WritePool {
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
