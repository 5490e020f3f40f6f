import { ConfigError, loadConfig } from '../config.ts'
import { type Clock, systemClock } from '../util/clock.ts'
import { accountsCommand } from './commands/accounts.ts'
import { allowancesCommand } from './commands/allowances.ts'
import { auditCommand } from './commands/audit.ts'
import { backupCommand } from './commands/backup.ts'
import { billingCommand } from './commands/billing.ts'
import { creditsCommand } from './commands/credits.ts'
import { invitesCommand } from './commands/invites.ts'
import { keysCommand } from './commands/keys.ts'
import { ledgerCommand } from './commands/ledger.ts'
import { migrateCommand } from './commands/migrate.ts'
import { migrateToPostgresCommand } from './commands/migrate-to-postgres.ts'
import { pricingCommand } from './commands/pricing.ts'
import { reportCommand } from './commands/report.ts'
import { restoreCommand } from './commands/restore.ts'
import { startCommand } from './commands/start.ts'
import { usersCommand } from './commands/users.ts'
import { type CliContext, EXIT, UsageError } from './io.ts'
import { processOutput } from './stdio.ts'

export const USAGE = `Usage: easel <command> [options]

Commands:
  start                 serve the studio and the APIs on HOST:PORT (default 127.0.0.1:8080)
  migrate               bring the database schema up to date
  users <command>       create, list, set, reset-two-factor: people who sign in
  keys <command>        create, list, revoke API keys
  invites <command>     create, list sign-up invite codes
  accounts create       create a credit account
  allowances run        grant every account the allowances it is owed, ahead of its activity
  credits <command>     grant, balance, history, hold, capture, release, refund, expire
                        (--account ID or --email E)
  ledger verify         check every invariant of the ledger
  pricing <command>     validate, activate and show price books
  report <command>      ledger (credits, revenue, breakage over a period), charge (one job's cost)
  audit                 the audit log of administrative actions, newest first (--action, --subject)
  billing reconcile     apply the Stripe events a webhook outage missed (--since 72h)
  backup --to DIR       back up a running SQLite installation (database and images)
  restore --from DIR    restore a backup into an empty data directory, then verify the ledger
  migrate-to-postgres   copy an SQLite installation into PostgreSQL (--to postgres://…)

Configuration (environment):
  EASEL_DATA_DIR        where data lives (default ./data; SQLite at <dir>/easel.db)
  DATABASE_URL          postgres://… to use PostgreSQL instead of SQLite
  EASEL_DB_POOL_SIZE    PostgreSQL connections per process (default 8)
  PORT, HOST            where easel start listens (default 8080 on 127.0.0.1)
  EASEL_ADMIN_EMAIL, EASEL_ADMIN_PASSWORD   make the owner (admin) at start-up
  EASEL_SIGNUP          open, invite or closed (default open)
  EASEL_OPENAI_API_KEY, EASEL_SDWEBUI_URL   turn on the openai and sdwebui engines
  (README.md lists every setting)

Run "easel <command> help" for a command's options.`

export interface RunOptions {
  env?: Record<string, string | undefined>
  clock?: Clock
  out?: (line: string) => void
  err?: (line: string) => void
  /** Resolves to stop a long-running command; defaults to SIGINT/SIGTERM or a closed stdout. */
  stopSignal?: Promise<void>
}

/** Runs the `easel` command line; resolves to the exit status. */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  // Only a command that writes to the process's own streams hears of a reader going away.
  const stdio = options.out && options.err ? undefined : processOutput()
  const out = options.out ?? stdio!.out
  const err = options.err ?? stdio!.err
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE)
    return command === undefined ? EXIT.usage : EXIT.ok
  }
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(options.env ?? process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`easel: ${error.message}`)
      return EXIT.usage
    }
    throw error
  }
  const signals = options.stopSignal ? undefined : signalled()
  const ctx: CliContext = {
    config,
    clock: options.clock ?? systemClock,
    out,
    err,
    stopSignal: options.stopSignal ?? Promise.race([signals!.stopped, ...(stdio ? [stdio.closed] : [])]),
  }
  try {
    switch (command) {
      case 'start':
        return await startCommand(ctx, rest)
      case 'migrate':
        return await migrateCommand(ctx, rest)
      case 'users':
        return await usersCommand(ctx, rest)
      case 'keys':
        return await keysCommand(ctx, rest)
      case 'invites':
        return await invitesCommand(ctx, rest)
      case 'accounts':
        return await accountsCommand(ctx, rest)
      case 'allowances':
        return await allowancesCommand(ctx, rest)
      case 'credits':
        return await creditsCommand(ctx, rest)
      case 'ledger':
        return await ledgerCommand(ctx, rest)
      case 'pricing':
        return await pricingCommand(ctx, rest)
      case 'report':
        return await reportCommand(ctx, rest)
      case 'audit':
        return await auditCommand(ctx, rest)
      case 'billing':
        return await billingCommand(ctx, rest)
      case 'backup':
        return await backupCommand(ctx, rest)
      case 'restore':
        return await restoreCommand(ctx, rest)
      case 'migrate-to-postgres':
        return await migrateToPostgresCommand(ctx, rest)
      default:
        throw new UsageError(`unknown command "${command}"`, USAGE)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`easel: ${error.message}`)
      if (error.usage) err(`\n${error.usage}`)
      return EXIT.usage
    }
    throw error
  } finally {
    signals?.dispose()
  }
}

/** Resolves on SIGINT or SIGTERM until disposed (so that runs in one process do not pile up listeners). */
function signalled(): { stopped: Promise<void>; dispose(): void } {
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => {
    stop = () => resolve()
  })
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    },
  }
}
