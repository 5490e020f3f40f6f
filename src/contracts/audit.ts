import { z } from 'zod'
import { AUDIT_ACTIONS } from './limits.ts'

// Every action the audit log records: a value the studio needs too (its filter), so it is kept
// with the other plain values in limits.ts.
export { AUDIT_ACTIONS }

/** Why an administrator acted, where an action takes one besides a grant's reason. */
export const AUDIT_REASON_MAX = 400
export const AuditReason = z.string().trim().min(1).max(AUDIT_REASON_MAX)

export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The cursor: the `nextCursor` of the page before. */
  before: z.string().max(60).optional(),
  action: z.enum(AUDIT_ACTIONS, { error: `must be one of ${AUDIT_ACTIONS.join(', ')}` }).optional(),
  subject: z.string().min(1).max(100).optional(),
  /** An actor's user id, their email as recorded, or `cli`. */
  actor: z.string().min(1).max(320).optional(),
})
export type AuditQuery = z.input<typeof AuditQuery>

export const AuditEntryBody = z.object({
  id: z.string(),
  at: z.number().int(),
  actorUserId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
})
export type AuditEntryBody = z.output<typeof AuditEntryBody>

export const AuditPage = z.object({ entries: z.array(AuditEntryBody), nextCursor: z.string().nullable() })
export type AuditPage = z.output<typeof AuditPage>
