import type { Accounts, ApiKeyView } from '../../accounts/index.ts'
import { CLI_ACTOR } from '../../accounts/index.ts'
import { parseDurationFlag, parseOptions, required } from '../args.ts'
import { formatTime, table } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { report, reportRefusal, withAccounts } from '../ledger-session.ts'

export const KEYS_USAGE = `Usage: easel keys <command> [options]

Commands:
  create  --email E [--name NAME] [--expires 30d] [--json]
  list    [--email E] [--json]
  revoke  --id key_… | --prefix easel_sk_… [--reason TEXT] [--json]

An API key acts for its user and spends from their credit account. "create" prints the key alone
on its last line, this once: only its hash is stored. Durations: 30d, 12h, 15m, 90s.`

function status(key: ApiKeyView, now: number): string {
  if (key.revokedAt !== null) return `revoked ${formatTime(key.revokedAt)}`
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired'
  return 'active'
}

async function userByEmail(ctx: CliContext, accounts: Accounts, email: string, json: boolean) {
  const user = await accounts.findUserByEmail(email)
  if (!user) reportRefusal(ctx, { code: 'NOT_FOUND', message: `no user with email ${email}` }, json)
  return user
}

export async function keysCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const u = KEYS_USAGE
  switch (sub) {
    case 'create': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          email: { type: 'string' },
          name: { type: 'string' },
          expires: { type: 'string' },
        },
        u,
      )
      const email = required(o.email, 'email', u)
      const lifetime = o.expires === undefined ? null : parseDurationFlag(o.expires, 'expires', u)
      const json = o.json ?? false
      return withAccounts(ctx, async (accounts) => {
        const user = await userByEmail(ctx, accounts, email, json)
        if (!user) return EXIT.refused
        const created = await accounts.createApiKey(user.id, {
          ...(o.name === undefined ? {} : { name: o.name }),
          expiresAt: lifetime === null ? null : ctx.clock.now() + lifetime,
        })
        return report(ctx, created, json, ({ key, secret }) => [
          `API key ${key.id} "${key.name}" for ${user.email}, expires ${formatTime(key.expiresAt)}.`,
          'It is shown this once (only its hash is kept): store it now.',
          // Alone on the last line, so that scripts can take it with `tail -n 1`.
          secret,
        ])
      })
    }
    case 'list': {
      const o = parseOptions(rest, { json: { type: 'boolean' }, email: { type: 'string' } }, u)
      const json = o.json ?? false
      return withAccounts(ctx, async (accounts) => {
        let userId: string | null = null
        if (o.email !== undefined) {
          const user = await userByEmail(ctx, accounts, o.email, json)
          if (!user) return EXIT.refused
          userId = user.id
        }
        const keys = await accounts.listApiKeys(userId)
        if (json) {
          ctx.out(JSON.stringify(keys, null, 2))
          return EXIT.ok
        }
        if (keys.length === 0) {
          ctx.out('No API keys.')
          return EXIT.ok
        }
        const emails = new Map<string, string>()
        for (const id of new Set(keys.map((k) => k.userId))) {
          emails.set(id, (await accounts.getUser(id))?.email ?? id)
        }
        const now = ctx.clock.now()
        for (const line of table(
          ['ID', 'PREFIX', 'NAME', 'USER', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
          keys.map((k) => [
            k.id,
            k.prefix,
            k.name,
            emails.get(k.userId) ?? k.userId,
            formatTime(k.createdAt),
            formatTime(k.expiresAt),
            formatTime(k.lastUsedAt),
            status(k, now),
          ]),
        )) {
          ctx.out(line)
        }
        return EXIT.ok
      })
    }
    case 'revoke': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          id: { type: 'string' },
          prefix: { type: 'string' },
          reason: { type: 'string' },
        },
        u,
      )
      if (o.id !== undefined && o.prefix !== undefined)
        throw new UsageError('give --id or --prefix, not both', u)
      if (o.id === undefined && o.prefix === undefined)
        throw new UsageError('--id or --prefix is required', u)
      const json = o.json ?? false
      return withAccounts(ctx, async (accounts) => {
        let keyId = o.id
        if (keyId === undefined) {
          const matches = (await accounts.listApiKeys(null)).filter((k) => k.prefix === o.prefix)
          if (matches.length !== 1) {
            const message =
              matches.length === 0
                ? `no API key with prefix ${o.prefix}`
                : `${matches.length} API keys have prefix ${o.prefix}: give --id (see easel keys list)`
            return reportRefusal(ctx, { code: 'NOT_FOUND', message }, json)
          }
          keyId = matches[0]!.id
        }
        return report(
          ctx,
          await accounts.revokeApiKey(null, keyId, { actor: CLI_ACTOR, reason: o.reason ?? null }),
          json,
          (k) => [`Revoked API key ${k.id} (${k.prefix}…) at ${formatTime(k.revokedAt)}`],
        )
      })
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(u)
      return sub === undefined ? EXIT.usage : EXIT.ok
    default:
      throw new UsageError(`unknown command "keys ${sub}"`, u)
  }
}
