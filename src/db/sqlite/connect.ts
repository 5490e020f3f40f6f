import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely } from 'kysely'
import type { DB } from '../schema.ts'
import {
  type CommitObserver,
  GroupCommitter,
  SqliteWritePool,
  type WritePool,
  type Writes,
} from '../writer/index.ts'
import { SnapshotReaders, splitSqliteDialect } from './kysely-driver.ts'

/** How long a writer waits for another process's write lock before giving up with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000

/**
 * Read-only transactions (balances, reports, verify) open at once, each on a connection of its own.
 * They are short, and one is enough to never wait for the writer; a few let them overlap.
 */
const SNAPSHOT_READERS = 4

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

export interface SqliteBackend extends Writes {
  readonly dialect: 'sqlite'
  readonly kysely: Kysely<DB>
  /** The one writer connection, as a pool: group commit and Kysely's writes take turns on it. */
  readonly writePool: WritePool
  /** The raw connection the writer uses, for bulk work that bypasses the ledger (bench data). */
  readonly writeConnection: BetterSqlite3.Database
  /** Tells `observer` of each transaction of the database's group committer (metrics); undefined stops. */
  observeCommits(observer: CommitObserver | undefined): void
  close(): Promise<void>
}

export function connectSqlite(file: string): SqliteBackend {
  const writeDb = openFile(file)
  // Kysely gets its own connection: its transactions are asynchronous and must never interleave
  // with the writer's synchronous ones on one handle. SQLite's locking arbitrates between them.
  const readDb = file === ':memory:' ? writeDb : openFile(file)
  const writePool = new SqliteWritePool(writeDb)
  // Snapshots get connections of their own; an in-memory database has no other connection to give.
  const snapshots =
    file === ':memory:'
      ? undefined
      : new SnapshotReaders(() => {
          const reader = openFile(file)
          // A snapshot reads: a write reaching it is a bug, refused by SQLite itself.
          reader.pragma('query_only = ON')
          return reader
        }, SNAPSHOT_READERS)
  const kysely = new Kysely<DB>({ dialect: splitSqliteDialect(readDb, writeDb, writePool, snapshots) })
  const committer = new GroupCommitter(writePool)
  return {
    dialect: 'sqlite',
    kysely,
    writePool,
    write: (op, clock) => committer.write(op, clock),
    writeConnection: writeDb,
    observeCommits: (observer) => {
      committer.observer = observer
    },
    async close() {
      await kysely.destroy() // closes readDb and the snapshot readers
      if (writeDb.open) writeDb.close()
    },
  }
}
