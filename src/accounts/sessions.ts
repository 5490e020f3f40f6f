import type { SqlTx, WriteOp } from '../db/writer/index.ts'
import { clientAddressKey } from './client-address.ts'
import type { AccountsContext, Answer } from './context.ts'
import { notFound, type Refusal, refuse, throttled } from './errors.ts'
import { DUMMY_HASH, PASSWORD_MAX, verifyPassword } from './passwords.ts'
import { describeWait } from './throttle.ts'
import { digestCode, randomToken, sha256Hex } from './tokens.ts'
import { enabledFactor, proofOf, readTwoFactor, spendProof } from './two-factor-check.ts'
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

/**
 * The id a person sees in their list of sessions (`sess_` and 26 characters): derived one way from
 * the stored id, so that a listing hands out neither the cookie nor its hash, and stable without a
 * column of its own.
 */
export const publicSessionId = (id: string): string => `sess_${digestCode(`easel-session:${id}`, 26)}`

/** The longest user agent kept with a session; browsers' are about 150 characters. */
export const USER_AGENT_MAX = 200
/** The longest client address kept (an IPv6 address with a zone is under 50). */
const ADDRESS_MAX = 100
/** A session's last use is written at most this often: a write per request would cost a commit each. */
export const LAST_SEEN_RESOLUTION_MS = 60_000

/** What the sign-in request said about the client, kept with the session for its owner to see. */
export interface SessionClient {
  userAgent?: string | null
  address?: string | null
}

/** A session as its owner sees it in their list. */
export interface SessionView {
  id: string
  createdAt: number
  /** When it was last used (to a minute), or when it was made. */
  lastSeenAt: number
  expiresAt: number
  userAgent: string | null
  address: string | null
  /** The session the list was asked for from. */
  current: boolean
}

const clip = (text: string | null | undefined, max: number): string | null => {
  if (typeof text !== 'string') return null
  // Control characters are nobody's user agent; they would only garble the list.
  const clean = text.replace(/\p{Cc}/gu, '').trim()
  return clean === '' ? null : [...clean].slice(0, max).join('')
}

/** A session for `userId`, written by {@link insertSessionOp}. */
export function newSession(
  now: number,
  ttlMs: number,
  client: SessionClient = {},
): { id: string; issued: SessionIssued; userAgent: string | null; address: string | null } {
  const token = randomToken()
  return {
    id: sessionId(token),
    issued: { token, csrfToken: randomToken(), expiresAt: now + ttlMs },
    userAgent: clip(client.userAgent, USER_AGENT_MAX),
    address: clip(client.address, ADDRESS_MAX),
  }
}

/**
 * Writes a session, and deletes the user's sessions that have expired while at it: the table stays
 * as large as the sessions in use without a sweeper.
 */
function insertSessionOp(userId: string, session: ReturnType<typeof newSession>, now: number): WriteOp<void> {
  return { name: 'createSession', locks: {}, run: (tx) => writeSession(tx, userId, session, now) }
}

