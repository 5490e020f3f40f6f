import fs from 'node:fs'
import path from 'node:path'
import type { Accounts } from '../accounts/index.ts'
import { type Core, createCore } from '../app/index.ts'
import type { Ledger, Result } from '../credits/index.ts'
import { type Database, openDatabase } from '../db/open.ts'
import { type CliContext, EXIT, UsageError } from './io.ts'

/**
 * Opens the configured database for a command that works on data already there (every command but
 * `start` and `migrate`, which create it). An SQLite data directory that does not exist is refused,
 * not created: the usual cause is a CLI run from another directory or with another environment than
 * the server, and an empty new database would answer "no users" as if that were true.
 */
export async function openExistingDatabase(ctx: CliContext): Promise<Database> {
  const { database, dataDir } = ctx.config
  if (database.kind === 'sqlite') {
    const dir = path.dirname(database.path)
    if (!fs.existsSync(dir)) {
      const where =
        database.path === path.join(dataDir, 'easel.db')
          ? `the data directory ${dir} (EASEL_DATA_DIR) does not exist`
          : `the directory of the SQLite database ${database.path} (DATABASE_URL) does not exist`
      throw new UsageError(
        `${where}. Run the CLI with the server's EASEL_DATA_DIR or DATABASE_URL; "easel migrate" or "easel start" creates a new one.`,
      )
    }
  }
  return openDatabase(database)
}

/**
 * Opens the configured database (migrating it), builds the core through the composition root (the
 * ledger priced by the book versions in force, so an account's first activity in a period receives
 * its allowance; the accounts service), runs `fn` with it and always closes the database. Nothing
 * runs in the background: sweeps and recovery belong to `easel start`.
 */
async function withCore<T>(ctx: CliContext, fn: (core: Core) => Promise<T>): Promise<T> {
  const db = await openExistingDatabase(ctx)
  try {
    return await fn(await createCore(ctx.config, db, { clock: ctx.clock }))
  } finally {
    await db.close()
  }
}

/** Runs `fn` with the ledger of the configured database (see {@link withCore}). */
export async function withLedger<T>(ctx: CliContext, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  return withCore(ctx, (core) => fn(core.ledger))
}

/**
 * Like {@link withLedger}, with the accounts service (users, API keys, invites) on the same database
 * and clock.
 */
export async function withAccounts<T>(
  ctx: CliContext,
  fn: (accounts: Accounts, ledger: Ledger) => Promise<T>,
): Promise<T> {
  return withCore(ctx, (core) => fn(core.accounts, core.ledger))
}

/** A refusal of the ledger or of the accounts service: a closed set of codes with a message. */
export interface Refusal {
  code: string
  message: string
}

/**
 * Prints a refusal and returns its exit status: a request found malformed is a usage error (2); a
 * well-formed one that was refused (not enough credits, unknown hold, email taken) is 1.
 */
export function reportRefusal(ctx: CliContext, error: Refusal, json: boolean): number {
  if (json) ctx.out(JSON.stringify({ error }, null, 2))
  else ctx.err(`easel: ${error.message}`)
  return error.code === 'VALIDATION' ? EXIT.usage : EXIT.refused
}

/** Prints a result as JSON or through `human`, returning the exit status. */
export function report<T, E extends Refusal>(
  ctx: CliContext,
  result: Result<T, E>,
  json: boolean,
  human: (value: T) => string[],
): number {
  if (!result.ok) return reportRefusal(ctx, result.error, json)
  if (json) ctx.out(JSON.stringify(result.value, null, 2))
  else for (const line of human(result.value)) ctx.out(line)
  return EXIT.ok
}
