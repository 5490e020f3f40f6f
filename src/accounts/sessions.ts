import type { LedgerOp } from '../credits/group-commit.ts'
import { randomToken, sha256Hex } from './tokens.ts'

/** A new browser session: the cookie's token (shown once) and the CSRF token that goes with it. */
export interface SessionIssued {
  token: string
  csrfToken: string
  expiresAt: number
}

export const DEFAULT_SESSION_TTL_MS = 30 * 86_400_000

/** Longer than any token we issue (43 characters): anything longer is not worth hashing. */
export const MAX_TOKEN_LENGTH = 200

/** The session's id: the SHA-256 of its token, so the table holds no working cookie. */
export const sessionId = (token: string): string => sha256Hex(token)

/** A session for `userId`, written by {@link insertSessionOp}. */
export function newSession(now: number, ttlMs: number): { id: string; issued: SessionIssued } {
  const token = randomToken()
  return { id: sessionId(token), issued: { token, csrfToken: randomToken(), expiresAt: now + ttlMs } }
}

/**
 * Writes a session, and deletes the user's sessions that have expired while at it: the table stays
 * as large as the sessions in use without a sweeper.
 */
export function insertSessionOp(
  userId: string,
  session: { id: string; issued: SessionIssued },
  now: number,
): LedgerOp<void> {
  return {
    name: 'createSession',
    locks: {},
    run: async (tx) => {
      await tx.run('delete from sessions where user_id = ? and expires_at <= ?', [userId, now])
      tx.write(
        'insert into sessions (id, user_id, csrf_token, created_at, expires_at) values (?, ?, ?, ?, ?)',
        [session.id, userId, session.issued.csrfToken, now, session.issued.expiresAt],
        1,
      )
    },
  }
}

export function deleteSessionOp(id: string): LedgerOp<void> {
  return {
    name: 'signOut',
    locks: {},
    run: async (tx) => {
      await tx.run('delete from sessions where id = ?', [id])
    },
  }
}
