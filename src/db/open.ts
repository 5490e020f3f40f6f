import type { DatabaseConfig } from '../config.ts'
import { migrateToLatest } from './migrate.ts'
import { connectPostgres, type PostgresBackend } from './postgres/connect.ts'
import { connectSqlite, type SqliteBackend } from './sqlite/connect.ts'

/**
 * An opened database: Kysely for reads (and the odd write of its own), and the write layer: `write`
 * runs a write operation through the database's one group committer, shared by every module that
 * writes; `writePool` is the connections under it.
 */
export type Database = SqliteBackend | PostgresBackend

export interface OpenOptions {
  /** Bring the schema up to date first; default true. */
  migrate?: boolean
  /**
   * PostgreSQL only: told of an error on an idle pooled connection, which is then replaced; the
   * process never crashes on one. Default: a one-line warning on stderr.
   */
  onError?: (error: Error) => void
}

/**
 * Connects to the configured database and, unless told not to, brings its schema up to date
 * (migrations run automatically at start-up; `easel migrate` runs them alone).
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  const db =
    config.kind === 'postgres'
      ? connectPostgres(config.url, config.poolSize, options.onError ? { onError: options.onError } : {})
      : connectSqlite(config.path)
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(db.kysely)
    } catch (error) {
      await db.close()
      throw error
    }
  }
  return db
}
