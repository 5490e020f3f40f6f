import type { Kysely } from 'kysely'
import { EMAIL_MAX } from '../contracts/limits.ts'
import type { AccountProfile, Result } from '../credits/index.ts'
import type { DB } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { type AuditStamp, recordAudit } from './audit.ts'
import { checkProfile } from './checks.ts'
import type { AccountsContext, Answer } from './context.ts'
import { type AccountsError, invalid, notFound } from './errors.ts'

export type Role = 'user' | 'admin'
export const ROLES: readonly Role[] = ['user', 'admin']

/** A person who signs in, with what their personal credit account is on (plan, cohorts). */
export interface User {
  id: string
  email: string
  role: Role
  /** Their personal credit account: its balance is theirs and their API keys'. */
  accountId: string
  createdAt: number
  disabled: boolean
  /**
   * Whether they have shown the email is theirs (a verification link, a reset link, a confirmed
   * change of email), or were made by the owner's set-up, an administrator, the CLI, or a sign-up
   * without mail. Until then their account's free credits are held.
   */
  emailVerified: boolean
  plan: string
  cohorts: string[]
}

// The longest address the API takes is the contract's limit (RFC 5321's path limit less <>).
export { EMAIL_MAX }

// something@something.tld: no spaces, control characters or second @; a dotted domain whose last
// label has at least two characters. Deliverability is for a confirmation mail to find out.
const EMAIL = /^[^\s@\p{Cc}]+@(?:[^\s@.\p{Cc}]+\.)+[^\s@.\p{Cc}]{2,}$/u

/**
 * The email as stored: trimmed and lower-cased, or a VALIDATION refusal.
 *
 * @example
 * normalizeEmail('  Ada@Example.COM ') // → { ok: true, value: 'ada@example.com' }
 */
export function normalizeEmail(raw: unknown): Result<string, AccountsError> {
  if (typeof raw !== 'string' || raw.trim() === '') return invalid('email', 'is required')
  const email = raw.trim().toLowerCase()
  if (email.length > EMAIL_MAX) return invalid('email', `must be at most ${EMAIL_MAX} characters`)
  if (!EMAIL.test(email)) return invalid('email', 'must be an address such as ada@example.com')
  return { ok: true, value: email }
}

export const isRole = (v: unknown): v is Role => v === 'user' || v === 'admin'

/** The `users` columns a {@link User} is made from (never the password hash). */
export const USER_COLUMNS = [
  'id',
  'email',
  'role',
  'account_id',
  'created_at',
  'disabled_at',
  'email_verified_at',
] as const

export interface UserRow {
  id: string
  email: string
  role: Role
  account_id: string
  created_at: number
  disabled_at: number | null
  email_verified_at: number | null
}

export function toUser(row: UserRow, profile: AccountProfile | undefined): User {
  // users.account_id references accounts: a user without an account is a broken database.
  if (!profile) throw new Error(`user ${row.id} has no credit account ${row.account_id}`)
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    accountId: row.account_id,
    createdAt: row.created_at,
    disabled: row.disabled_at !== null,
    emailVerified: row.email_verified_at !== null,
    plan: profile.plan,
    cohorts: [...profile.cohorts].sort(),
  }
}

/** Reads users through Kysely, with their plan and cohorts from the credit engine. */
export function selectUsers(db: Kysely<DB>) {
  return db.selectFrom('users').select([...USER_COLUMNS])
}

/** The settings key claimed by the installation's first owner; it is never released. */
export const OWNER_SETTING = 'owner'

const DEFAULT_PAGE = 50
const MAX_PAGE = 500

type Reads = Pick<AccountsContext, 'db' | 'ledger'>

/** The user with their plan and cohorts, read from the credit engine. */
export async function withProfile(ctx: Pick<AccountsContext, 'ledger'>, row: UserRow): Promise<User> {
  const profiles = await ctx.ledger.accountProfiles([row.account_id])
  return toUser(row, profiles.get(row.account_id))
}

export async function getUser(ctx: Reads, userId: string): Promise<User | null> {
  if (typeof userId !== 'string') return null
  const row = await selectUsers(ctx.db.kysely).where('id', '=', userId).executeTakeFirst()
  return row ? withProfile(ctx, row) : null
}

export async function findUserByEmail(ctx: Reads, email: string): Promise<User | null> {
  const normalized = normalizeEmail(email)
  if (!normalized.ok) return null
  const row = await selectUsers(ctx.db.kysely).where('email', '=', normalized.value).executeTakeFirst()
  return row ? withProfile(ctx, row) : null
}

export async function listUsers(
  ctx: Reads,
  input: { limit?: number; cursor?: string },
): Promise<{ users: User[]; nextCursor: string | null }> {
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(input.limit ?? DEFAULT_PAGE) || DEFAULT_PAGE))
  let query = selectUsers(ctx.db.kysely)
    .orderBy('id')
    .limit(limit + 1)
  if (typeof input.cursor === 'string' && input.cursor !== '') query = query.where('id', '>', input.cursor)
  const rows = await query.execute()
  const page = rows.slice(0, limit)
  const profiles = await ctx.ledger.accountProfiles(page.map((r) => r.account_id))
  return {
    users: page.map((r) => toUser(r, profiles.get(r.account_id))),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  }
}

