import type { WriteOp } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'
import { type AuditStamp, recordAudit } from './audit.ts'
import { checkExpiry } from './checks.ts'
import type { AccountsContext, Answer } from './context.ts'
import { invalid, notFound } from './errors.ts'
import { randomToken, sha256Hex } from './tokens.ts'
import { type User, withProfile } from './users.ts'

/** An API key as listed: never its secret, which is shown once when the key is made. */
export interface ApiKeyView {
  id: string
  name: string
  /** The first characters of the secret (`easel_sk_AbCdEfG`), to tell keys apart. */
  prefix: string
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
  userId: string
}

export const API_KEY_PREFIX = 'easel_sk_'
/** `easel_sk_` and 7 characters of the random part (42 bits): enough to tell a user's keys apart. */
export const SHOWN_PREFIX_LENGTH = 16
/** `easel_sk_` + 43 characters of base64url: 52. Anything much longer is not one of ours. */
const MAX_SECRET_LENGTH = 100
export const MAX_KEY_NAME_LENGTH = 100
export const DEFAULT_KEY_NAME = 'default'
/** `last_used_at` is written at most this often per key: a write per request would cost a commit each. */
export const LAST_USED_RESOLUTION_MS = 60_000

/** A new key's secret (`easel_sk_` + 32 random bytes, base64url), the prefix shown, and its hash. */
export function newApiKeySecret(): { secret: string; prefix: string; hash: string } {
  const secret = `${API_KEY_PREFIX}${randomToken(32)}`
  return { secret, prefix: secret.slice(0, SHOWN_PREFIX_LENGTH), hash: sha256Hex(secret) }
}

/** Whether `s` could be one of our keys at all (saves a query on obvious garbage). */
export function looksLikeApiKey(s: unknown): s is string {
  return typeof s === 'string' && s.startsWith(API_KEY_PREFIX) && s.length <= MAX_SECRET_LENGTH
}

export const API_KEY_COLUMNS = [
  'id',
  'user_id',
  'name',
  'prefix',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const

export interface ApiKeyRow {
  id: string
  user_id: string
  name: string
  prefix: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
}

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    userId: row.user_id,
  }
}

/** Whether the key authenticates at `now`: not revoked, not expired. */
export const isUsable = (key: ApiKeyView, now: number): boolean =>
  key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now)

/** Records a use, unless one was recorded less than {@link LAST_USED_RESOLUTION_MS} ago. */
function touchApiKeyOp(keyId: string, now: number): WriteOp<boolean> {
  return {
    name: 'touchApiKey',
    locks: {},
    run: async (tx) =>
      (await tx.run(
        'update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?)',
        [now, keyId, now - LAST_USED_RESOLUTION_MS],
      )) > 0,
  }
}

/**
 * Writes a new key for `userId`; NOT_FOUND (as null) when there is no such user. The user is looked
 * up in the same transaction, so the insert cannot trip over the foreign key.
 */
function insertApiKeyOp(key: ApiKeyView & { secretHash: string }): WriteOp<ApiKeyView | null> {
  return {
    name: 'createApiKey',
    locks: {},
    run: async (tx) => {
      if ((await tx.all('select id from users where id = ?', [key.userId])).length === 0) return null
      tx.write(
        `insert into api_keys (id, user_id, name, prefix, secret_hash, created_at, expires_at, revoked_at, last_used_at)
         values (?, ?, ?, ?, ?, ?, ?, null, null)`,
        [key.id, key.userId, key.name, key.prefix, key.secretHash, key.createdAt, key.expiresAt],
        1,
      )
      const { secretHash: _, ...view } = key
      return view
    },
  }
}

/** Revokes a key (once: a second revocation keeps the first time). Returns when it was revoked. */
function revokeApiKeyOp(key: ApiKeyView, now: number, audit?: AuditStamp): WriteOp<number | null> {
  const keyId = key.id
  return {
    name: 'revokeApiKey',
    locks: {},
    run: async (tx) => {
      const revoked = await tx.run('update api_keys set revoked_at = ? where id = ? and revoked_at is null', [
        now,
        keyId,
      ])
      if (audit && revoked > 0) {
        const details = { userId: key.userId, name: key.name, prefix: key.prefix }
        recordAudit(tx, { ...audit, action: 'apikey.revoke', subject: keyId, details }, now)
      }
      const [row] = await tx.all<{ revoked_at: number | null }>(
        'select revoked_at from api_keys where id = ?',
        [keyId],
      )
      return row?.revoked_at ?? null
    },
  }
}

