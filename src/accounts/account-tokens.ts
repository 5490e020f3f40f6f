import type { Kysely } from 'kysely'
import type { AccountTokenPurpose, DB } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { randomToken, sha256Hex } from './tokens.ts'

// Single-use tokens mailed to a person (a password reset, a change of email, the verification of a
// new account's email): the mail carries the token, the `account_tokens` table its SHA-256 only, so
// a read of the table hands out no working link. A token is looked up by its hash (an index
// lookup: no comparison whose time depends on where a guess differs), and is usable while it is
// unused, unexpired and its user enabled.

/** How long a password-reset link works. */
export const PASSWORD_RESET_TTL_MS = 3_600_000

/** How long the link confirming a new email works: a day, since mail to a new address can be slow. */
export const EMAIL_CHANGE_TTL_MS = 86_400_000

/** How long the link verifying a new account's email works: a day, like a change of email's. */
export const VERIFY_EMAIL_TTL_MS = 86_400_000

/** 32 random bytes as base64url: 43 characters of [A-Za-z0-9_-]. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** Whether `token` could be one we issued: anything else is refused without a query. */
export const looksLikeToken = (token: unknown): token is string =>
  typeof token === 'string' && TOKEN_SHAPE.test(token)

/** A new token and the hash the table keeps of it. */
export function newMailedToken(): { token: string; hash: string } {
  const token = randomToken(32)
  return { token, hash: sha256Hex(token) }
}

export interface TokenOwner {
  userId: string
  /** The address the token was mailed to (for a change of email, the new one). */
  email: string
}

/**
 * Deletes every token of `purpose` of the user (used, unused or expired), so that a user has at
 * most one of each purpose and a newer link makes the earlier ones stop working. Run for an
 * unknown email too (with a user id that matches nothing) so that both paths make the same
 * statements (see `password-reset.ts`).
 */
export async function deleteTokens(tx: SqlTx, userId: string, purpose: AccountTokenPurpose): Promise<void> {
  await tx.run('delete from account_tokens where user_id = ? and purpose = ?', [userId, purpose])
}

/** Queues the insert of a token (after {@link deleteTokens} of its purpose). */
export function insertToken(
  tx: SqlTx,
  token: { hash: string; purpose: AccountTokenPurpose; userId: string; email: string },
  now: number,
  ttlMs: number,
): void {
  tx.write(
    `insert into account_tokens (token_hash, purpose, user_id, email, created_at, expires_at)
     values (?, ?, ?, ?, ?, ?)`,
    [token.hash, token.purpose, token.userId, token.email, now, now + ttlMs],
    1,
  )
}

/** Whose a usable token of `purpose` is, read outside any transaction (to refuse early), or null. */
export async function findUsableToken(
  db: Kysely<DB>,
  token: string,
  purpose: AccountTokenPurpose,
  now: number,
): Promise<TokenOwner | null> {
  const row = await db
    .selectFrom('account_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.user_id', 't.email'])
    .where('t.token_hash', '=', sha256Hex(token))
    .where('t.purpose', '=', purpose)
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst()
  return row ? { userId: row.user_id, email: row.email } : null
}

/** The same, inside a write transaction. */
export async function readUsableToken(
  tx: SqlTx,
  token: string,
  purpose: AccountTokenPurpose,
  now: number,
): Promise<TokenOwner | null> {
  const [row] = await tx.all<{ user_id: string; email: string }>(
    `select t.user_id, t.email from account_tokens t join users u on u.id = t.user_id
     where t.token_hash = ? and t.purpose = ? and t.used_at is null and t.expires_at > ?
       and u.disabled_at is null`,
    [sha256Hex(token), purpose, now],
  )
  return row ? { userId: row.user_id, email: row.email } : null
}

/**
 * Marks a usable token as used and says whose it was; null when it is not usable (and then nothing
 * was written). The conditional update is the arbiter between two uses at once: on every backend
 * exactly one of them changes the row.
 */
export async function claimToken(
  tx: SqlTx,
  token: string,
  purpose: AccountTokenPurpose,
  now: number,
): Promise<TokenOwner | null> {
  const [row] = await tx.all<{ user_id: string; email: string }>(
    `update account_tokens set used_at = ?
     where token_hash = ? and purpose = ? and used_at is null and expires_at > ?
       and user_id in (select id from users where disabled_at is null)
     returning user_id, email`,
    [now, sha256Hex(token), purpose, now],
  )
  return row ? { userId: row.user_id, email: row.email } : null
}
