import { type Accounts, type AuditEntry, CLI_ACTOR, writeAudit } from '../../accounts/index.ts'
import { type Ledger, LOT_SOURCES, type LotSource, type Result } from '../../credits/index.ts'
import {
  parseDate,
  parseDurationFlag,
  parseInteger,
  parseMoneyFlag,
  parseOptions,
  required,
} from '../args.ts'
import { formatAmount, formatTime, table } from '../format.ts'
import { type CliContext, UsageError } from '../io.ts'
import { report, reportRefusal, withAccounts, withLedger } from '../ledger-session.ts'

export const CREDITS_USAGE = `Usage: easel credits <command> [options]

Commands:
  grant     --account ID --amount N --source SOURCE [--priority P]
            [--expires-in 30d | --expires-at DATE | --never-expires] [--cost 15.00 --currency USD]
            [--reference TEXT] [--idempotency-key K] [--json]
            priority and expiry left out are the price book's for the source (a purchase: 12
            months under labs-2022)
  balance   --account ID [--at DATE] [--json]
            at a later DATE, what the account will hold then, with the allowance it will be owed
            (shown as to be granted; nothing is written)
  history   --account ID [--limit N] [--before CURSOR] [--json]
  hold      --account ID --amount N [--ttl 15m] [--reference TEXT] [--idempotency-key K] [--json]
  capture   --hold ID [--amount N] [--idempotency-key K] [--json]
  release   --hold ID [--idempotency-key K] [--json]
  refund    --hold ID [--amount N] [--reason TEXT] [--idempotency-key K] [--json]
  expire    records due expiries and releases overdue holds now [--json]

--email E may stand for --account ID anywhere: the account of the user with that email.
Sources: ${LOT_SOURCES.join(', ')}. Durations: 30d, 12h, 15m, 90s. Dates: 2026-12-25 or ISO 8601.`

const common = { json: { type: 'boolean' }, 'idempotency-key': { type: 'string' } } as const
const target = { account: { type: 'string' }, email: { type: 'string' } } as const

type Target = { accountId: string } | { email: string }

/** `--account ID` or `--email E` (that user's personal account): exactly one of the two. */
function targetOf(o: { account?: string | undefined; email?: string | undefined }, u: string): Target {
  if (o.account !== undefined && o.email !== undefined)
    throw new UsageError('give --account or --email, not both', u)
  if (o.email !== undefined) return { email: required(o.email, 'email', u) }
  if (o.account === undefined) throw new UsageError('--account is required (or --email E)', u)
  return { accountId: required(o.account, 'account', u) }
}

/** Runs `fn` on the ledger with the target's account id; an unknown email is refused (exit 1). */
function onAccount(
  ctx: CliContext,
  t: Target,
  json: boolean,
  fn: (ledger: Ledger, accountId: string, accounts: Accounts) => Promise<number>,
): Promise<number> {
  return withAccounts(ctx, async (accounts, ledger) => {
    if ('accountId' in t) return fn(ledger, t.accountId, accounts)
    const user = await accounts.findUserByEmail(t.email)
    if (!user)
      return reportRefusal(ctx, { code: 'NOT_FOUND', message: `no user with email ${t.email}` }, json)
    return fn(ledger, user.accountId, accounts)
  })
}

/**
 * The ledger's result, recorded in the audit log (actor `cli`) when it succeeded: grants and refunds
 * take no write of the caller's, so the record is a write of its own right after.
 */
async function audited<T, E>(
  accounts: Accounts,
  ctx: CliContext,
  result: Promise<Result<T, E>>,
  entry: (value: T) => Omit<AuditEntry, 'actor'>,
): Promise<Result<T, E>> {
  const done = await result
  if (done.ok) await writeAudit(accounts.db, ctx.clock, { actor: CLI_ACTOR, ...entry(done.value) })
  return done
}

