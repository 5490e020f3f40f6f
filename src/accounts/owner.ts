import type { Result } from '../credits/index.ts'
import type { AccountsContext, Answer } from './context.ts'
import { type AccountsError, alreadySetUp } from './errors.ts'
import { checkPassword } from './passwords.ts'
import { createUserWith, signupCohorts } from './sign-up.ts'
import { findUserByEmail, normalizeEmail, OWNER_SETTING, type User, updateUser } from './users.ts'

type Owns = Pick<AccountsContext, 'db' | 'ledger' | 'clock'>

/** Whether the installation has its owner; see `Accounts.isSetUp`. */
export async function isSetUp(ctx: Pick<AccountsContext, 'db'>): Promise<boolean> {
  const k = ctx.db.kysely
  const admin = await k
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .limit(1)
    .executeTakeFirst()
  if (admin) return true
  const claim = await k
    .selectFrom('settings')
    .select('key')
    .where('key', '=', OWNER_SETTING)
    .executeTakeFirst()
  return claim !== undefined
}

/** Creates the installation's first admin, once; see `Accounts.setUpOwner`. */
export async function setUpOwner(ctx: Owns, input: { email: string; password: string }): Answer<User> {
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  const bad = await checkPassword(input.password)
  if (bad) return bad
  // Checked before hashing so that a set-up page left open costs nothing to poke at.
  if (await isSetUp(ctx)) return alreadySetUp()
  return createUserWith(ctx, {
    email: email.value,
    password: input.password,
    role: 'admin',
    claimOwner: true,
    cohorts: signupCohorts(ctx),
  })
}

/** The start-up path for EASEL_ADMIN_EMAIL / EASEL_ADMIN_PASSWORD; see `Accounts.ensureOwner`. */
export async function ensureOwner(ctx: Owns, input: { email: string; password: string }): Answer<User> {
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  const promoteExisting = async (): Promise<Result<User, AccountsError> | null> => {
    const existing = await findUserByEmail(ctx, email.value)
    if (!existing) return null
    // The operator named this address: it is the owner's, verified like the set-up's.
    return existing.role === 'admin' && existing.emailVerified
      ? { ok: true, value: existing }
      : updateUser(ctx, existing.id, { role: 'admin', emailVerified: true })
  }
  const found = await promoteExisting()
  if (found) return found
  const created = await setUpOwner(ctx, { email: email.value, password: input.password })
  if (created.ok || (created.error.code !== 'ALREADY_SET_UP' && created.error.code !== 'EMAIL_TAKEN')) {
    return created
  }
  // Another process got there first: with this same email (then it is the owner), or not.
  return (await promoteExisting()) ?? created
}
