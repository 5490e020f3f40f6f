import { Ledger } from '../../credits/index.ts'
import { DatabasePricing } from '../../credits/pricing/catalog.ts'
import { openDatabase } from '../../db/open.ts'
import { parseDurationFlag, parseOptions } from '../args.ts'
import type { CliContext } from '../io.ts'

export const START_USAGE = `Usage: easel start [--sweep-every 60s]

Opens (and migrates) the database, then keeps the credit ledger's books current until stopped:
overdue holds are released and expired credits recorded every --sweep-every.`

export async function startCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const o = parseOptions(argv, { 'sweep-every': { type: 'string' } }, START_USAGE)
  const everyMs = o['sweep-every'] ? parseDurationFlag(o['sweep-every'], 'sweep-every', START_USAGE) : 60_000
  const db = await openDatabase(ctx.config.database)
  const pricing = await DatabasePricing.load(db.kysely, ctx.clock)
  const ledger = new Ledger(db, { clock: ctx.clock, pricing })
  const where = ctx.config.database.kind === 'sqlite' ? ctx.config.database.path : 'PostgreSQL'
  ctx.out(
    `easel: credit ledger ready on ${db.dialect} (${where}); sweeping every ${everyMs / 1000} s. Ctrl-C stops.`,
  )
  let sweeping: Promise<unknown> = Promise.resolve()
  const sweep = () => {
    sweeping = pricing
      // Versions another process activated since the last sweep.
      .refresh()
      .then(() => ledger.expireDue())
      .then((r) => {
        if (r.holdsReleased + r.lotsExpired > 0) {
          ctx.out(`easel: released ${r.holdsReleased} overdue holds, expired ${r.creditsExpired} credits`)
        }
      })
      .catch((e: unknown) => ctx.err(`easel: sweep failed: ${(e as Error).message}`))
  }
  sweep()
  const timer = setInterval(sweep, everyMs)
  await ctx.stopSignal
  clearInterval(timer)
  await sweeping
  await db.close()
  ctx.out('easel: stopped.')
  return 0
}
