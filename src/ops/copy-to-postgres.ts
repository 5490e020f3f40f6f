import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { type LedgerChecksum, ledgerChecksum } from './ledger-checksum.ts'
import {
  MIGRATION_TABLES,
  sqliteColumns,
  sqliteMigrations,
  sqliteTables,
  tablesInDependencyOrder,
} from './sqlite-inspect.ts'
import { TableDigest } from './table-digest.ts'

/**
 * Tables a migration fills with a row of its own (`receipt_counter` starts at 0): on a fresh target
 * that row is no data of anyone's, and the copy replaces it. Anything else in the target is data.
 */
const SEEDED: Record<string, string> = { receipt_counter: 'last_number = 0' }

/** PostgreSQL's bind-parameter limit is 65,535 per statement; a batch stays well under it. */
const MAX_PARAMS = 30_000
const MAX_BATCH_ROWS = 1_000
/** Rows fetched at a time when the target is read back. */
const FETCH_ROWS = 5_000

// Integers of every width as bigint, so that they compare exactly with SQLite's (read with
// safeIntegers) in the digests, whatever their size.
const INTEGER_OIDS = [20, 21, 23]
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (INTEGER_OIDS.includes(oid) && format !== 'binary') return (text: string) => BigInt(text)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export interface TableCopied {
  table: string
  rows: number
  /** The order-independent digest of its rows, equal on both sides. */
  digest: string
}

export type CopyOutcome =
  | { ok: true; tables: TableCopied[]; ledger: LedgerChecksum }
  | { ok: false; message: string }

/**
 * Copies every table of an SQLite database into an empty PostgreSQL database on the same schema
 * (both migrated by this Easel first), then checks, before committing, that both sides agree:
 * rows and an order-independent digest per table, and the ledger's checksum computed by each
 * database's own sums.
 *
 * One transaction, in batches of rows per INSERT: a failure anywhere (a refused row, a digest that
 * differs, a dropped connection) leaves the target as empty as it was, so the operator fixes the
 * cause and runs the command again — nothing to resume, nothing half-copied that a server might
 * start on. An SQLite installation is one machine's data, which PostgreSQL takes in one
 * transaction without trouble (it has no undo log to overflow; the rows go to its WAL as written).
 * The source is read inside one read transaction too, so the copy is one consistent snapshot even
 * if a server was left running on it (its later writes are not copied: stop it first).
 */
export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string): Promise<CopyOutcome> {
  const source = new BetterSqlite3(sqlitePath, { readonly: true, fileMustExist: true })
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 1, types })
  // An idle client's error (the server going away) reaches the query that uses it; never the process.
  pool.on('error', () => {})
  let client: pg.PoolClient | undefined
  try {
    client = await pool.connect()
    source.exec('begin')
    const refusal = await checkTarget(source, client)
    if (refusal) return { ok: false, message: refusal }
    const tables = tablesInDependencyOrder(source, sqliteTables(source))

    await client.query('begin')
    let committed = false
    try {
      for (const t of Object.keys(SEEDED)) if (tables.includes(t)) await client.query(`delete from "${t}"`)
      const copied: TableCopied[] = []
      for (const table of tables) copied.push(await copyTable(source, client, table))

      const problems: string[] = []
      for (const c of copied) {
        const back = await digestTarget(client, c.table, sqliteColumns(source, c.table))
        if (back.rows !== c.rows || back.hex !== c.digest) {
          problems.push(
            `${c.table}: SQLite ${c.rows} rows (digest ${c.digest}), PostgreSQL ${back.rows} (${back.hex})`,
          )
        }
      }
      const sourceLedger = await ledgerChecksum(
        async (sql) => source.prepare(sql).safeIntegers(true).all() as never,
      )
      const targetLedger = await ledgerChecksum(async (sql) => (await client!.query(sql)).rows)
      if (sourceLedger.sha256 !== targetLedger.sha256) {
        problems.push(
          `the ledger's checksum differs: SQLite ${sourceLedger.sha256}, PostgreSQL ${targetLedger.sha256}`,
        )
      }
      if (problems.length > 0) {
        return {
          ok: false,
          message: `the copy does not match its source, so nothing was committed:\n  ${problems.join('\n  ')}`,
        }
      }
      await client.query('commit')
      committed = true
      return { ok: true, tables: copied, ledger: targetLedger }
    } finally {
      if (!committed) await client.query('rollback').catch(() => {})
    }
  } finally {
    if (source.inTransaction) source.exec('rollback')
    source.close()
    client?.release()
    await pool.end()
  }
}

