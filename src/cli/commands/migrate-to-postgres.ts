import fs from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { createCore } from '../../app/services.ts'
import type { Config } from '../../config.ts'
import type { VerifyReport } from '../../credits/index.ts'
import { openDatabase } from '../../db/open.ts'
import { copySqliteToPostgres } from '../../ops/copy-to-postgres.ts'
import { referencedImages } from '../../ops/sqlite-inspect.ts'
import { LocalDiskImageStore } from '../../studio/image-stores/local-disk.ts'
import { S3ImageStore } from '../../studio/image-stores/s3.ts'
import { parseOptions, required } from '../args.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'

export const MIGRATE_TO_POSTGRES_USAGE = `Usage: easel migrate-to-postgres --to postgres://USER:PASSWORD@HOST:PORT/DATABASE

Copies this SQLite installation (EASEL_DATA_DIR or DATABASE_URL=sqlite:…) into an empty
PostgreSQL database: brings both schemas up to date, copies every table (accounts, ledger, users,
keys, jobs, images, billing…) in one transaction, checks that both sides agree (rows and a digest
per table, the ledger's balances and journal sums) before committing, then runs ledger verify on
PostgreSQL and prints how to switch. Stop "easel start" first: writes made during the copy are
not carried over.

Images: with EASEL_S3_BUCKET (and the other EASEL_S3_* settings) set, every image is uploaded
to the bucket first; without it they stay under <data dir>/images, where the local store of a
PostgreSQL installation on this machine (same EASEL_DATA_DIR) finds them.`

export async function migrateToPostgresCommand(ctx: CliContext, argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help') {
    ctx.out(MIGRATE_TO_POSTGRES_USAGE)
    return EXIT.ok
  }
  const o = parseOptions(argv, { to: { type: 'string' } }, MIGRATE_TO_POSTGRES_USAGE)
  const url = required(o.to, 'to', MIGRATE_TO_POSTGRES_USAGE)
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(
      '--to must be a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE',
      MIGRATE_TO_POSTGRES_USAGE,
    )
  }
  const { database } = ctx.config
  if (database.kind !== 'sqlite') {
    throw new UsageError(
      'this installation already runs on PostgreSQL (DATABASE_URL): there is nothing to migrate',
    )
  }
  if (!fs.existsSync(database.path)) {
    throw new UsageError(
      `there is no SQLite database at ${database.path}. Run the CLI with the server's EASEL_DATA_DIR or DATABASE_URL.`,
    )
  }
  const shown = redact(url)
  const target: Config = { ...ctx.config, database: { kind: 'postgres', url, poolSize: 4 } }

  // The source first: brought up to date (as start would) and its ledger checked, since copying a
  // ledger that breaks an invariant would only move the problem.
  const sourceReport = await verifyLedger(ctx, ctx.config)
  if (!sourceReport.ok) {
    printViolations(ctx, sourceReport)
    ctx.err('easel: the SQLite ledger does not verify; fix it (see "easel ledger verify") before migrating.')
    return EXIT.refused
  }

  const foreign = await foreignSchema(url)
  if (foreign) {
    ctx.err(`easel: ${shown} ${foreign}`)
    return EXIT.refused
  }
  await (await openDatabase(target.database)).close()

  if (ctx.config.s3) {
    const { uploaded, missing } = await uploadImages(ctx.config, database.path)
    ctx.out(
      `Uploaded ${uploaded} images to s3://${ctx.config.s3.bucket}${missing ? `; ${missing} files were already gone` : ''}.`,
    )
  }

  const copy = await copySqliteToPostgres(database.path, url)
  if (!copy.ok) {
    ctx.err(`easel: ${copy.message}`)
    return EXIT.refused
  }
  const rows = copy.tables.reduce((n, t) => n + t.rows, 0)
  ctx.out(`Copied ${rows} rows of ${copy.tables.length} tables from ${database.path} into ${shown}.`)
  for (const t of copy.tables.filter((t) => t.rows > 0))
    ctx.out(`  ${t.table.padEnd(28)} ${String(t.rows).padStart(9)} rows  digest ${t.digest}`)
  const l = copy.ledger
  ctx.out(
    `Both sides agree: every table's rows and digest; the ledger's checksum ${l.sha256.slice(0, 16)} (${l.accounts} accounts, ${l.available} credits available, ${l.held} held; journal ${Object.entries(
      l.journal,
    )
      .map(([b, s]) => `${b} ${s}`)
      .join(', ')}).`,
  )

  const targetReport = await verifyLedger(ctx, target)
  if (!targetReport.ok) {
    printViolations(ctx, targetReport)
    ctx.err(
      `easel: ledger verify fails on ${shown} although it passed on SQLite; do not switch (drop that database and report this).`,
    )
    return EXIT.refused
  }
  ctx.out(
    `ledger verify on PostgreSQL: OK, every invariant holds (${targetReport.checked.transactions} transactions).`,
  )
  ctx.out('')
  ctx.out('To switch: stop Easel, then start it with')
  ctx.out(`  DATABASE_URL=${shown}${shown === url ? '' : '   (with the password you passed to --to)'}`)
  if (ctx.config.s3) {
    ctx.out(`  and the same EASEL_S3_* settings: the images are in s3://${ctx.config.s3.bucket}.`)
  } else {
    ctx.out(
      `  and the same EASEL_DATA_DIR=${ctx.config.dataDir}: the images stay in ${ctx.config.dataDir}/images.`,
    )
    ctx.out(
      '  For API nodes or workers on other machines, move the images to S3-compatible storage: run this again into a new database with EASEL_S3_BUCKET set (it uploads them), or copy the folder with "aws s3 sync <data dir>/images s3://BUCKET" (objects are <account id>/<image id>.png).',
    )
  }
  ctx.out(`Keep ${database.path} until you are satisfied; Easel no longer writes it once switched.`)
  return EXIT.ok
}

