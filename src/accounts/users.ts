import type { Kysely } from 'kysely'
import type { Result } from '../credits/errors.ts'
import type { LedgerOp } from '../credits/group-commit.ts'
import {
  type AccountProfile,
  createAccountOp,
  setAccountCohortsOp,
  setAccountPlanOp,
} from '../credits/ops/account.ts'
import type { DB } from '../db/schema.ts'
import type { SqlTx } from '../db/sql-session.ts'
import {
  type AccountsError,
  alreadySetUp,
  emailTaken,
  invalid,
  type Refusal,
  RolledBack,
  refuse,
} from './errors.ts'
import { redeemInvite } from './invites.ts'

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
  plan: string
  cohorts: string[]
}

export const EMAIL_MAX = 254
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
export const USER_COLUMNS = ['id', 'email', 'role', 'account_id', 'created_at', 'disabled_at'] as const

export interface UserRow {
  id: string
  email: string
  role: Role
  account_id: string
  created_at: number
  disabled_at: number | null
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

export interface NewUser {
  id: string
  email: string
  passwordHash: string
  role: Role
  plan?: string
  cohorts: readonly string[]
  createdAt: number
  /** Redeem this invite first; its cohort, if any, is joined too. */
  inviteCode?: string
  /** Only as the installation's first owner: refused (ALREADY_SET_UP) once it has one. */
  claimOwner?: boolean
}

async function exists(tx: SqlTx, sql: string, params: readonly unknown[]): Promise<boolean> {
  return (await tx.all(sql, params)).length > 0
}

/**
 * Creates a user and their personal credit account in one transaction (with the invite use and the
 * owner claim when asked): a refused sign-up leaves no empty account behind and takes no use of
 * its invite. Refusals found before the first write return; one found after it (an email taken by
 * a concurrent sign-up on another connection, seen only by the insert) rolls the whole transaction
 * back through {@link RolledBack}.
 */
export function createUserOp(input: NewUser): LedgerOp<Result<User, AccountsError>> {
  return {
    name: 'createUser',
    locks: {},
    run: async (tx, now) => {
      let wrote = false
      const stop = (refusal: Refusal): Refusal => {
        if (wrote) throw new RolledBack(refusal)
        return refusal
      }
      if (input.claimOwner && (await exists(tx, "select id from users where role = 'admin' limit 1", []))) {
        return stop(alreadySetUp())
      }
      if (await exists(tx, 'select id from users where email = ?', [input.email])) return stop(emailTaken())
      if (input.claimOwner) {
        // The unique key is the arbiter between concurrent set-ups, on every backend.
        const claimed = await tx.run(
          'insert into settings (key, value) values (?, ?) on conflict (key) do nothing',
          [OWNER_SETTING, input.id],
        )
        if (claimed === 0) return stop(alreadySetUp())
        wrote = true
      }
      const cohorts = new Set(input.cohorts)
      if (input.inviteCode !== undefined) {
        const invite = await redeemInvite(tx, input.inviteCode, input.createdAt)
        if (!invite) {
          return stop(
            refuse({ code: 'INVITE_INVALID', message: 'this invite code is unknown, used up or expired' }),
          )
        }
        wrote = true
        if (invite.cohort !== null) cohorts.add(invite.cohort)
      }
      const account = await createAccountOp({
        reference: input.id,
        ...(input.plan === undefined ? {} : { plan: input.plan }),
        cohorts: [...cohorts],
      }).run(tx, now)
      // Without an id or idempotency key of the caller's, creating an account cannot be refused.
      if (!account.ok) throw new Error(`creating the account of ${input.id} failed: ${account.error.message}`)
      wrote = true
      const inserted = await tx.run(
        `insert into users (id, email, password_hash, role, account_id, created_at) values (?, ?, ?, ?, ?, ?)
         on conflict (email) do nothing`,
        [input.id, input.email, input.passwordHash, input.role, account.value.accountId, input.createdAt],
      )
      if (inserted === 0) return stop(emailTaken())
      const a = account.value
      return {
        ok: true,
        value: toUser(
          {
            id: input.id,
            email: input.email,
            role: input.role,
            account_id: a.accountId,
            created_at: input.createdAt,
            disabled_at: null,
          },
          { accountId: a.accountId, plan: a.plan, cohorts: a.cohorts },
        ),
      }
    },
  }
}

export interface UserPatch {
  role?: Role
  plan?: string
  cohorts?: readonly string[]
  disabled?: boolean
}

/**
 * Applies a checked patch to a user and their credit account in one transaction. The plan and
 * cohorts are changed by the credit engine's own operations (they live on its account). Disabling
 * deletes the user's sessions; their API keys stop working while they are disabled.
 */
export function updateUserOp(
  userId: string,
  accountId: string,
  patch: UserPatch,
  now: number,
): LedgerOp<void> {
  const touchesAccount = patch.plan !== undefined || patch.cohorts !== undefined
  return {
    name: 'updateUser',
    locks: touchesAccount ? { accounts: [accountId] } : {},
    run: async (tx, ledgerNow) => {
      for (const op of [
        patch.plan === undefined ? null : setAccountPlanOp(accountId, patch.plan),
        patch.cohorts === undefined ? null : setAccountCohortsOp(accountId, patch.cohorts),
      ]) {
        if (!op) continue
        const done = await op.run(tx, ledgerNow)
        // The account was read with the user, and accounts are never deleted.
        if (!done.ok) throw new Error(`${op.name} of ${accountId} failed: ${done.error.message}`)
      }
      if (patch.role !== undefined)
        tx.write('update users set role = ? where id = ?', [patch.role, userId], 1)
      if (patch.disabled === true) {
        tx.write('update users set disabled_at = coalesce(disabled_at, ?) where id = ?', [now, userId], 1)
        await tx.run('delete from sessions where user_id = ?', [userId])
      } else if (patch.disabled === false) {
        tx.write('update users set disabled_at = null where id = ?', [userId], 1)
      }
    },
  }
}
