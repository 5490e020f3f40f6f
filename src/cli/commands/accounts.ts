import { parseOptions } from '../args.ts'
import { type CliContext, UsageError } from '../io.ts'
import { report, withLedger } from '../ledger-session.ts'

export const ACCOUNTS_USAGE = `Usage: easel accounts create [--id acct_…] [--reference TEXT] [--plan PLAN] [--cohorts beta,…]
                            [--idempotency-key K] [--json]

Creates a credit account (the party that holds a balance) and prints its id. The plan (default
free) sets its monthly allowance; each cohort may carry a one-time bonus (labs-2022: beta, 50).`

export async function accountsCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'create') {
    if (sub === undefined || sub === 'help' || sub === '--help') {
      ctx.out(ACCOUNTS_USAGE)
      return sub === undefined ? 2 : 0
    }
    throw new UsageError(`unknown command "accounts ${sub}"`, ACCOUNTS_USAGE)
  }
  const o = parseOptions(
    rest,
    {
      json: { type: 'boolean' },
      id: { type: 'string' },
      reference: { type: 'string' },
      plan: { type: 'string' },
      cohorts: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
    ACCOUNTS_USAGE,
  )
  return withLedger(ctx, async (ledger) =>
    report(
      ctx,
      await ledger.createAccount({
        ...(o.id ? { id: o.id } : {}),
        reference: o.reference ?? null,
        ...(o.plan ? { plan: o.plan } : {}),
        ...(o.cohorts ? { cohorts: o.cohorts.split(',').map((c) => c.trim()) } : {}),
        ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
      }),
      o.json ?? false,
      (a) => [a.accountId],
    ),
  )
}
