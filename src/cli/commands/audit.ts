import { AUDIT_ACTIONS, listAudit } from '../../accounts/index.ts'
import { parseInteger, parseOptions } from '../args.ts'
import { formatTime, table } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { openExistingDatabase } from '../ledger-session.ts'

export const AUDIT_USAGE = `Usage: easel audit [--action A] [--subject S] [--actor A] [--limit N] [--before CURSOR] [--json]

The audit log, newest first: every administrative action (grants, changes of users, price books,
closed cohorts, revoked keys, refunds, invites), who did it (an administrator's email, or cli), when,
on what, what changed and why. Actions: ${AUDIT_ACTIONS.join(', ')}.`

export async function auditCommand(ctx: CliContext, argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help') {
    ctx.out(AUDIT_USAGE)
    return EXIT.ok
  }
  const u = AUDIT_USAGE
  const o = parseOptions(
    argv,
    {
      json: { type: 'boolean' },
      action: { type: 'string' },
      subject: { type: 'string' },
      actor: { type: 'string' },
      limit: { type: 'string' },
      before: { type: 'string' },
    },
    u,
  )
  if (o.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(o.action))
    throw new UsageError(`--action must be one of ${AUDIT_ACTIONS.join(', ')}, got "${o.action}"`, u)
  const limit = o.limit === undefined ? 50 : parseInteger(o.limit, 'limit', u)
  if (limit < 1 || limit > 500) throw new UsageError('--limit must be from 1 to 500', u)
  const db = await openExistingDatabase(ctx)
  try {
    const page = await listAudit(db, {
      limit,
      ...(o.action ? { action: o.action } : {}),
      ...(o.subject ? { subject: o.subject } : {}),
      ...(o.actor ? { actor: o.actor } : {}),
      ...(o.before ? { before: o.before } : {}),
    })
    if (o.json) {
      ctx.out(JSON.stringify(page, null, 2))
      return EXIT.ok
    }
    const rows = page.entries.map((e) => [
      formatTime(e.at),
      e.actorLabel,
      e.action,
      e.subject,
      JSON.stringify(e.details),
      e.reason ?? '',
    ])
    for (const line of table(['WHEN', 'WHO', 'WHAT', 'SUBJECT', 'DETAILS', 'WHY'], rows)) ctx.out(line)
    if (page.nextCursor) ctx.out(`Older: easel audit --before ${page.nextCursor}`)
    return EXIT.ok
  } finally {
    await db.close()
  }
}
