import { parseOptions } from '../args.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { withLedger } from '../ledger-session.ts'

export const LEDGER_USAGE = `Usage: easel ledger verify [--json]

Checks every invariant of the credit ledger over the whole database (balanced journal, lots and
balances equal to what the journal says, no negative balance, holds settled once, no spent expired
credit, credits conserved). Exit status 0 when all hold, 1 with each violation printed.`

export async function ledgerCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') {
    if (sub === undefined || sub === 'help' || sub === '--help') {
      ctx.out(LEDGER_USAGE)
      return sub === undefined ? 2 : 0
    }
    throw new UsageError(`unknown command "ledger ${sub}"`, LEDGER_USAGE)
  }
  const o = parseOptions(rest, { json: { type: 'boolean' } }, LEDGER_USAGE)
  return withLedger(ctx, async (ledger) => {
    const r = await ledger.verify()
    if (o.json) {
      ctx.out(JSON.stringify(r, null, 2))
    } else {
      const c = r.checked
      ctx.out(
        `Checked ${c.accounts} accounts, ${c.lots} lots, ${c.holds} holds, ${c.transactions} transactions, ${c.postings} postings.`,
      )
      for (const v of r.violations) ctx.out(`VIOLATION invariant ${v.invariant} ${v.subject}: ${v.message}`)
      if (r.awaitingExpirySweep > 0) {
        ctx.out(
          `${r.awaitingExpirySweep} expired lots still hold credits (unspendable; \`easel credits expire\` records them).`,
        )
      }
      ctx.out(r.ok ? 'OK: every invariant holds.' : `FAILED: ${r.violations.length} violations.`)
    }
    return r.ok ? EXIT.ok : EXIT.refused
  })
}
