import { recordAudit } from '../accounts/audit.ts'
import { sha256Hex } from '../accounts/tokens.ts'
import type { SqlTx, WriteOp } from '../db/writer/index.ts'
import { IN_FLIGHT_STATUSES } from './deletion-preview.ts'
import { PERSONAL_TABLES } from './personal-tables.ts'

/** The email a deleted user is left with: unique, and deliverable nowhere (`.invalid`, RFC 2606). */
export const deletedEmail = (userId: string): string => `deleted-${userId}@deleted.invalid`

/** What a deletion did, for the caller: the image files to remove once it has committed. */
export interface Erased {
  imageIds: string[]
  paidCreditsLeft: number
}

export type EraseOutcome =
  | { ok: true; value: Erased }
  | { ok: false; reason: 'GONE' | 'JOBS_IN_FLIGHT' | 'ONLY_ADMIN' }

export interface EraseInput {
  userId: string
  accountId: string
  /** The email the user had, as read before the transaction (checked again in it). */
  email: string
  /** A password hash nothing matches (the hash of a random secret thrown away). */
  unusableHash: string
  /** Unspent paid credits shown in the preview, recorded in the audit row. */
  paidCreditsLeft: number
}

/**
 * Deletes a person's account in one transaction, the account's row locked so that no job can be
 * submitted meanwhile (a job is written in its hold's transaction, which takes that lock). The user
 * row stays, because the journal, jobs and audit log refer to it, but loses everything that
 * identifies the person: the email becomes {@link deletedEmail}, the password one nothing matches,
 * and the user is disabled and marked deleted. Their sessions, mailed links, mails (sent or not),
 * sign-in throttle rows and rows of the personal tables are deleted; their API keys revoked and
 * unnamed; prompts (and error texts, request hashes, idempotency keys) erased from their jobs;
 * image rows deleted (the files are the caller's to remove after the commit); audit rows they made
 * as an administrator lose the email they were labelled with. The deletion is audited as
 * `account.deleted`. Refuses, writing nothing, while a job is in flight, for the installation's
 * only administrator, or when the user is gone or already deleted.
 *
 * The credit account and its journal are left as they are: the journal is append-only and carries
 * no identity (ids, period keys, purchase references); unspent credits stay on the anonymised
 * account and expire on their dates, recorded as breakage by the ledger's sweep.
 */
export function eraseAccountOp(input: EraseInput): WriteOp<EraseOutcome> {
  return {
    name: 'deleteAccount',
    locks: { accounts: [input.accountId] },
    run: async (tx, now) => {
      const user = await tx.all<{ email: string; role: string }>(
        'select email, role from users where id = ? and account_id = ? and deleted_at is null',
        [input.userId, input.accountId],
      )
      // Deleted meanwhile, or its email changed since the password was checked against it.
      if (user.length !== 1 || user[0]!.email !== input.email) return { ok: false, reason: 'GONE' }
      if (user[0]!.role === 'admin') {
        const admins = await tx.all<{ id: string }>(
          "select id from users where role = 'admin' and disabled_at is null and id <> ? limit 1",
          [input.userId],
        )
        if (admins.length === 0) return { ok: false, reason: 'ONLY_ADMIN' }
      }
      const marks = IN_FLIGHT_STATUSES.map(() => '?').join(', ')
      const inFlight = await tx.all<{ id: string }>(
        `select id from jobs where account_id = ? and status in (${marks}) limit 1`,
        [input.accountId, ...IN_FLIGHT_STATUSES],
      )
      if (inFlight.length > 0) return { ok: false, reason: 'JOBS_IN_FLIGHT' }
      // Reads first, writes after: nothing is written unless the deletion goes through.
      const images = await tx.all<{ id: string }>('select id from images where account_id = ?', [
        input.accountId,
      ])
      const addresses = await mailedAddresses(tx, input)
      await eraseRows(tx, input, addresses, now)
      recordAudit(
        tx,
        {
          actor: { userId: input.userId, label: deletedEmail(input.userId) },
          action: 'account.deleted',
          subject: input.userId,
          details: {
            accountId: input.accountId,
            imagesDeleted: images.length,
            paidCreditsLeft: input.paidCreditsLeft,
          },
          reason: 'deleted by its owner',
        },
        now,
      )
      return {
        ok: true,
        value: { imageIds: images.map((i) => i.id), paidCreditsLeft: input.paidCreditsLeft },
      }
    },
  }
}

/** The addresses Easel mails the person at: their email, and any they asked to change it to. */
async function mailedAddresses(tx: SqlTx, input: EraseInput): Promise<string[]> {
  const pending = await tx.all<{ email: string }>(
    'select distinct email from account_tokens where user_id = ?',
    [input.userId],
  )
  return [...new Set([input.email, ...pending.map((p) => p.email)])]
}

async function eraseRows(
  tx: SqlTx,
  input: EraseInput,
  addresses: readonly string[],
  now: number,
): Promise<void> {
  const { userId, accountId } = input
  const placeholder = deletedEmail(userId)
  tx.write(
    `update users set email = ?, password_hash = ?, disabled_at = coalesce(disabled_at, ?), deleted_at = ?
     where id = ? and deleted_at is null`,
    [placeholder, input.unusableHash, now, now, userId],
    1,
  )
  await tx.run('delete from sessions where user_id = ?', [userId])
  await tx.run(
    "update api_keys set revoked_at = coalesce(revoked_at, ?), name = 'deleted account' where user_id = ?",
    [now, userId],
  )
  await tx.run('delete from account_tokens where user_id = ?', [userId])
  // Receipts stay: they are the seller's record of a sale (tax law keeps them for years). The
  // buyer's address on them goes; the account id left on them names no one once the user is gone.
  await tx.run('update receipts set buyer_email = null where account_id = ?', [accountId])
  // The saved card's label and the provider's ids for it; Stripe keeps its customer.
  await tx.run('delete from auto_top_ups where account_id = ?', [accountId])
  const marks = addresses.map(() => '?').join(', ')
  await tx.run(`delete from mail_outbox where to_address in (${marks})`, addresses)
  // The sign-in throttle keeps the email's hash with the addresses it signed in or failed from.
  const hashes = addresses.map(sha256Hex)
  await tx.run(`delete from sign_in_failures where email_hash in (${marks})`, hashes)
  await tx.run(`delete from sign_in_addresses where email_hash in (${marks})`, hashes)
  for (const table of PERSONAL_TABLES) await tx.run(`delete from ${table} where user_id = ?`, [userId])
  // The prompt, and what could give it away: an engine's error may quote it, and the request's hash
  // would confirm a guess of it; the client's idempotency key is the client's own text.
  await tx.run(
    `update jobs set prompt = null, error_message = null, request_hash = null, idempotency_key = null
     where account_id = ? or user_id = ?`,
    [accountId, userId],
  )
  await tx.run('delete from images where account_id = ?', [accountId])
  // An administrator's audit rows name them by their email of the time: the id stays, the email goes.
  await tx.run('update audit_log set actor_label = ? where actor_user_id = ?', [placeholder, userId])
}
