import type { Kysely } from 'kysely'
import type { AccountCreated } from '../credits/index.ts'
import type { DB } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'
import { checkProfile } from './checks.ts'
import { clientAddressKey } from './client-address.ts'
import type { AccountsContext, Answer } from './context.ts'
import {
  alreadySetUp,
  emailTaken,
  invalid,
  type Refusal,
  RolledBack,
  refusalOnRollback,
  refuse,
  throttled,
} from './errors.ts'
import { readUsableInvite, redeemInvite } from './invites.ts'
import { checkPassword, hashPassword } from './passwords.ts'
import { describeWait } from './throttle.ts'
import { isRole, normalizeEmail, OWNER_SETTING, type Role, toUser, type User } from './users.ts'

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

const inviteInvalid = (): Refusal =>
  refuse({ code: 'INVITE_INVALID', message: 'this invite code is unknown, used up or expired' })

/** Creates a user (the admin and CLI path: no invite, no signup policy); see `Accounts.createUser`. */
export async function createUser(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  input: { email: string; password: string; role?: Role; cohorts?: string[]; plan?: string },
): Answer<User> {
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  const refused =
    (await checkPassword(input.password)) ??
    (input.role === undefined || isRole(input.role) ? null : invalid('role', 'must be user or admin')) ??
    checkProfile({ plan: input.plan, cohorts: input.cohorts })
  if (refused) return refused
  return createUserWith(ctx, {
    email: email.value,
    password: input.password,
    role: input.role ?? 'user',
    ...(input.plan === undefined ? {} : { plan: input.plan }),
    cohorts: input.cohorts ?? [],
  })
}

/** Self-service sign-up under the installation's policy; see `Accounts.signUp`. */
export async function signUp(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock' | 'signup' | 'throttles'>,
  input: { email: string; password: string; inviteCode?: string; address?: string },
): Answer<User> {
  if (ctx.signup === 'closed') {
    return refuse({
      code: 'SIGNUP_CLOSED',
      message: 'sign-up is closed; ask an administrator for an account',
    })
  }
  const code = input.inviteCode === undefined || input.inviteCode === '' ? undefined : input.inviteCode
  if (code === undefined && ctx.signup === 'invite') {
    return refuse({ code: 'INVITE_REQUIRED', message: 'sign-up needs an invite code' })
  }
  if (code !== undefined && (typeof code !== 'string' || code.length > 200)) return inviteInvalid()
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  const bad = await checkPassword(input.password)
  if (bad) return bad
  if (code === undefined && input.address !== undefined) {
    const wait = await ctx.throttles.admitSignUp(clientAddressKey(input.address))
    if (wait > 0) {
      return throttled(
        `too many sign-ups from your network address; try again in ${describeWait(wait)}`,
        wait,
      )
    }
  }
  return createUserWith(ctx, {
    email: email.value,
    password: input.password,
    role: 'user',
    cohorts: signupCohorts(ctx),
    ...(code === undefined ? {} : { inviteCode: code }),
  })
}

/**
 * The cohorts the price book in force has people join when they sign up themselves (`beta` in
 * labs-2022: early accounts get its one-time bonus). Users an administrator makes get the cohorts
 * the administrator gives.
 */
export function signupCohorts(ctx: Pick<AccountsContext, 'ledger' | 'clock'>): string[] {
  const book = ctx.ledger.pricing?.bookAt(ctx.clock.now())
  if (!book) return []
  return Object.entries(book.cohorts)
    .filter(([, cohort]) => cohort.joinOnSignup)
    .map(([name]) => name)
}

/**
 * Creates a user and their personal credit account in one transaction (with the invite use and the
 * owner claim when asked): the ledger creates the account, and the user's rows are written in its
 * transaction through the ledger's `alsoWrite` hook ({@link insertUser}). A refused sign-up leaves
 * no empty account behind and takes no use of its invite.
 *
 * Refusals that can be seen before the transaction (the email taken, the installation owned, the
 * invite unusable) are answered without writing anything. One found inside it (a race lost to a
 * concurrent sign-up, seen only by the insert) throws {@link RolledBack}, which rolls the account
 * back with the rest and is answered here as the refusal it carries.
 */
