import type BetterSqlite3 from 'better-sqlite3'

/** Kysely's own bookkeeping: migrated by each side itself, never copied or counted. */
export const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock']

/** Easel's tables in an SQLite database, by name. */
export function sqliteTables(db: BetterSqlite3.Database): string[] {
  const rows = db
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
    .all() as { name: string }[]
  return rows.map((r) => r.name).filter((n) => !MIGRATION_TABLES.includes(n))
}

/** The columns of an SQLite table, in their order. */
export function sqliteColumns(db: BetterSqlite3.Database, table: string): string[] {
  return (
    db.prepare(`select name from pragma_table_info(?) order by cid`).all(table) as { name: string }[]
  ).map((r) => r.name)
}

/** The names of every migration the database has run, in order. */
export function sqliteMigrations(db: BetterSqlite3.Database): string[] {
  return (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map(
    (r) => r.name,
  )
}

/** Rows per Easel table. */
export function sqliteTableCounts(db: BetterSqlite3.Database): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const t of sqliteTables(db)) {
    counts[t] = (db.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n
  }
  return counts
}

/**
 * Image rows whose files should exist: not taken down and their job not deleted (both remove the
 * file and keep the row).
 */
export function referencedImages(
  db: BetterSqlite3.Database,
): { id: string; accountId: string; sha256: string; bytes: number }[] {
  return db
    .prepare(
      `select i.id, i.account_id as accountId, i.sha256, i.bytes from images i join jobs j on j.id = i.job_id
       where i.removed_at is null and j.deleted_at is null order by i.id`,
    )
    .all() as { id: string; accountId: string; sha256: string; bytes: number }[]
}

/**
 * Tables in an order that inserts every referenced row before the rows that reference it (from
 * SQLite's own foreign-key list); ties by name, so the order is the same on every run.
 */
export function tablesInDependencyOrder(db: BetterSqlite3.Database, tables: string[]): string[] {
  const deps = new Map<string, Set<string>>()
  for (const t of tables) {
    const refs = db.prepare('select "table" as parent from pragma_foreign_key_list(?)').all(t) as {
      parent: string
    }[]
    deps.set(t, new Set(refs.map((r) => r.parent).filter((p) => p !== t && tables.includes(p))))
  }
  const ordered: string[] = []
  const remaining = new Set(tables)
  while (remaining.size > 0) {
    const ready = [...remaining].filter((t) => [...deps.get(t)!].every((p) => !remaining.has(p))).sort()
    if (ready.length === 0) throw new Error(`foreign keys form a cycle among ${[...remaining].join(', ')}`)
    for (const t of ready) {
      ordered.push(t)
      remaining.delete(t)
    }
  }
  return ordered
}
