import path from 'node:path'
import { restoreSqlite } from '../../ops/sqlite-restore.ts'
import { parseOptions, required } from '../args.ts'
import { type CliContext, EXIT } from '../io.ts'
import { withLedger } from '../ledger-session.ts'

export const RESTORE_USAGE = `Usage: easel restore --from DIR

Restores a backup made by "easel backup" into the configured data directory (EASEL_DATA_DIR),
which must be empty or absent: an existing installation is never overwritten (move it aside).
Checks the manifest, the database's SHA-256 and every image against its recorded SHA-256 before
writing anything, then runs "easel ledger verify" on the restored database. Exit status 0 when
the restored ledger verifies, 1 otherwise.

PostgreSQL installations are restored with pg_restore (see "easel backup help").`

export async function restoreCommand(ctx: CliContext, argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help') {
    ctx.out(RESTORE_USAGE)
    return EXIT.ok
  }
  const o = parseOptions(argv, { from: { type: 'string' } }, RESTORE_USAGE)
  const fromDir = path.resolve(required(o.from, 'from', RESTORE_USAGE))
  const { database, dataDir } = ctx.config
  if (database.kind === 'postgres') {
    ctx.err(
      'easel: easel restore restores SQLite backups; on PostgreSQL use pg_restore (see "easel backup help").',
    )
    return EXIT.refused
  }
  const restored = await restoreSqlite({ fromDir, databasePath: database.path, dataDir })
  if (!restored.ok) {
    ctx.err(`easel: ${restored.message}`)
    return EXIT.refused
  }
  const { manifest, images } = restored
  ctx.out(
    `Restored the backup taken at ${manifest.takenAt} by Easel ${manifest.easelVersion} (schema ${manifest.database.migration}) into ${database.path}; ${images.files} image files.`,
  )
  if (manifest.images.store === 's3') {
    ctx.out(
      "The installation kept its images in an S3 bucket: they are not in the backup. Restore the bucket with the store's own tools and start with the same EASEL_S3_* settings.",
    )
  }
  return withLedger(ctx, async (ledger) => {
    const r = await ledger.verify()
    const c = r.checked
    ctx.out(
      `ledger verify: checked ${c.accounts} accounts, ${c.lots} lots, ${c.holds} holds, ${c.transactions} transactions.`,
    )
    for (const v of r.violations) ctx.out(`VIOLATION invariant ${v.invariant} ${v.subject}: ${v.message}`)
    ctx.out(
      r.ok
        ? 'OK: every invariant holds. Start Easel on this data directory.'
        : `FAILED: ${r.violations.length} violations.`,
    )
    return r.ok ? EXIT.ok : EXIT.refused
  })
}
