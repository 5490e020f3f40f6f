import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { WriteOp } from '../db/writer/index.ts'
import { type AfterFailure, afterFailure, type RetryPolicy } from './retry-policy.ts'

/**
 * The outbox's rows and every statement the sender (outbox.ts) runs on them, each a write of the
 * database's write layer. A claimed row carries its lease (`locked_until`), the fencing token that
 * every later write about the attempt is conditional on.
 */
export interface ClaimedRow {
  id: string
  kind: string
  to_address: string
  subject: string
  text_body: string
  html_body: string
  attempts: number
  /** This sender's lease: the fencing token its later writes are conditional on. */
  locked_until: number
}

/** A stored error stays readable in the admin page and small in the row. */
export const MAX_ERROR_CHARS = 500

/** Takes up to `batchSize` due mails no one holds, leasing them for `leaseMs`; oldest first. */
export function claimDue(leaseMs: number, batchSize: number): WriteOp<ClaimedRow[]> {
  return {
    name: 'mail-claim',
    locks: {},
    run: async (tx, now) => {
      // The outer conditions repeat the inner ones: on PostgreSQL a row another sender leased
      // after this statement's snapshot is re-checked against them, and skipped.
      const rows = await tx.all<ClaimedRow>(
        `update mail_outbox set locked_until = ?
         where id in (
           select id from mail_outbox
           where sent_at is null and failed_at is null and next_attempt_at <= ?
             and (locked_until is null or locked_until <= ?)
           order by next_attempt_at, id
           limit ?${tx.dialect === 'postgres' ? ' for update skip locked' : ''}
         )
         and sent_at is null and failed_at is null and (locked_until is null or locked_until <= ?)
         returning id, kind, to_address, subject, text_body, html_body, attempts, locked_until`,
        [now + leaseMs, now, now, batchSize, now],
      )
      return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },
  }
}

/**
 * Records a delivered mail. Not fenced by the lease: the mail was delivered, whoever holds the row
 * now. The bodies go once the mail is out (or given up on): a reset or verification link in them
 * works until its token expires, and the outbox is not an archive.
 */
export function markSent(row: Pick<ClaimedRow, 'id'>): WriteOp<number> {
  return {
    name: 'mail-sent',
    locks: {},
    run: (tx, now) =>
      tx.run(
        "update mail_outbox set sent_at = ?, locked_until = null, text_body = '', html_body = '' where id = ? and sent_at is null",
        [now, row.id],
      ),
  }
}

/**
 * Records a failed attempt while the row still holds this sender's lease: the next attempt after
 * the policy's backoff, or (refused for good, or out of attempts) the mail given up, its bodies
 * erased. `changed` is 0 when the lease had run out and another sender has the mail.
 */
export function markFailed(
  row: Pick<ClaimedRow, 'id' | 'locked_until'>,
  failure: { attempts: number; lastError: string; permanent: boolean; retry: RetryPolicy },
): WriteOp<{ next: AfterFailure; changed: number }> {
  const { attempts, lastError } = failure
  return {
    name: 'mail-failed',
    locks: {},
    run: async (tx, now) => {
      const next = afterFailure(attempts, failure.permanent, now, failure.retry)
      const changed = next.retry
        ? await tx.run(
            `update mail_outbox set attempts = ?, last_error = ?, next_attempt_at = ?, locked_until = null
             where id = ? and locked_until = ? and sent_at is null`,
            [attempts, lastError, next.at, row.id, row.locked_until],
          )
        : await tx.run(
            `update mail_outbox set attempts = ?, last_error = ?, failed_at = ?, locked_until = null,
             text_body = '', html_body = '' where id = ? and locked_until = ? and sent_at is null`,
            [attempts, lastError, now, row.id, row.locked_until],
          )
      return { next, changed }
    },
  }
}

/** A send aborted at shutdown: no attempt counted, the lease given back, the reason noted. */
export function giveBackInterrupted(row: Pick<ClaimedRow, 'id' | 'locked_until'>): WriteOp<number> {
  return {
    name: 'mail-interrupted',
    locks: {},
    run: (tx) =>
      tx.run(
        'update mail_outbox set locked_until = null, last_error = ? where id = ? and locked_until = ? and sent_at is null',
        [
          'interrupted: Easel stopped while sending this mail (it may have arrived); it will be sent again',
          row.id,
          row.locked_until,
        ],
      ),
  }
}

/** Gives back mails taken but not started (the sender is stopping). */
export function giveBack(rows: readonly Pick<ClaimedRow, 'id' | 'locked_until'>[]): WriteOp<void> {
  return {
    name: 'mail-release',
    locks: {},
    run: async (tx) => {
      for (const row of rows) {
        await tx.run('update mail_outbox set locked_until = null where id = ? and locked_until = ?', [
          row.id,
          row.locked_until,
        ])
      }
    },
  }
}

/** Mail waiting to be sent (now or later) and mail given up on. */
export async function readCounts(kysely: Kysely<DB>): Promise<{ queued: number; failed: number }> {
  const row = await kysely
    .selectFrom('mail_outbox')
    .select([
      sql<Sum>`sum(case when sent_at is null and failed_at is null then 1 else 0 end)`.as('queued'),
      sql<Sum>`sum(case when failed_at is not null then 1 else 0 end)`.as('failed'),
    ])
    .executeTakeFirst()
  return { queued: count(row?.queued), failed: count(row?.failed) }
}

/** A SQL sum: a number (PostgreSQL's bigint is parsed to one), or null over no rows. */
type Sum = number | string | null

/** A SQL sum as a count, checked. */
function count(value: Sum | undefined): number {
  const n = Number(value ?? 0)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a count: ${value}`)
  return n
}