/** Why the target cannot take the copy (another schema, data already there), or null. */
async function checkTarget(source: BetterSqlite3.Database, client: pg.PoolClient): Promise<string | null> {
  const sourceMigrations = sqliteMigrations(source)
  const targetMigrations = (
    await client.query<{ name: string }>('select name from kysely_migration order by name')
  ).rows.map((r) => r.name)
  if (sourceMigrations.join('\n') !== targetMigrations.join('\n')) {
    return `the two databases are on different schemas (SQLite at ${sourceMigrations.at(-1)}, PostgreSQL at ${targetMigrations.at(-1)}): run this Easel's "easel migrate" on both`
  }
  const targetTables = (
    await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables
       where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    )
  ).rows
    .map((r) => r.table_name)
    .filter((t) => !MIGRATION_TABLES.includes(t))
  for (const table of sqliteTables(source)) {
    if (!targetTables.includes(table)) return `PostgreSQL has no table ${table}, which SQLite has`
    const columns = new Set(
      (
        await client.query<{ column_name: string }>(
          `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1`,
          [table],
        )
      ).rows.map((r) => r.column_name),
    )
    const absent = sqliteColumns(source, table).filter((c) => !columns.has(c))
    if (absent.length > 0) return `PostgreSQL's ${table} has no column ${absent.join(', ')}`
  }
  const occupied: string[] = []
  for (const table of targetTables) {
    const seed = SEEDED[table]
    const { rows } = await client.query<{ n: bigint }>(
      `select count(*) as n from "${table}"${seed ? ` where not (${seed})` : ''}`,
    )
    if (rows[0]!.n > 0n) occupied.push(`${table} (${rows[0]!.n} rows)`)
  }
  if (occupied.length > 0) {
    return `the PostgreSQL database is not empty: ${occupied.join(', ')}. migrate-to-postgres copies into an empty database only; create a new one (createdb) and pass its URL.`
  }
  return null
}

/** Copies one table in batches, digesting the rows as they are read. */
async function copyTable(
  source: BetterSqlite3.Database,
  client: pg.PoolClient,
  table: string,
): Promise<TableCopied> {
  const columns = sqliteColumns(source, table)
  const list = columns.map((c) => `"${c}"`).join(', ')
  const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMS / columns.length)))
  const digest = new TableDigest()
  let batch: unknown[][] = []
  const flush = async () => {
    if (batch.length === 0) return
    const values = batch
      .map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
      .join(', ')
    await client.query(`insert into "${table}" (${list}) values ${values}`, batch.flat())
    batch = []
  }
  const rows = source
    .prepare(`select ${list} from "${table}"`)
    .safeIntegers(true)
    .raw(true)
    .iterate() as Iterable<unknown[]>
  for (const row of rows) {
    digest.add(row)
    batch.push(row)
    if (batch.length >= batchRows) await flush()
  }
  await flush()
  return { table, rows: digest.rows, digest: digest.hex }
}

/** Reads a table back from the target (through a cursor, inside the copy's transaction) and digests it. */
async function digestTarget(client: pg.PoolClient, table: string, columns: string[]): Promise<TableDigest> {
  const digest = new TableDigest()
  const list = columns.map((c) => `"${c}"`).join(', ')
  await client.query(`declare easel_copy_check no scroll cursor for select ${list} from "${table}"`)
  try {
    for (;;) {
      const { rows } = await client.query({
        text: `fetch ${FETCH_ROWS} from easel_copy_check`,
        rowMode: 'array',
      })
      for (const row of rows as unknown[][]) digest.add(row)
      if (rows.length < FETCH_ROWS) break
    }
  } finally {
    await client.query('close easel_copy_check')
  }
  return digest
}