export interface UserPatch {
  role?: Role
  plan?: string
  cohorts?: readonly string[]
  disabled?: boolean
  /** `true`: the administrator vouches for the address (releasing held free credits). */
  emailVerified?: true
}

/**
 * Applies a checked patch to a user and their credit account in one transaction: the plan, cohorts
 * and the release of held free credits (when the email is marked verified) through the ledger (they
 * live on its account), the user's own columns composed into the same transaction; without any of
 * those, through the database's group commit alone.
 */
export async function updateUser(
  ctx: Reads & Pick<AccountsContext, 'clock'>,
  userId: string,
  patch: { role?: Role; plan?: string; cohorts?: string[]; disabled?: boolean; emailVerified?: boolean },
  audit?: AuditStamp,
): Answer<User> {
  const refused =
    (patch.role === undefined || isRole(patch.role) ? null : invalid('role', 'must be user or admin')) ??
    checkProfile({ plan: patch.plan, cohorts: patch.cohorts }) ??
    (patch.disabled === undefined || typeof patch.disabled === 'boolean'
      ? null
      : invalid('disabled', 'must be true or false')) ??
    (patch.emailVerified === undefined || patch.emailVerified === true
      ? null
      : invalid('emailVerified', 'can only be set to true (a verified email stays verified)'))
  if (refused) return refused
  const row =
    typeof userId === 'string'
      ? // A deleted account (src/privacy/) is kept only for the journal's sake: nobody changes it.
        await selectUsers(ctx.db.kysely)
          .where('id', '=', userId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      : undefined
  if (!row) return notFound(`user ${userId}`)
  const clean: UserPatch = {
    ...(patch.role === undefined ? {} : { role: patch.role }),
    ...(patch.plan === undefined ? {} : { plan: patch.plan }),
    ...(patch.cohorts === undefined ? {} : { cohorts: patch.cohorts }),
    ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
    ...(patch.emailVerified === true ? { emailVerified: true as const } : {}),
  }
  const before = await withProfile(ctx, row)
  // The patch and its audit row (who, before and after, why) commit together.
  const write = async (tx: SqlTx, now: number) => {
    await writeUserPatch(tx, row.id, clean, now)
    if (audit) {
      const details = changes(before, clean)
      recordAudit(tx, { ...audit, action: 'user.update', subject: row.id, details }, now)
    }
  }
  if (clean.plan !== undefined || clean.cohorts !== undefined || clean.emailVerified) {
    const { plan, cohorts } = clean
    const done = await ctx.ledger.setAccountProfile(
      row.account_id,
      {
        ...(plan === undefined ? {} : { plan }),
        ...(cohorts === undefined ? {} : { cohorts }),
        ...(clean.emailVerified ? { releaseFreeGrants: true } : {}),
      },
      { alsoWrite: (tx, _profile, now) => write(tx, now) },
    )
    // The account was read with the user, and accounts are never deleted.
    if (!done.ok) throw new Error(`changing the account of user ${row.id} failed: ${done.error.message}`)
  } else if (clean.role !== undefined || clean.disabled !== undefined) {
    await ctx.db.write({ name: 'updateUser', locks: {}, run: (tx, now) => write(tx, now) }, ctx.clock)
  }
  const user = await getUser(ctx, row.id)
  return user ? { ok: true, value: user } : notFound(`user ${userId}`)
}

/** Each field of the patch, as it was and as asked (`{ plan: { before: 'free', after: 'pro' } }`). */
function changes(before: User, patch: UserPatch): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {}
  for (const field of ['role', 'plan', 'cohorts', 'disabled', 'emailVerified'] as const) {
    const after = patch[field]
    if (after === undefined) continue
    out[field] = {
      before: before[field],
      after: field === 'cohorts' ? [...(after as string[])].sort() : after,
    }
  }
  return out
}

/**
 * The user's own columns of a patch. Disabling deletes the user's sessions (signed out
 * everywhere); their API keys stop working while they are disabled.
 */
async function writeUserPatch(tx: SqlTx, userId: string, patch: UserPatch, now: number): Promise<void> {
  if (patch.role !== undefined) tx.write('update users set role = ? where id = ?', [patch.role, userId], 1)
  if (patch.emailVerified) {
    tx.write(
      'update users set email_verified_at = coalesce(email_verified_at, ?) where id = ?',
      [now, userId],
      1,
    )
  }
  if (patch.disabled === true) {
    tx.write('update users set disabled_at = coalesce(disabled_at, ?) where id = ?', [now, userId], 1)
    await tx.run('delete from sessions where user_id = ?', [userId])
  } else if (patch.disabled === false) {
    tx.write('update users set disabled_at = null where id = ?', [userId], 1)
  }
}