export async function createUserWith(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  input: { email: string; password: string; role: Role; plan?: string; cohorts: readonly string[] } & Pick<
    NewUser,
    'inviteCode' | 'claimOwner'
  >,
): Answer<User> {
  // Hashing takes tens of milliseconds of a worker thread: done before the transaction, not in it.
  const passwordHash = await hashPassword(input.password)
  const now = ctx.clock.now()
  const { password: _, ...rest } = input
  const user: NewUser = { ...rest, id: newId('user', now), passwordHash, createdAt: now }
  const early = await refusedBeforehand(ctx.db.kysely, user)
  if (!early.ok) return early
  const cohorts = new Set(user.cohorts)
  if (early.value.inviteCohort !== null) cohorts.add(early.value.inviteCohort)
  let created: User | undefined
  return refusalOnRollback(async () => {
    const account = await ctx.ledger.createAccount(
      { reference: user.id, ...(user.plan === undefined ? {} : { plan: user.plan }), cohorts: [...cohorts] },
      {
        alsoWrite: async (tx, acct) => {
          created = await insertUser(tx, user, acct, early.value.inviteCohort)
        },
      },
    )
    // Without an id or idempotency key of the caller's, creating an account cannot be refused.
    if (!account.ok) throw new Error(`creating the account of ${user.id} failed: ${account.error.message}`)
    return { ok: true, value: created! }
  })
}

/** The refusals a read can see before any transaction; the invite's cohort when there is one. */
async function refusedBeforehand(db: Kysely<DB>, input: NewUser): Answer<{ inviteCohort: string | null }> {
  if (input.claimOwner) {
    const admin = await db
      .selectFrom('users')
      .select('id')
      .where('role', '=', 'admin')
      .limit(1)
      .executeTakeFirst()
    if (admin) return alreadySetUp()
  }
  const taken = await db.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst()
  if (taken) return emailTaken()
  if (input.inviteCode === undefined) return { ok: true, value: { inviteCohort: null } }
  const invite = await readUsableInvite(db, input.inviteCode, input.createdAt)
  return invite ? { ok: true, value: { inviteCohort: invite.cohort } } : inviteInvalid()
}

async function exists(tx: SqlTx, sql: string, params: readonly unknown[]): Promise<boolean> {
  return (await tx.all(sql, params)).length > 0
}

/**
 * The user's rows, written in the transaction that has just created their credit account
 * (`account`): the owner claim, the invite use (of the invite whose cohort the account was created
 * in) and the user. Every refusal here comes after the account's insert, so it throws
 * {@link RolledBack}: the whole transaction rolls back, the account with it.
 */
export async function insertUser(
  tx: SqlTx,
  input: NewUser,
  account: AccountCreated,
  inviteCohort: string | null,
): Promise<User> {
  // Checked again here: a user committed since the reads before the transaction (another sign-up
  // of this batch, or of another process) is visible now.
  if (input.claimOwner && (await exists(tx, "select id from users where role = 'admin' limit 1", []))) {
    throw new RolledBack(alreadySetUp())
  }
  if (await exists(tx, 'select id from users where email = ?', [input.email]))
    throw new RolledBack(emailTaken())
  if (input.claimOwner) {
    // The unique key is the arbiter between concurrent set-ups, on every backend.
    const claimed = await tx.run(
      'insert into settings (key, value) values (?, ?) on conflict (key) do nothing',
      [OWNER_SETTING, input.id],
    )
    if (claimed === 0) throw new RolledBack(alreadySetUp())
  }
  if (input.inviteCode !== undefined) {
    const invite = await redeemInvite(tx, input.inviteCode, input.createdAt)
    if (!invite) throw new RolledBack(inviteInvalid())
    // Looked up by the same unique hash before the transaction, and an invite's cohort never changes.
    if (invite.cohort !== inviteCohort) throw new Error(`invite ${invite.id} changed its cohort`)
  }
  const inserted = await tx.run(
    `insert into users (id, email, password_hash, role, account_id, created_at) values (?, ?, ?, ?, ?, ?)
     on conflict (email) do nothing`,
    [input.id, input.email, input.passwordHash, input.role, account.accountId, input.createdAt],
  )
  if (inserted === 0) throw new RolledBack(emailTaken())
  return toUser(
    {
      id: input.id,
      email: input.email,
      role: input.role,
      account_id: account.accountId,
      created_at: input.createdAt,
      disabled_at: null,
    },
    { accountId: account.accountId, plan: account.plan, cohorts: account.cohorts },
  )
}
