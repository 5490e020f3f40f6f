import { Ledger } from '../../credits/index.ts'
import { DatabasePricing } from '../../credits/pricing/catalog.ts'
import { parseDate, parseOptions } from '../args.ts'
import { formatTime } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { openExistingDatabase } from '../ledger-session.ts'

export const ALLOWANCES_USAGE = `Usage: easel allowances run [--at DATE] [--json]

Grants every account what the price book in force owes it at DATE (default now): the period's
monthly allowance and cohort bonuses not granted yet. Accounts receive these on their first
activity anyway; this records them ahead, in bulk. Safe to run again: nothing is granted twice.`

const PAGE = 500

export async function allowancesCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'run') {
    if (sub === undefined || sub === 'help' || sub === '--help') {
      ctx.out(ALLOWANCES_USAGE)
      return sub === undefined ? EXIT.usage : EXIT.ok
    }
    throw new UsageError(`unknown command "allowances ${sub}"`, ALLOWANCES_USAGE)
  }
  const o = parseOptions(rest, { at: { type: 'string' }, json: { type: 'boolean' } }, ALLOWANCES_USAGE)
  const at = o.at ? parseDate(o.at, 'at', ALLOWANCES_USAGE) : ctx.clock.now()
  const clock = { now: () => at }
  const db = await openExistingDatabase(ctx)
  try {
    const pricing = await DatabasePricing.load(db.kysely, clock)
    const ledger = new Ledger(db, { clock, pricing })
    // Only accounts that existed at `at` have a period then.
    const total = Number(
      (
        await db.kysely
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('created_at', '<=', at)
          .executeTakeFirstOrThrow()
      ).n,
    )
    const progress = progressBar(total, !o.json && process.stderr.isTTY === true)
    const summary = { at, accounts: 0, monthlyLots: 0, bonusLots: 0, credits: 0 }
    for (let after = ''; ; ) {
      const page = await db.kysely
        .selectFrom('accounts')
        .select('id')
        .where('id', '>', after)
        .where('created_at', '<=', at)
        .orderBy('id')
        .limit(PAGE)
        .execute()
      // The page's accounts go through group commit together: a few commits, not one per account.
      const results = await Promise.all(page.map((a) => ledger.ensureAllowances(a.id)))
      for (const r of results) {
        if (!r.ok) throw new Error(r.error.message)
        for (const g of r.value) {
          if (g.source === 'monthly') summary.monthlyLots++
          else summary.bonusLots++
          summary.credits += g.amount
        }
      }
      summary.accounts += page.length
      progress(summary.accounts)
      if (page.length < PAGE) break
      after = page[page.length - 1]!.id
    }
    progress.done()
    ctx.out(
      o.json
        ? JSON.stringify(summary, null, 2)
        : `Checked ${summary.accounts} accounts at ${formatTime(at)}: granted ${summary.monthlyLots} monthly and ${summary.bonusLots} bonus lots (${summary.credits} credits).`,
    )
    return EXIT.ok
  } finally {
    await db.close()
  }
}

/** A one-line progress bar on stderr, drawn only for a person watching a terminal. */
function progressBar(total: number, enabled: boolean) {
  const draw = (n: number) => {
    if (!enabled || total === 0) return
    const width = 30
    const filled = Math.round((n / total) * width)
    process.stderr.write(
      `\rgranting allowances [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total}`,
    )
  }
  return Object.assign(draw, {
    done: () => {
      if (enabled && total > 0) process.stderr.write('\n')
    },
  })
}
