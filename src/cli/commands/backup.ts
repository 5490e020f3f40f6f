import fs from 'node:fs'
import path from 'node:path'
import { backupSqlite } from '../../ops/sqlite-backup.ts'
import { parseOptions, required } from '../args.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'

export const BACKUP_USAGE = `Usage: easel backup --to DIR

Backs up an SQLite installation while it runs: the database through SQLite's online backup API
(one consistent snapshot; the server keeps writing), then the image files under
<data dir>/images, then DIR/manifest.json (Easel version, schema, time, row counts, SHA-256 of
the database). DIR must be empty or absent. Restore with "easel restore --from DIR".

On PostgreSQL, Easel does not copy the database itself: it explains how to use pg_dump and the
object store's own tools, and exits with status 1.`

/** What to do instead on PostgreSQL, where the database and the object store have their own tools. */
export const POSTGRES_BACKUP_ADVICE = `easel backup copies SQLite installations only. On PostgreSQL use the database's own tools:

  Database (a consistent snapshot, taken while Easel runs):
    pg_dump --format=custom --file=easel.dump "$DATABASE_URL"
  Restore into a new, empty database, then start Easel on it:
    createdb easel_restored
    pg_restore --no-owner --dbname=postgres://…/easel_restored easel.dump
    DATABASE_URL=postgres://…/easel_restored easel ledger verify

  Images: with EASEL_S3_BUCKET, copy the bucket with the store's tools after pg_dump finishes
  (objects written later are referenced by nothing in the dump), e.g.
    aws s3 sync s3://BUCKET ./easel-images        (add --endpoint-url for MinIO, R2…)
    mc mirror store/BUCKET ./easel-images          (MinIO client)
  or turn on the bucket's versioning or replication. Without S3, copy <data dir>/images after
  pg_dump (cp -a or rsync).

  Point-in-time recovery: continuous WAL archiving (pgBackRest, WAL-G, or your provider's backups).`

export async function backupCommand(ctx: CliContext, argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help') {
    ctx.out(BACKUP_USAGE)
    return EXIT.ok
  }
  const o = parseOptions(argv, { to: { type: 'string' } }, BACKUP_USAGE)
  const { database, dataDir } = ctx.config
  if (database.kind === 'postgres') {
    ctx.err(POSTGRES_BACKUP_ADVICE)
    return EXIT.refused
  }
  const toDir = path.resolve(required(o.to, 'to', BACKUP_USAGE))
  if (fs.existsSync(toDir) && (!fs.statSync(toDir).isDirectory() || fs.readdirSync(toDir).length > 0)) {
    throw new UsageError(
      `--to ${toDir} must be an empty or new directory (a backup never overwrites another)`,
    )
  }
  if (!fs.existsSync(database.path)) {
    throw new UsageError(
      `there is no database at ${database.path}. Run the CLI with the server's EASEL_DATA_DIR or DATABASE_URL.`,
    )
  }
  const s3 = ctx.config.s3
  const m = await backupSqlite({
    databasePath: database.path,
    dataDir,
    toDir,
    clock: ctx.clock,
    imagesOnS3: s3 !== null,
  })
  const rows = Object.values(m.tables).reduce((a, b) => a + b, 0)
  ctx.out(
    `Backed up ${database.path} (${m.database.bytes} bytes, ${rows} rows, schema ${m.database.migration}).`,
  )
  if (s3) {
    ctx.out(
      `Images are in s3://${s3.bucket} and are not in this backup: copy the bucket with the store's own tools now (e.g. aws s3 sync s3://${s3.bucket} DIR), or keep its versioning on.`,
    )
  } else
    ctx.out(
      `Images: ${m.images.files} files (${m.images.bytes} bytes); ${m.images.referenced} referenced by the database.`,
    )
  if (m.images.missing.length > 0) {
    ctx.out(
      `${m.images.missing.length} referenced images were deleted after the snapshot and are not in the backup.`,
    )
  }
  ctx.out(
    `Backup in ${toDir} (manifest.json, sha256 ${m.database.sha256}). Restore with: easel restore --from ${toDir}`,
  )
  return EXIT.ok
}
