import { AUDIT_ACTIONS } from '../contracts/audit.ts'
import type { Database } from '../db/open.ts'
import type { SqlTx } from '../db/writer/index.ts'
import type { Clock } from '../util/clock.ts'
import { newId } from '../util/ids.ts'

/** Every action the audit log records: a closed set (the contract's), so it can be filtered by. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number]
export { AUDIT_ACTIONS }

/** Who acted: a signed-in administrator, or the CLI (`{ userId: null, label: 'cli' }`). */
export interface AuditActor {
  userId: string | null
  /** The admin's email at the time, or `cli`: the log stays readable if the user changes. */
  label: string
}

export const CLI_ACTOR: AuditActor = Object.freeze({ userId: null, label: 'cli' })

/** What an action's caller passes so the action records itself: who, and why (optional). */
export interface AuditStamp {
  actor: AuditActor
  reason?: string | null
}

export interface AuditEntry extends AuditStamp {
  action: AuditAction
  /** The id acted on: a user, an account, a key, a purchase, a cohort, a price-book version. */
  subject: string
  /** What changed: before/after, amounts. Stored as JSON. */
  details: Record<string, unknown>
}

export interface AuditRecord {
  id: string
  at: number
  actorUserId: string | null
  actorLabel: string
  action: string
  subject: string
  details: Record<string, unknown>
  reason: string | null
}

/**
 * Queues the audit row of an action in the action's own transaction, so the action and its record
 * commit together or not at all.
 *
 * @example
 * await ledger.setAccountProfile(accountId, change, {
 *   alsoWrite: (tx, _p, now) => recordAudit(tx, { actor, action: 'user.update', subject: userId, details }, now),
 * })
 */
export function recordAudit(tx: SqlTx, entry: AuditEntry, now: number): void {
  tx.write(
    'insert into audit_log (id, at, actor_user_id, actor_label, action, subject, details, reason) values (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      newId('aud', now),
      now,
      entry.actor.userId,
      entry.actor.label,
      entry.action,
      entry.subject,
      JSON.stringify(entry.details),
      entry.reason ?? null,
    ],
    1,
  )
}

/**
 * Records an action in a write of its own, for actions that cannot carry a write of the caller's
 * (a ledger grant or refund takes no `alsoWrite`): called right after the action succeeded.
 */
export async function writeAudit(db: Database, clock: Clock, entry: AuditEntry): Promise<void> {
  await db.write(
    {
      name: 'recordAudit',
      locks: {},
      run: async (tx, now) => recordAudit(tx, entry, now),
    },
    clock,
  )
}

export interface AuditQuery {
  limit?: number
  /** The cursor: rows older than this id (ids sort by time). */
  before?: string
  action?: string
  subject?: string
  /** An actor's user id or label (`cli`, an email). */
  actor?: string
}

const DEFAULT_PAGE = 50
const MAX_PAGE = 500

/** Audit rows, newest first, filtered, a page at a time (`nextCursor` is the next `before`). */
export async function listAudit(
  db: Database,
  query: AuditQuery,
): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE) || DEFAULT_PAGE))
  let q = db.kysely
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit + 1)
  if (query.before) q = q.where('id', '<', query.before)
  if (query.action) q = q.where('action', '=', query.action)
  if (query.subject) q = q.where('subject', '=', query.subject)
  const actor = query.actor
  if (actor) q = q.where((eb) => eb.or([eb('actor_user_id', '=', actor), eb('actor_label', '=', actor)]))
  const rows = await q.execute()
  const page = rows.slice(0, limit)
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: Number(r.at),
      actorUserId: r.actor_user_id,
      actorLabel: r.actor_label,
      action: r.action,
      subject: r.subject,
      details: parseDetails(r.details),
      reason: r.reason,
    })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  }
}

function parseDetails(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text)
  // Written by recordAudit from an object: anything else is a tampered or broken row.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('audit_log.details is not a JSON object')
  }
  return value as Record<string, unknown>
}