type Writes = Pick<AccountsContext, 'db' | 'clock'>

/** Makes an API key for the user; see `Accounts.createApiKey`. */
export async function createApiKey(
  ctx: Writes,
  userId: string,
  input: { name?: string; expiresAt?: number | null },
): Answer<{ key: ApiKeyView; secret: string }> {
  const now = ctx.clock.now()
  const name = input.name === undefined ? DEFAULT_KEY_NAME : input.name
  const refused =
    (typeof name === 'string' && name.trim() !== '' && name.length <= MAX_KEY_NAME_LENGTH
      ? null
      : invalid('name', `must be 1 to ${MAX_KEY_NAME_LENGTH} characters`)) ??
    checkExpiry('expiresAt', input.expiresAt, now)
  if (refused) return refused
  const { secret, prefix, hash } = newApiKeySecret()
  const key = await ctx.db.write(
    insertApiKeyOp({
      id: newId('key', now),
      name: name.trim(),
      prefix,
      createdAt: now,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
      lastUsedAt: null,
      userId: String(userId),
      secretHash: hash,
    }),
    ctx.clock,
  )
  return key ? { ok: true, value: { key, secret } } : notFound(`user ${userId}`)
}

export async function listApiKeys(
  ctx: Pick<AccountsContext, 'db'>,
  userId: string | null,
): Promise<ApiKeyView[]> {
  let query = ctx.db.kysely
    .selectFrom('api_keys')
    .select([...API_KEY_COLUMNS])
    .orderBy('id')
  if (userId !== null) query = query.where('user_id', '=', userId)
  return (await query.execute()).map(toApiKeyView)
}

/** Revokes a key of `userId` (any key for `null`); see `Accounts.revokeApiKey`. */
export async function revokeApiKey(
  ctx: Writes,
  userId: string | null,
  keyId: string,
  audit?: AuditStamp,
): Answer<ApiKeyView> {
  const missing = notFound(`API key ${keyId}`)
  if (typeof keyId !== 'string') return missing
  let query = ctx.db.kysely
    .selectFrom('api_keys')
    .select([...API_KEY_COLUMNS])
    .where('id', '=', keyId)
  if (userId !== null) query = query.where('user_id', '=', userId)
  const row = await query.executeTakeFirst()
  if (!row) return missing
  const key = toApiKeyView(row)
  if (key.revokedAt !== null) return { ok: true, value: key }
  const revokedAt = await ctx.db.write(revokeApiKeyOp(key, ctx.clock.now(), audit), ctx.clock)
  return { ok: true, value: { ...key, revokedAt } }
}

/** The user and key behind a Bearer secret; see `Accounts.authenticateApiKey`. */
export async function authenticateApiKey(
  ctx: Writes & Pick<AccountsContext, 'ledger'>,
  secret: string,
): Promise<{ user: User; key: ApiKeyView } | null> {
  if (!looksLikeApiKey(secret)) return null
  const row = await ctx.db.kysely
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .select([
      'k.id as key_id',
      'k.name',
      'k.prefix',
      'k.created_at as key_created_at',
      'k.expires_at',
      'k.revoked_at',
      'k.last_used_at',
      'u.id',
      'u.email',
      'u.role',
      'u.account_id',
      'u.created_at',
      'u.disabled_at',
      'u.email_verified_at',
    ])
    .where('k.secret_hash', '=', sha256Hex(secret))
    .executeTakeFirst()
  if (!row) return null
  const now = ctx.clock.now()
  const key: ApiKeyView = {
    id: row.key_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.key_created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    userId: row.id,
  }
  if (!isUsable(key, now) || row.disabled_at !== null) return null
  if (key.lastUsedAt === null || key.lastUsedAt <= now - LAST_USED_RESOLUTION_MS) {
    if (await ctx.db.write(touchApiKeyOp(key.id, now), ctx.clock)) key.lastUsedAt = now
  }
  return { user: await withProfile(ctx, row), key }
}
