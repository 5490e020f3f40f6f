import { GRACE_MS, SWEEP_EVERY_MS, type SweepOutcome } from '../../app/index.ts'
import { startServer } from '../../http/server.ts'
import { parseDurationFlag, parseOptions } from '../args.ts'
import type { CliContext } from '../io.ts'

export const START_USAGE = `Usage: easel start [--sweep-every 60s] [--grace 10s]

Serves the studio, the OpenAI-compatible Images API (/v1) and the native API (/api) on HOST:PORT
(default 127.0.0.1:8080), with SQLite in EASEL_DATA_DIR unless DATABASE_URL names PostgreSQL.
The database is migrated first. Every --sweep-every, overdue holds are released and expired
credits recorded. On Ctrl-C (or SIGTERM) it stops taking requests, lets running jobs finish for
up to --grace, stops the rest (releasing their holds) and exits.`

export async function startCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const o = parseOptions(argv, { 'sweep-every': { type: 'string' }, grace: { type: 'string' } }, START_USAGE)
  const everyMs = o['sweep-every']
    ? parseDurationFlag(o['sweep-every'], 'sweep-every', START_USAGE)
    : SWEEP_EVERY_MS
  const graceMs = o.grace ? parseDurationFlag(o.grace, 'grace', START_USAGE) : GRACE_MS
  // The first sweep runs during start-up; what it did is printed after the listening line.
  const swept: SweepOutcome[] = []
  let listening = false
  const printSweep = (outcome: SweepOutcome) => {
    if (!listening) swept.push(outcome)
    else if (!outcome.ok) ctx.err(`easel: sweep failed: ${outcome.error.message}`)
    else if (outcome.value.holdsReleased + outcome.value.lotsExpired > 0) {
      const r = outcome.value
      ctx.out(`easel: released ${r.holdsReleased} overdue holds, expired ${r.creditsExpired} credits`)
    }
  }
  const server = await startServer(ctx.config, {
    clock: ctx.clock,
    sweepEveryMs: everyMs,
    onSweep: printSweep,
  })
  const { services } = server
  const where = ctx.config.database.kind === 'sqlite' ? ctx.config.database.path : 'PostgreSQL'
  ctx.out(
    `easel: listening on ${server.url} (${services.db.dialect}: ${where}; engines: ${services.registry.engines.map((e) => e.name).join(', ')})`,
  )
  if (!(await services.accounts.isSetUp())) {
    ctx.out(
      `easel: open ${server.url} to set up the owner account (or set EASEL_ADMIN_EMAIL and EASEL_ADMIN_PASSWORD)`,
    )
  }
  listening = true
  for (const outcome of swept.splice(0)) printSweep(outcome)
  await ctx.stopSignal
  ctx.out('easel: stopping: finishing running jobs…')
  await server.close(graceMs)
  ctx.out('easel: stopped.')
  return 0
}