export async function creditsCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const u = CREDITS_USAGE
  switch (sub) {
    case 'grant': {
      const o = parseOptions(
        rest,
        {
          ...common,
          ...target,
          amount: { type: 'string' },
          source: { type: 'string' },
          priority: { type: 'string' },
          'expires-in': { type: 'string' },
          'expires-at': { type: 'string' },
          'never-expires': { type: 'boolean' },
          cost: { type: 'string' },
          currency: { type: 'string' },
          reference: { type: 'string' },
        },
        u,
      )
      const t = targetOf(o, u)
      const amount = parseInteger(required(o.amount, 'amount', u), 'amount', u)
      const source = required(o.source, 'source', u)
      if (!(LOT_SOURCES as readonly string[]).includes(source)) {
        throw new UsageError(`--source must be one of ${LOT_SOURCES.join(', ')}, got "${source}"`, u)
      }
      if ([o['expires-in'], o['expires-at'], o['never-expires']].filter((x) => x !== undefined).length > 1)
        throw new UsageError('give one of --expires-in, --expires-at and --never-expires', u)
      const fromBook = [
        ...(o.priority === undefined ? ['priority'] : []),
        ...(o['expires-in'] === undefined && o['expires-at'] === undefined && !o['never-expires']
          ? ['expiry']
          : []),
      ]
      if (o.currency && !o.cost) throw new UsageError('--currency goes with --cost', u)
      const currency = (o.currency ?? 'USD').toUpperCase()
      return onAccount(ctx, t, o.json ?? false, async (ledger, accountId, accounts) =>
        report(
          ctx,
          await audited(
            accounts,
            ctx,
            ledger.grant({
              accountId,
              amount,
              source: source as LotSource,
              ...(o.priority ? { priority: parseInteger(o.priority, 'priority', u) } : {}),
              ...(o['expires-in']
                ? { expiresInMs: parseDurationFlag(o['expires-in'], 'expires-in', u) }
                : {}),
              ...(o['expires-at'] ? { expiresAt: parseDate(o['expires-at'], 'expires-at', u) } : {}),
              ...(o['never-expires'] ? { expiresAt: null } : {}),
              ...(o.cost
                ? { costBasis: { amountMinor: parseMoneyFlag(o.cost, currency, 'cost', u), currency } }
                : {}),
              reference: o.reference ?? null,
              ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
            }),
            (g) => ({
              action: 'credits.grant',
              subject: accountId,
              details: {
                accountId,
                lotId: g.lotId,
                amount: g.amount,
                source: g.source,
                expiresAt: g.expiresAt,
              },
              reason: o.reference ?? null,
            }),
          ),
          o.json ?? false,
          (g) => {
            const book = ledger.pricing?.bookAt(g.grantedAt)
            return [
              `Granted ${g.amount} ${g.source} credits to ${g.accountId}`,
              `  lot ${g.lotId}, priority ${g.priority}, expires ${formatTime(g.expiresAt)}` +
                (g.costBasis.amountMinor > 0
                  ? `, cost ${formatAmount(g.costBasis.amountMinor, g.costBasis.currency)}`
                  : ''),
              ...(book && fromBook.length > 0
                ? [
                    `  ${fromBook.join(' and ')} from price book ${book.version} (its terms for ${g.source} credits)`,
                  ]
                : []),
            ]
          },
        ),
      )
    }
    case 'balance': {
      const o = parseOptions(rest, { json: { type: 'boolean' }, ...target, at: { type: 'string' } }, u)
      const t = targetOf(o, u)
      const at = o.at ? parseDate(o.at, 'at', u) : undefined
      return onAccount(ctx, t, o.json ?? false, async (ledger, accountId) =>
        report(ctx, await ledger.balance(accountId, at === undefined ? {} : { at }), o.json ?? false, (b) => [
          `Account ${b.accountId} at ${formatTime(b.at)}`,
          `Available ${b.available}   Held ${b.held}` +
            (b.owed ? `   (${b.owed.reduce((n, l) => n + l.amount, 0)} of them to be granted)` : ''),
          ...(b.lots.length === 0
            ? b.owed
              ? []
              : ['No credits.']
            : [
                '',
                'Lots, in the order they are spent:',
                ...table(
                  ['LOT', 'SOURCE', 'REMAINING', 'HELD', 'OF', 'PRIORITY', 'EXPIRES'],
                  b.lots.map((l) => [
                    l.id,
                    l.source,
                    l.remaining,
                    l.held,
                    l.amount,
                    l.priority,
                    formatTime(l.expiresAt),
                  ]),
                ).map((line) => `  ${line}`),
              ]),
          ...(b.owed
            ? [
                '',
                'To be granted (a projection: the price book owes them by then; nothing is written):',
                ...table(
                  ['LOT', 'SOURCE', 'CREDITS', 'PRIORITY', 'FROM', 'EXPIRES'],
                  b.owed.map((l) => [
                    '(to be granted)',
                    l.source,
                    l.amount,
                    l.priority,
                    formatTime(l.dueAt),
                    formatTime(l.expiresAt),
                  ]),
                ).map((line) => `  ${line}`),
              ]
            : []),
          ...(b.holds.length === 0
            ? []
            : [
                '',
                'Pending holds:',
                ...table(
                  ['HOLD', 'AMOUNT', 'EXPIRES', 'REFERENCE'],
                  b.holds.map((h) => [h.id, h.amount, formatTime(h.expiresAt), h.reference ?? '']),
                ).map((line) => `  ${line}`),
              ]),
        ]),
      )
    }
    case 'history': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          ...target,
          limit: { type: 'string' },
          before: { type: 'string' },
        },
        u,
      )
      const t = targetOf(o, u)
      const limit = o.limit ? parseInteger(o.limit, 'limit', u) : 50
      return onAccount(ctx, t, o.json ?? false, async (ledger, accountId) =>
        report(
          ctx,
          await ledger.history(accountId, { limit, ...(o.before ? { before: o.before } : {}) }),
          o.json ?? false,
          (page) => [
            ...(page.entries.length === 0
              ? ['No movements.']
              : table(
                  ['TIME', 'KIND', 'AVAILABLE', 'HELD', 'CONSUMED', 'EXPIRED', 'TRANSACTION', 'HOLD/LOT'],
                  page.entries.map((e) => [
                    formatTime(e.createdAt),
                    e.kind,
                    signed(e.changes.available),
                    signed(e.changes.held),
                    signed(e.changes.consumed),
                    signed(e.changes.expired),
                    e.transactionId,
                    e.holdId ?? e.lotId ?? '',
                  ]),
                )),
            ...(page.nextCursor ? ['', `More: --before ${page.nextCursor}`] : []),
          ],
        ),
      )
    }
    case 'hold': {
      const o = parseOptions(
        rest,
        {
          ...common,
          ...target,
          amount: { type: 'string' },
          ttl: { type: 'string' },
          reference: { type: 'string' },
        },
        u,
      )
      const t = targetOf(o, u)
      const amount = parseInteger(required(o.amount, 'amount', u), 'amount', u)
      const ttlMs = o.ttl ? parseDurationFlag(o.ttl, 'ttl', u) : undefined
      return onAccount(ctx, t, o.json ?? false, async (ledger, accountId) =>
        report(
          ctx,
          await ledger.hold({
            accountId,
            amount,
            ...(ttlMs === undefined ? {} : { ttlMs }),
            reference: o.reference ?? null,
            ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
          }),
          o.json ?? false,
          (h) => [
            `Held ${h.amount} credits: ${h.holdId} (released on its own at ${formatTime(h.expiresAt)})`,
          ],
        ),
      )
    }
    case 'capture': {
      const o = parseOptions(rest, { ...common, hold: { type: 'string' }, amount: { type: 'string' } }, u)
      const holdId = required(o.hold, 'hold', u)
      return withLedger(ctx, async (ledger) =>
        report(
          ctx,
          await ledger.capture({
            holdId,
            ...(o.amount ? { amount: parseInteger(o.amount, 'amount', u) } : {}),
            ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
          }),
          o.json ?? false,
          (c) => [`Captured ${c.captured} credits of ${c.holdId}; ${c.returned} returned`],
        ),
      )
    }
    case 'release': {
      const o = parseOptions(rest, { ...common, hold: { type: 'string' } }, u)
      const holdId = required(o.hold, 'hold', u)
      return withLedger(ctx, async (ledger) =>
        report(
          ctx,
          await ledger.release({
            holdId,
            ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
          }),
          o.json ?? false,
          (r) => [`Released ${r.released} credits of ${r.holdId}`],
        ),
      )
    }
    case 'refund': {
      const o = parseOptions(
        rest,
        { ...common, hold: { type: 'string' }, amount: { type: 'string' }, reason: { type: 'string' } },
        u,
      )
      const holdId = required(o.hold, 'hold', u)
      return withAccounts(ctx, async (accounts, ledger) =>
        report(
          ctx,
          await audited(
            accounts,
            ctx,
            ledger.refund({
              holdId,
              ...(o.amount ? { amount: parseInteger(o.amount, 'amount', u) } : {}),
              reason: o.reason ?? null,
              ...(o['idempotency-key'] ? { idempotencyKey: o['idempotency-key'] } : {}),
            }),
            (r) => ({
              action: 'credits.refund',
              subject: holdId,
              details: { refunded: r.refunded, expired: r.expired },
              reason: o.reason ?? null,
            }),
          ),
          o.json ?? false,
          (r) => [
            `Refunded ${r.refunded} credits of ${r.holdId}` +
              (r.expired > 0 ? ` (${r.expired} of them expired at once: their lot had expired)` : ''),
            `${r.refundable} more can be refunded.`,
          ],
        ),
      )
    }
    case 'expire': {
      const o = parseOptions(rest, { json: { type: 'boolean' } }, u)
      return withLedger(ctx, async (ledger) => {
        const r = await ledger.expireDue()
        ctx.out(
          o.json
            ? JSON.stringify(r, null, 2)
            : `Expired ${r.creditsExpired} credits in ${r.lotsExpired} lots; released ${r.holdsReleased} overdue holds (${r.accounts} accounts).`,
        )
        return 0
      })
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(u)
      return sub === undefined ? 2 : 0
    default:
      throw new UsageError(`unknown command "credits ${sub}"`, u)
  }
}

function signed(n: number | undefined): string {
  if (!n) return ''
  return n > 0 ? `+${n}` : String(n)
}
