import { migrateToLatest } from '../../db/migrate.ts'
import { openDatabase } from '../../db/open.ts'
import { parseOptions } from '../args.ts'
import type { CliContext } from '../io.ts'

export const MIGRATE_USAGE =
  'Usage: easel migrate\n\nBrings the database schema up to date (start-up does this too).'

export async function migrateCommand(ctx: CliContext, argv: string[]): Promise<number> {
  parseOptions(argv, {}, MIGRATE_USAGE)
  const db = await openDatabase(ctx.config.database, { migrate: false })
  try {
    const result = await migrateToLatest(db.kysely)
    const applied = result.results ?? []
    if (applied.length === 0) ctx.out('The database is up to date.')
    for (const r of applied) ctx.out(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`)
    return 0
  } finally {
    await db.close()
  }
}
