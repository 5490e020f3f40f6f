import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import type { DatabaseConfig } from '../../src/config.ts'
import { type Database, openDatabase } from '../../src/db/open.ts'

export type Backend = 'sqlite' | 'postgres'

/**
 * The PostgreSQL server the suites use: `EASEL_TEST_PG_URL`, else the local one. Each test database
 * is created fresh on it and dropped afterwards.
 */
export const PG_ADMIN_URL = process.env.EASEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

let pgAvailable: Promise<boolean> | undefined
function checkPostgres(): Promise<boolean> {
  pgAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.query('select 1')
      return true
    } catch {
      return false
    } finally {
      await client.end().catch(() => {})
    }
  })()
  return pgAvailable
}

/**
 * The backends to run a suite on. PostgreSQL is skipped when no server answers, except under
 * `CI=true`, where a missing server fails the run instead of silently testing less.
 */
export async function availableBackends(): Promise<Backend[]> {
  if (await checkPostgres()) return ['sqlite', 'postgres']
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}, and CI=true forbids skipping its suites`)
  }
  console.warn(`PostgreSQL not reachable at ${PG_ADMIN_URL}: running SQLite suites only`)
  return ['sqlite']
}

/** Top-level-await friendly list for `describe.each`. */
export const BACKENDS: Backend[] = await availableBackends()

export interface TestDatabase {
  readonly backend: Backend
  readonly config: DatabaseConfig
  /** Opens another connection set to the same database (as another process would). */
  open(): Promise<Database>
  /** Drops the database and removes its files. */
  destroy(): Promise<void>
}

/** A fresh, empty, migrated database of its own on `backend`. */
export async function createTestDatabase(
  backend: Backend,
  options: { poolSize?: number } = {},
): Promise<TestDatabase> {
  const suffix = randomBytes(6).toString('hex')
  if (backend === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-test-'))
    const config: DatabaseConfig = { kind: 'sqlite', path: path.join(dir, 'easel.db') }
    await (await openDatabase(config)).close()
    return {
      backend,
      config,
      open: () => openDatabase(config),
      destroy: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  const name = `easel_test_${suffix}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const config: DatabaseConfig = { kind: 'postgres', url: url.toString(), poolSize: options.poolSize ?? 8 }
  await (await openDatabase(config)).close()
  return {
    backend,
    config,
    open: () => openDatabase(config),
    destroy: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/**
 * Gives the calling suite a database of its own on `backend`, created before its tests and dropped
 * after them. Read `suite.db` and `suite.testDb` inside tests and hooks (they are set by then).
 */
export function useTestDatabase(backend: Backend): { readonly testDb: TestDatabase; readonly db: Database } {
  const suite = {} as { testDb: TestDatabase; db: Database }
  beforeAll(async () => {
    suite.testDb = await createTestDatabase(backend)
    suite.db = await suite.testDb.open()
  })
  afterAll(async () => {
    await suite.db?.close()
    await suite.testDb?.destroy()
  })
  return suite
}