/** {@link insertSessionOp}'s work, inside a transaction of the caller's. */
async function writeSession(
  tx: SqlTx,
  userId: string,
  session: ReturnType<typeof newSession>,
  now: number,
): Promise<void> {
  await tx.run('delete from sessions where user_id = ? and expires_at <= ?', [userId, now])
  tx.write(
    `insert into sessions (id, user_id, csrf_token, created_at, expires_at, user_agent, address, last_seen_at)
     values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      session.id,
      userId,
      session.issued.csrfToken,
      now,
      session.issued.expiresAt,
      session.userAgent,
      session.address,
      now,
    ],
    1,
  )
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

/** Checks the password (and, with two-factor sign-in on, the code) and opens a session; see `Accounts.signIn`. */
export async function signIn(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock' | 'sessionTtlMs' | 'throttles'>,
  input: { email: string; password: string; code?: unknown; address?: string; userAgent?: string },
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
        .select([
          'id',
          'email',
          'role',
          'account_id',
          'created_at',
          'disabled_at',
          'email_verified_at',
          'password_hash',
        ])
        .where('email', '=', email.value)
        .executeTakeFirst()
    : undefined
  const matches = await verifyPassword(row?.password_hash ?? DUMMY_HASH, password)
  // A wrong password is this answer whether or not a code came with it: the code is not looked at.
  if (!row || !matches || row.disabled_at !== null) return invalidCredentials()
  const client = { address: input.address, userAgent: input.userAgent }
  const factor = enabledFactor(await readTwoFactor(ctx.db, row.id))
  if (factor === null) {
    await ctx.throttles.signedIn(tried, address)
    const session = await createSession(ctx, row.id, client)
    return { ok: true, value: { user: await withProfile(ctx, row), session } }
  }
  // The right password without a code stays counted as a failed attempt, like a wrong code: the
  // code's answer is what ends the sign-in, and it takes the address's failures back (a real user
  // sends the code from the same place). Forgetting them here instead would let someone who knows
  // only the password make their address familiar, and guess codes there under the lenient limit.
  if (input.code === undefined || input.code === null || input.code === '') {
    return refuse({
      code: 'TWO_FACTOR_REQUIRED',
      message: 'enter the code from your authenticator app (or one of your recovery codes) to sign in',
    })
  }
  const now = ctx.clock.now()
  const proof = proofOf(factor, input.code, now)
  if (proof === null) return invalidCode()
  const session = newSession(now, ctx.sessionTtlMs, client)
  // The code is used up (its step recorded, or the recovery code marked) in the session's transaction.
  const spent = await ctx.db.write(
    {
      name: 'signInWithCode',
      locks: {},
      run: async (tx, at) => {
        if (!(await spendProof(tx, row.id, proof, at))) return false
        await writeSession(tx, row.id, session, at)
        return true
      },
    },
    ctx.clock,
  )
  if (!spent) return invalidCode()
  await ctx.throttles.signedIn(tried, address)
  return { ok: true, value: { user: await withProfile(ctx, row), session: session.issued } }
}

const invalidCode = (): Refusal =>
  refuse({
    code: 'INVALID_CODE',
    message:
      'that code is not right: enter the current code from your authenticator app, or an unused recovery code',
  })

export async function createSession(
  ctx: Pick<AccountsContext, 'db' | 'clock' | 'sessionTtlMs'>,
  userId: string,
  client: SessionClient = {},
): Promise<SessionIssued> {
  const now = ctx.clock.now()
  const session = newSession(now, ctx.sessionTtlMs, client)
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
      's.last_seen_at',
      'u.id',
      'u.email',
      'u.role',
      'u.account_id',
      'u.created_at',
      'u.disabled_at',
      'u.email_verified_at',
    ])
    .where('s.id', '=', sessionId(token))
    .executeTakeFirst()
  const now = ctx.clock.now()
  if (!row || row.expires_at <= now || row.disabled_at !== null) return null
  if (row.last_seen_at === null || row.last_seen_at <= now - LAST_SEEN_RESOLUTION_MS) {
    await ctx.db.write(touchSessionOp(row.session_id, now), ctx.clock)
  }
  return { user: await withProfile(ctx, row), sessionId: row.session_id, csrfToken: row.csrf_token }
}

/** Records a session's use, unless another request of the same minute already has. */
function touchSessionOp(id: string, now: number): WriteOp<void> {
  return {
    name: 'touchSession',
    locks: {},
    run: async (tx) => {
      await tx.run(
        'update sessions set last_seen_at = ? where id = ? and (last_seen_at is null or last_seen_at < ?)',
        [now, id, now],
      )
    },
  }
}

/** The user's sessions that have not expired, most recently used first; see `Accounts.listSessions`. */
export async function listSessions(
  ctx: Pick<AccountsContext, 'db' | 'clock'>,
  userId: string,
  currentToken?: string | null,
): Promise<SessionView[]> {
  const current = typeof currentToken === 'string' && currentToken !== '' ? sessionId(currentToken) : null
  const rows = await ctx.db.kysely
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'user_agent', 'address'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', ctx.clock.now())
    .execute()
  return rows
    .map(
      (r): SessionView => ({
        id: publicSessionId(r.id),
        createdAt: Number(r.created_at),
        lastSeenAt: Number(r.last_seen_at ?? r.created_at),
        expiresAt: Number(r.expires_at),
        userAgent: r.user_agent,
        address: r.address,
        current: r.id === current,
      }),
    )
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt)
}

/**
 * Ends one of the user's sessions by its public id; another user's session is NOT_FOUND, exactly
 * like one that does not exist. Says whether it was the session asking.
 */
export async function endSession(
  ctx: Pick<AccountsContext, 'db' | 'clock'>,
  userId: string,
  publicId: string,
  currentToken?: string | null,
): Answer<{ current: boolean }> {
  const missing = notFound(`session ${publicId}`)
  if (typeof publicId !== 'string') return missing
  // A user has a handful of sessions (expired ones are deleted at each sign-in): derive and compare.
  const rows = await ctx.db.kysely.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()
  const row = rows.find((r) => publicSessionId(r.id) === publicId)
  if (!row) return missing
  await ctx.db.write(deleteSessionOp(row.id), ctx.clock)
  const current =
    typeof currentToken === 'string' && currentToken !== '' && sessionId(currentToken) === row.id
  return { ok: true, value: { current } }
}

/** Ends every session of the user, the caller's included; says how many there were. */
export async function signOutEverywhere(
  ctx: Pick<AccountsContext, 'db' | 'clock'>,
  userId: string,
): Promise<number> {
  return ctx.db.write(
    {
      name: 'signOutEverywhere',
      locks: {},
      run: (tx) => tx.run('delete from sessions where user_id = ?', [userId]),
    },
    ctx.clock,
  )
}

export async function signOut(ctx: Pick<AccountsContext, 'db' | 'clock'>, token: string): Promise<void> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return
  await ctx.db.write(deleteSessionOp(sessionId(token)), ctx.clock)
}