async function verifyLedger(ctx: CliContext, config: Config): Promise<VerifyReport> {
  const db = await openDatabase(config.database)
  try {
    const core = await createCore(config, db, { clock: ctx.clock })
    return await core.ledger.verify()
  } finally {
    await db.close()
  }
}

function printViolations(ctx: CliContext, report: VerifyReport): void {
  for (const v of report.violations) ctx.err(`VIOLATION invariant ${v.invariant} ${v.subject}: ${v.message}`)
}

/**
 * Refuses a database that holds tables but no Easel schema: migrating it would add Easel's tables
 * to someone else's. (An Easel database with data is refused later, table by table.)
 */
async function foreignSchema(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    )
    const names = rows.map((r) => r.table_name)
    if (names.length > 0 && !names.includes('kysely_migration')) {
      return `holds tables that are not Easel's (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}): migrate-to-postgres copies into an empty database only`
    }
    return null
  } finally {
    await client.end()
  }
}

/**
 * Uploads every image the SQLite database references from the data directory to the configured
 * bucket, checking each against the SHA-256 on its row. A PUT replaces an object whole, so running
 * this again after a failure is harmless.
 */
async function uploadImages(
  config: Config,
  sqlitePath: string,
): Promise<{ uploaded: number; missing: number }> {
  const db = new BetterSqlite3(sqlitePath, { readonly: true, fileMustExist: true })
  let images: ReturnType<typeof referencedImages>
  try {
    images = referencedImages(db)
  } finally {
    db.close()
  }
  const local = new LocalDiskImageStore(config.dataDir)
  const s3 = new S3ImageStore(config.s3!)
  let uploaded = 0
  let missing = 0
  try {
    for (const image of images) {
      let png: Buffer
      try {
        png = await local.read(image.accountId, image.id)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        missing++
        continue
      }
      const stored = await s3.write(image.accountId, image.id, png)
      if (stored.sha256 !== image.sha256)
        throw new Error(`image ${image.id} does not match the SHA-256 on its row`)
      uploaded++
    }
  } finally {
    s3.close()
  }
  return { uploaded, missing }
}

/** The URL without its password, fit to print. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the --to database'
  }
}
