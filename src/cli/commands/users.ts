import type { User } from '../../accounts/index.ts'
import { CLI_ACTOR } from '../../accounts/index.ts'
import { parseOptions, required } from '../args.ts'
import { formatTime, table } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { report, reportRefusal, withAccounts } from '../ledger-session.ts'

export const USERS_USAGE = `Usage: easel users <command> [options]

Commands:
  create  --email E --password P [--admin] [--cohort beta,…] [--plan PLAN] [--json]
  list    [--json]
  set     --email E [--role admin|user] [--plan PLAN] [--cohorts a,b] [--disable | --enable]
          [--verified] [--reason TEXT] [--json]
  reset-two-factor <email> --reason TEXT [--json]

Each user has a personal credit account: its plan (default free) sets the monthly allowance, and each
cohort may carry a one-time bonus (labs-2022: beta, 50). "set --cohorts" gives the whole new set
("" for none); a cohort joined later brings its bonus with the account's next activity. Disabling a
user signs them out everywhere and stops their API keys until they are enabled again.

"reset-two-factor" is the way back in for someone who lost the phone with their authenticator app
and their recovery codes: it turns their two-factor sign-in off, deletes their recovery codes, signs
them out everywhere and mails them a notice; the audit log records it with the reason.

Users made here count as verified. With mail on, people who sign up verify their email from a link
before their free credits come; "set --verified" vouches for an address instead (the free credits
are owed from then).`

/** `a, b` → ['a', 'b']; '' → []. */
export const nameList = (text: string): string[] =>
  text
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')

export function describeUser(u: User): string {
  const cohorts = u.cohorts.length > 0 ? `, cohorts ${u.cohorts.join(', ')}` : ''
  const state = `${u.disabled ? ', disabled' : ''}${u.emailVerified ? '' : ', email not verified'}`
  return `${u.id} ${u.email} (${u.role}${state}): account ${u.accountId}, plan ${u.plan}${cohorts}`
}

export async function usersCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const u = USERS_USAGE
  switch (sub) {
    case 'create': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          email: { type: 'string' },
          password: { type: 'string' },
          admin: { type: 'boolean' },
          cohort: { type: 'string' },
          plan: { type: 'string' },
        },
        u,
      )
      const email = required(o.email, 'email', u)
      const password = required(o.password, 'password', u)
      return withAccounts(ctx, async (accounts) =>
        report(
          ctx,
          await accounts.createUser({
            email,
            password,
            role: o.admin ? 'admin' : 'user',
            ...(o.cohort === undefined ? {} : { cohorts: nameList(o.cohort) }),
            ...(o.plan === undefined ? {} : { plan: o.plan }),
          }),
          o.json ?? false,
          (user) => [`Created user ${describeUser(user)}`],
        ),
      )
    }
    case 'list': {
      const o = parseOptions(rest, { json: { type: 'boolean' } }, u)
      return withAccounts(ctx, async (accounts) => {
        const users: User[] = []
        let cursor: string | null = null
        do {
          const page: { users: User[]; nextCursor: string | null } = await accounts.listUsers({
            limit: 500,
            ...(cursor === null ? {} : { cursor }),
          })
          users.push(...page.users)
          cursor = page.nextCursor
        } while (cursor !== null)
        if (o.json) ctx.out(JSON.stringify(users, null, 2))
        else if (users.length === 0) ctx.out('No users.')
        else {
          for (const line of table(
            ['ID', 'EMAIL', 'ROLE', 'PLAN', 'COHORTS', 'CREATED', 'STATUS'],
            users.map((x) => [
              x.id,
              x.email,
              x.role,
              x.plan,
              x.cohorts.join(','),
              formatTime(x.createdAt),
              x.disabled ? 'disabled' : x.emailVerified ? 'active' : 'unverified',
            ]),
          )) {
            ctx.out(line)
          }
        }
        return EXIT.ok
      })
    }
    case 'set': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          email: { type: 'string' },
          role: { type: 'string' },
          plan: { type: 'string' },
          cohorts: { type: 'string' },
          disable: { type: 'boolean' },
          enable: { type: 'boolean' },
          verified: { type: 'boolean' },
          reason: { type: 'string' },
        },
        u,
      )
      const email = required(o.email, 'email', u)
      if (o.disable && o.enable) throw new UsageError('give --disable or --enable, not both', u)
      if (o.role !== undefined && o.role !== 'admin' && o.role !== 'user') {
        throw new UsageError(`--role must be admin or user, got "${o.role}"`, u)
      }
      const role = o.role as 'admin' | 'user' | undefined
      const patch = {
        ...(role === undefined ? {} : { role }),
        ...(o.plan === undefined ? {} : { plan: o.plan }),
        ...(o.cohorts === undefined ? {} : { cohorts: nameList(o.cohorts) }),
        ...(o.disable ? { disabled: true } : o.enable ? { disabled: false } : {}),
        ...(o.verified ? { emailVerified: true } : {}),
      }
      if (Object.keys(patch).length === 0) {
        throw new UsageError(
          'nothing to change: give --role, --plan, --cohorts, --disable, --enable or --verified',
          u,
        )
      }
      const json = o.json ?? false
      return withAccounts(ctx, async (accounts) => {
        const user = await accounts.findUserByEmail(email)
        if (!user)
          return reportRefusal(ctx, { code: 'NOT_FOUND', message: `no user with email ${email}` }, json)
        return report(
          ctx,
          await accounts.updateUser(user.id, patch, { actor: CLI_ACTOR, reason: o.reason ?? null }),
          json,
          (x) => [`Updated user ${describeUser(x)}`],
        )
      })
    }
    case 'reset-two-factor': {
      // The email is the one positional argument (the shared parser takes flags only).
      const [email, ...flags] = rest
      if (email === undefined || email.startsWith('-')) {
        throw new UsageError('give the email of the user: users reset-two-factor <email> --reason TEXT', u)
      }
      const o = parseOptions(flags, { json: { type: 'boolean' }, reason: { type: 'string' } }, u)
      // Turning off someone's second factor is the kind of act that must say why.
      const reason = required(o.reason?.trim(), 'reason', u)
      const json = o.json ?? false
      return withAccounts(ctx, async (accounts) => {
        const user = await accounts.findUserByEmail(email)
        if (!user)
          return reportRefusal(ctx, { code: 'NOT_FOUND', message: `no user with email ${email}` }, json)
        return report(
          ctx,
          await accounts.twoFactor.reset(user.id, { actor: CLI_ACTOR, reason }),
          json,
          (x) => [
            `Turned off two-factor sign-in for ${user.email} and deleted their recovery codes; signed out ${x.sessionsEnded} session${x.sessionsEnded === 1 ? '' : 's'}.`,
          ],
        )
      })
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(u)
      return sub === undefined ? EXIT.usage : EXIT.ok
    default:
      throw new UsageError(`unknown command "users ${sub}"`, u)
  }
}
