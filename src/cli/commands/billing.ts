import { createCore } from '../../app/index.ts'
import { billingSettingsOf } from '../../app/link-base.ts'
import { paymentProviderFromConfig } from '../../billing/providers/index.ts'
import { Purchases } from '../../billing/purchases.ts'
import { parseDurationFlag, parseOptions } from '../args.ts'
import { formatTime } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { openExistingDatabase } from '../ledger-session.ts'

export const BILLING_USAGE = `Usage: easel billing reconcile [--since 72h] [--json]

Lists the payment provider's (Stripe's) Checkout events of the period from its API and applies
those Easel has not recorded: what a webhook outage missed. Events applied before are left alone,
so it is safe to run any time, as often as you like. Prints each event it applied and what it did.
Needs EASEL_STRIPE_SECRET_KEY (and EASEL_STRIPE_WEBHOOK_SECRET) as the server has them.`

export async function billingCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'reconcile') {
    if (sub === undefined || sub === 'help' || sub === '--help') {
      ctx.out(BILLING_USAGE)
      return sub === undefined ? EXIT.usage : EXIT.ok
    }
    throw new UsageError(`unknown command "billing ${sub}"`, BILLING_USAGE)
  }
  const o = parseOptions(rest, { since: { type: 'string' }, json: { type: 'boolean' } }, BILLING_USAGE)
  const since = ctx.clock.now() - parseDurationFlag(o.since ?? '72h', 'since', BILLING_USAGE)
  if (!ctx.config.stripe) {
    ctx.err(
      'easel: Stripe is not configured (EASEL_STRIPE_SECRET_KEY): there are no provider events to reconcile',
    )
    return EXIT.refused
  }
  const db = await openExistingDatabase(ctx)
  try {
    const core = await createCore(ctx.config, db, { clock: ctx.clock })
    const purchases = new Purchases(
      db,
      core.ledger,
      paymentProviderFromConfig(ctx.config, { clock: ctx.clock }),
      billingSettingsOf(ctx.config),
    )
    const applied = await purchases.reconcile(since)
    if (o.json) {
      ctx.out(JSON.stringify({ since, applied }, null, 2))
    } else {
      for (const event of applied) ctx.out(`${event.id}  ${event.type}  ${event.outcome}`)
      ctx.out(
        `Applied ${applied.length} event${applied.length === 1 ? '' : 's'} not recorded before, of those since ${formatTime(since)}.`,
      )
    }
    return EXIT.ok
  } finally {
    await db.close()
  }
}
