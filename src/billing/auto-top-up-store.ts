import type { Database } from '../db/open.ts'
import type { AutoTopUpsTable } from '../db/schema-top-ups.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { autoTopUpOffMail, lowBalanceMail } from './auto-top-up-mail.ts'

/** An account's auto top-up row as stored (see `db/schema-top-ups.ts`). */
export type TopUpRow = AutoTopUpsTable

/** Declines in a row after which auto top-up turns itself off: a card is never tried in a loop. */
export const MAX_CONSECUTIVE_FAILURES = 2

/** The account's auto top-up and low-balance settings, or null when it never chose any. */
export async function readTopUp(db: Database, accountId: string): Promise<TopUpRow | null> {
  const row = await db.kysely
    .selectFrom('auto_top_ups')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return row ?? null
}

/** Where a UTC day starts: the daily cap counts the top-ups made since then. */
export function utcDayStart(at: number): number {
  const d = new Date(at)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

/** How many auto top-ups the account started since `since` (declined ones count: each was a payment). */
export async function topUpsSince(db: Database, accountId: string, since: number): Promise<number> {
  const row = await db.kysely
    .selectFrom('purchase_intents')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId)
    .where('kind', '=', 'auto_top_up')
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The person to mail about the account (its first user still there), or null. */
async function emailOf(tx: SqlTx, accountId: string): Promise<string | null> {
  const [user] = await tx.all<{ email: string }>(
    'select email from users where account_id = ? and deleted_at is null order by created_at limit 1',
    [accountId],
  )
  return user?.email ?? null
}

/**
 * Saves what the person chose. Turning auto top-up on (again) starts its count of declines afresh
 * and forgets why it was off; a new threshold is a new line to cross, so the notice is armed again.
 * `lowBalanceNotice` null keeps the choice made before (off for a new row).
 */
export async function saveChoice(
  tx: SqlTx,
  now: number,
  accountId: string,
  choice: { enabled: boolean; packId: string; threshold: number; lowBalanceNotice: boolean | null },
): Promise<void> {
  const notice = choice.lowBalanceNotice === null ? null : choice.lowBalanceNotice ? 1 : 0
  await tx.run(
    `insert into auto_top_ups (account_id, enabled, pack_id, threshold, low_balance_notice, created_at, updated_at)
     values (?, ?, ?, ?, coalesce(?, 0), ?, ?)
     on conflict (account_id) do update set
       enabled = excluded.enabled,
       pack_id = excluded.pack_id,
       threshold = excluded.threshold,
       low_balance_notice = coalesce(?, auto_top_ups.low_balance_notice),
       consecutive_failures = case when excluded.enabled = 1 then 0 else auto_top_ups.consecutive_failures end,
       disabled_reason = case when excluded.enabled = 1 then null else auto_top_ups.disabled_reason end,
       below_threshold = case when auto_top_ups.threshold = excluded.threshold then auto_top_ups.below_threshold else 0 end,
       updated_at = excluded.updated_at`,
    [accountId, choice.enabled ? 1 : 0, choice.packId, choice.threshold, notice, now, now, notice],
  )
}

/** Keeps a saved card for the account's top-ups (a row is made if the account has none yet). */
export async function saveCard(
  tx: SqlTx,
  now: number,
  accountId: string,
  card: { customerId: string; paymentMethodId: string; label: string },
): Promise<void> {
  // Idempotent: it runs again if its transaction is replayed, and writes the same values.
  await tx.run(
    `insert into auto_top_ups (account_id, customer_id, payment_method_id, card_label, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?)
     on conflict (account_id) do update set
       customer_id = excluded.customer_id,
       payment_method_id = excluded.payment_method_id,
       card_label = excluded.card_label,
       consecutive_failures = 0,
       updated_at = excluded.updated_at`,
    [accountId, card.customerId, card.paymentMethodId, card.label, now, now],
  )
}

/**
 * Forgets the card and turns auto top-up off; the provider's customer is kept, so that a card
 * saved later belongs to the same customer. A top-up already in flight still lands.
 */
export async function forgetCard(tx: SqlTx, now: number, accountId: string): Promise<void> {
  await tx.run(
    `update auto_top_ups set payment_method_id = null, card_label = null, enabled = 0, updated_at = ?
     where account_id = ?`,
    [now, accountId],
  )
}

/**
 * Sets the low-balance flag if it was not set: true only for the charge that crossed the line,
 * which mails the notice (when the person asked for it) in the same transaction. `seen` is the
 * balance as read after the row: if a top-up landed since (`settledAt` moved), it is stale.
 */
export async function markBelow(
  tx: SqlTx,
  now: number,
  accountId: string,
  seen: { available: number; threshold: number; settledAt: number | null },
  linkBase: string,
): Promise<boolean> {
  const [crossed] = await tx.all<{ low_balance_notice: number }>(
    `update auto_top_ups set below_threshold = 1, updated_at = ?
     where account_id = ? and below_threshold = 0 and threshold = ? and coalesce(settled_at, -1) = ?
     returning low_balance_notice`,
    [now, accountId, seen.threshold, seen.settledAt ?? -1],
  )
  if (!crossed || Number(crossed.low_balance_notice) !== 1) return false
  const to = await emailOf(tx, accountId)
  if (to === null) return false
  queueMail(tx, lowBalanceMail({ to, available: seen.available, threshold: seen.threshold, linkBase }), now)
  return true
}

/** Clears the low-balance flag: the account is back at or above its threshold. */
export async function clearBelow(
  tx: SqlTx,
  now: number,
  accountId: string,
  threshold: number,
): Promise<void> {
  await tx.run(
    `update auto_top_ups set below_threshold = 0, updated_at = ?
     where account_id = ? and below_threshold = 1 and threshold = ?`,
    [now, accountId, threshold],
  )
}

/** A top-up's credits landed: the slot is free, the declines in a row start again from 0. */
export async function settleInFlight(tx: SqlTx, now: number, accountId: string, reference: string) {
  await tx.run(
    `update auto_top_ups set
       in_flight = case when in_flight = ? then null else in_flight end,
       in_flight_since = case when in_flight = ? then null else in_flight_since end,
       consecutive_failures = 0, settled_at = ?, updated_at = ?
     where account_id = ?`,
    [reference, reference, now, now, accountId],
  )
}

/** Frees the slot a top-up held, if it still holds it. */
export async function freeInFlight(tx: SqlTx, now: number, accountId: string, reference: string) {
  await tx.run(
    `update auto_top_ups set in_flight = null, in_flight_since = null, updated_at = ?
     where account_id = ? and in_flight = ?`,
    [now, accountId, reference],
  )
}

/**
 * Counts one declined payment. At {@link MAX_CONSECUTIVE_FAILURES} in a row, auto top-up turns
 * itself off with the reason, and the person is mailed in the same transaction. Says whether mail
 * was queued.
 */
export async function countFailure(
  tx: SqlTx,
  now: number,
  accountId: string,
  reason: string,
  linkBase: string,
): Promise<boolean> {
  const [row] = await tx.all<{ consecutive_failures: number; enabled: number }>(
    `update auto_top_ups set consecutive_failures = consecutive_failures + 1, updated_at = ?
     where account_id = ? returning consecutive_failures, enabled`,
    [now, accountId],
  )
  if (!row || Number(row.consecutive_failures) < MAX_CONSECUTIVE_FAILURES || Number(row.enabled) !== 1) {
    return false
  }
  const why = `${MAX_CONSECUTIVE_FAILURES} payments in a row were declined: ${reason}`
  await tx.run(
    'update auto_top_ups set enabled = 0, disabled_reason = ?, updated_at = ? where account_id = ?',
    [why, now, accountId],
  )
  const to = await emailOf(tx, accountId)
  if (to === null) return false
  queueMail(tx, autoTopUpOffMail({ to, reason: why, linkBase }), now)
  return true
}

/** Turns auto top-up off for a reason that is not the card's (its pack is no longer sold). */
export async function turnOff(tx: SqlTx, now: number, accountId: string, why: string): Promise<void> {
  await tx.run(
    'update auto_top_ups set enabled = 0, disabled_reason = ?, updated_at = ? where account_id = ? and enabled = 1',
    [why, now, accountId],
  )
}
