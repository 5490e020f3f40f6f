import { CLI_ACTOR } from '../../accounts/index.ts'
import { parseDurationFlag, parseInteger, parseOptions } from '../args.ts'
import { formatTime, table } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { report, withAccounts } from '../ledger-session.ts'

export const INVITES_USAGE = `Usage: easel invites <command> [options]

Commands:
  create  [--cohort beta] [--uses N] [--expires 7d] [--json]
  list    [--json]

An invite code admits N sign-ups (default 1) when sign-up is by invitation, and places its users in
the cohort given (labs-2022: beta brings a one-time bonus of 50 credits). "create" prints the code
alone on its last line, this once: only its hash is stored.`

export async function invitesCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const u = INVITES_USAGE
  switch (sub) {
    case 'create': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          cohort: { type: 'string' },
          uses: { type: 'string' },
          expires: { type: 'string' },
        },
        u,
      )
      const maxUses = o.uses === undefined ? 1 : parseInteger(o.uses, 'uses', u)
      const lifetime = o.expires === undefined ? null : parseDurationFlag(o.expires, 'expires', u)
      return withAccounts(ctx, async (accounts) =>
        report(
          ctx,
          await accounts.createInvite(
            {
              cohort: o.cohort ?? null,
              maxUses,
              expiresAt: lifetime === null ? null : ctx.clock.now() + lifetime,
            },
            { actor: CLI_ACTOR },
          ),
          o.json ?? false,
          (inv) => [
            `Invite ${inv.id}: ${inv.maxUses} ${inv.maxUses === 1 ? 'use' : 'uses'}` +
              `${inv.cohort ? `, cohort ${inv.cohort}` : ''}, expires ${formatTime(inv.expiresAt)}.`,
            'The code is shown this once:',
            inv.code,
          ],
        ),
      )
    }
    case 'list': {
      const o = parseOptions(rest, { json: { type: 'boolean' } }, u)
      return withAccounts(ctx, async (accounts) => {
        const invites = await accounts.listInvites()
        if (o.json) ctx.out(JSON.stringify(invites, null, 2))
        else if (invites.length === 0) ctx.out('No invites.')
        else {
          for (const line of table(
            ['ID', 'COHORT', 'USES', 'OF', 'CREATED', 'EXPIRES'],
            invites.map((i) => [
              i.id,
              i.cohort ?? '',
              i.uses,
              i.maxUses,
              formatTime(i.createdAt),
              formatTime(i.expiresAt),
            ]),
          )) {
            ctx.out(line)
          }
        }
        return EXIT.ok
      })
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(u)
      return sub === undefined ? EXIT.usage : EXIT.ok
    default:
      throw new UsageError(`unknown command "invites ${sub}"`, u)
  }
}
