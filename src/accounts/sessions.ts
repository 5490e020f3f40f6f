import type { WriteOp } from '../db/writer/index.ts'
import { clientAddressKey } from './client-address.ts'
import type { AccountsContext, Answer } from './context.ts'
import { type Refusal, refuse, throttled } from './errors.ts'
import { DUMMY_HASH, PASSWORD_MAX, verifyPassword } from './passwords.ts'
import { describeWait } from './throttle.ts'
import { randomToken, sha256Hex } from './tokens.ts'
import { normalizeEmail, type User, withProfile } from './users.ts'

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
function insertSessionOp(
  userId: string,
  session: { id: string; issued: SessionIssued },
  now: number,
): WriteOp<void> {
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

function deleteSessionOp(id: string): WriteOp<void> {
  return {
    name: 'signOut',
    locks: {},
    run: async (tx) => {
      await tx.run('delete from sessions where id = ?', [id])
    },
  }
}

const invalidCredentials = (): Refusal =>
  refuse({ code: 'INVALID_CREDENTIALS', message: 'wrong email or password' })

/** Checks the password and opens a session; see `Accounts.signIn`. */
export async function signIn(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock' | 'sessionTtlMs' | 'throttles'>,
  input: { email: string; password: string; address?: string },
): Answer<{ user: User; session: SessionIssued }> {
  const password = input.password
  // Bounded before hashing: a megabyte "password" must not buy a megabyte of Argon2 work.
  if (typeof password !== 'string' || password.length > PASSWORD_MAX * 2) return invalidCredentials()
  if (typeof input.email !== 'string') return invalidCredentials()
  const email = normalizeEmail(input.email)
  // A malformed email is counted as typed: it matches no account, but it is a guess all the same.
  const tried = email.ok ? email.value : input.email.trim().toLowerCase()
  const address = input.address === undefined ? null : clientAddressKey(input.address)
  const wait = await ctx.throttles.admitSignIn(tried, address)
  if (wait > 0) {
    return throttled(`too many failed sign-ins for this email; try again in ${describeWait(wait)}`, wait)
  }
  const row = email.ok
    ? await ctx.db.kysely
        .selectFrom('users')
        .select(['id', 'email', 'role', 'account_id', 'created_at', 'disabled_at', 'password_hash'])
        .where('email', '=', email.value)
        .executeTakeFirst()
    : undefined
  const matches = await verifyPassword(row?.password_hash ?? DUMMY_HASH, password)
  if (!row || !matches || row.disabled_at !== null) return invalidCredentials()
  await ctx.throttles.signedIn(tried, address)
  const session = await createSession(ctx, row.id)
  return { ok: true, value: { user: await withProfile(ctx, row), session } }
}

export async function createSession(
  ctx: Pick<AccountsContext, 'db' | 'clock' | 'sessionTtlMs'>,
  userId: string,
): Promise<SessionIssued> {
  const now = ctx.clock.now()
  const session = newSession(now, ctx.sessionTtlMs)
  await ctx.db.write(insertSessionOp(userId, session, now), ctx.clock)
  return session.issued
}

export async function authenticateSession(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  token: string,
): Promise<{ user: User; sessionId: string; csrfToken: string } | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null
  const row = await ctx.db.kysely
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id as session_id',
      's.csrf_token',
      's.expires_at',
      'u.id',
      'u.email',
      'u.role',
      'u.account_id',
      'u.created_at',
      'u.disabled_at',
    ])
    .where('s.id', '=', sessionId(token))
    .executeTakeFirst()
  if (!row || row.expires_at <= ctx.clock.now() || row.disabled_at !== null) return null
  return { user: await withProfile(ctx, row), sessionId: row.session_id, csrfToken: row.csrf_token }
}

export async function signOut(ctx: Pick<AccountsContext, 'db' | 'clock'>, token: string): Promise<void> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return
  await ctx.db.write(deleteSessionOp(sessionId(token)), ctx.clock)
}
