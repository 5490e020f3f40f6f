import type { DatabaseConfig } from '../config.ts'
import { migrateToLatest } from './migrate.ts'
import { connectPostgres, type PostgresBackend } from './postgres/connect.ts'
import { connectSqlite, type SqliteBackend } from './sqlite/connect.ts'

export type Database = SqliteBackend | PostgresBackend

/**
 * Connects to the configured database and, unless told not to, brings its schema up to date
 * (migrations run automatically at start-up; `easel migrate` runs them alone).
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: { migrate?: boolean } = {},
): Promise<Database> {
  const db =
    config.kind === 'postgres' ? connectPostgres(config.url, config.poolSize) : connectSqlite(config.path)
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
