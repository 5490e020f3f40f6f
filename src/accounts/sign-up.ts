import type { Kysely } from 'kysely'
import { type AccountCreated, signupCohorts as bookSignupCohorts, cohortOpenAt } from '../credits/index.ts'
import type { DB } from '../db/schema.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { newId } from '../util/ids.ts'
import { signUpAttemptMail, verifyEmailMail } from './account-mails.ts'
import { insertToken, newMailedToken, VERIFY_EMAIL_TTL_MS } from './account-tokens.ts'
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
import { admitSignUpMail } from './throttle-store.ts'
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
  /**
   * Sign-up with mail on: the user is created unverified, their account holding its free grants,
   * and a verification link (built on `linkBase`) is mailed in the same transaction. Without it the
   * user counts as verified from now (the owner's set-up, an administrator, the CLI, sign-up
   * without mail).
   */
  verifyByMail?: { linkBase: string }
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

/** Self-service sign-up under the installation's policy, mail off; see `Accounts.signUp`. */
export async function signUp(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock' | 'signup' | 'throttles'>,
  input: { email: string; password: string; inviteCode?: string; address?: string },
): Answer<User> {
  const checked = await checkSignUp(ctx, input)
  if (!checked.ok) return checked
  const { email, code } = checked.value
  return createUserWith(ctx, {
    email,
    password: input.password,
    role: 'user',
    cohorts: signupCohorts(ctx),
    ...(code === undefined ? {} : { inviteCode: code }),
  })
}

export interface SignUpByMailInput {
  email: string
  password: string
  inviteCode?: string
  address?: string
  /** Where the verification link points (EASEL_PUBLIC_URL, never a request's Host header). */
  linkBase: string
}

/**
 * Self-service sign-up with mail on; see `Accounts.signUpByMail`. The answer is the same whether or
 * not the address has an account, and so is the work, but for a few queued inserts:
 *
 * - the policy, the invite code's shape, the email, the password rule, the per-address limit
 *   (which counts the attempt);
 * - the Argon2 hash of the password (for an existing address too: it is what costs), then the
 *   invite before the email is looked up (a code that does not work is refused whatever the email;
 *   one that works is used only by a new account), then the read of the email;
 * - one transaction with one commit: for a new address the user (unverified), its credit account
 *   (free grants held), the invite use, the verification token and its mail; for an address with
 *   an account, the "someone tried to sign up with your address" mail (none for a disabled user).
 *   Both read the email's user and count a sign-up mail to the address (at most 3 an hour are
 *   sent: past that, the same answer, no mail). `sign-up-verification.test.ts` compares the SQL.
 */
export async function signUpByMail(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock' | 'signup' | 'throttles'>,
  input: SignUpByMailInput,
): Answer<void> {
  const checked = await checkSignUp(ctx, input)
  if (!checked.ok) return checked
  const { email, code } = checked.value
  const created = await createUserWith(ctx, {
    email,
    password: input.password,
    role: 'user',
    cohorts: signupCohorts(ctx),
    ...(code === undefined ? {} : { inviteCode: code }),
    verifyByMail: { linkBase: input.linkBase },
  })
  if (created.ok) return { ok: true, value: undefined }
  if (created.error.code !== 'EMAIL_TAKEN') return created
  await ctx.db.write(
    {
      name: 'signUpTaken',
      locks: {},
      run: async (tx, now) => {
        const user = await selectUserByEmail(tx, email)
        const mayMail = await admitSignUpMail(tx, email, now)
        // A disabled user is told nothing (as a password reset tells them nothing).
        if (!user || user.disabled_at !== null || !mayMail) return
        queueMail(tx, signUpAttemptMail({ to: email, linkBase: input.linkBase }), now)
      },
    },
    ctx.clock,
  )
  return { ok: true, value: undefined }
}

/**
 * What every self-service sign-up checks before it looks the email up: the policy, the invite
 * code's shape, the email, the password rule, then (without a code, from an address) the
 * per-address limit, which counts the attempt.
 */
async function checkSignUp(
  ctx: Pick<AccountsContext, 'signup' | 'throttles'>,
  input: { email: string; password: string; inviteCode?: string; address?: string },
): Answer<{ email: string; code: string | undefined }> {
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
  return { ok: true, value: { email: email.value, code } }
}

/**
 * The cohorts the price book in force has people join when they sign up themselves (`beta` in
 * labs-2022: early accounts get its one-time bonus), unless the book closed them (`joinUntil`).
 * Users an administrator makes get the cohorts the administrator gives.
 */
export function signupCohorts(ctx: Pick<AccountsContext, 'ledger' | 'clock'>): string[] {
  const now = ctx.clock.now()
  const book = ctx.ledger.pricing?.bookAt(now)
  return book ? bookSignupCohorts(book, now) : []
}

/** Whether a sign-up now joins an invite's cohort: not once the book in force has closed it. */
function inviteCohortOpen(ctx: Pick<AccountsContext, 'ledger' | 'clock'>, cohort: string): boolean {
  const now = ctx.clock.now()
  const book = ctx.ledger.pricing?.bookAt(now)
  return book === undefined || cohortOpenAt(book, cohort, now)
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
    'inviteCode' | 'claimOwner' | 'verifyByMail'
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
  const inviteCohort = early.value.inviteCohort
  if (inviteCohort !== null && inviteCohortOpen(ctx, inviteCohort)) cohorts.add(inviteCohort)
  // Made before the transaction, so that a rerun by group commit mails the token it stores.
  const token = user.verifyByMail ? newMailedToken() : null
  let created: User | undefined
  return refusalOnRollback(async () => {
    const account = await ctx.ledger.createAccount(
      {
        reference: user.id,
        ...(user.plan === undefined ? {} : { plan: user.plan }),
        cohorts: [...cohorts],
        ...(user.verifyByMail ? { holdFreeGrants: true } : {}),
      },
      {
        alsoWrite: async (tx, acct, at) => {
          created = await insertUser(tx, user, acct, inviteCohort)
          if (!user.verifyByMail || !token) return
          if (!(await admitSignUpMail(tx, user.email, at))) return
          insertToken(
            tx,
            { hash: token.hash, purpose: 'verify-email', userId: user.id, email: user.email },
            at,
            VERIFY_EMAIL_TTL_MS,
          )
          queueMail(
            tx,
            verifyEmailMail({ to: user.email, linkBase: user.verifyByMail.linkBase, token: token.token }),
            at,
          )
        },
      },
    )
    // Without an id or idempotency key of the caller's, creating an account cannot be refused.
    if (!account.ok) throw new Error(`creating the account of ${user.id} failed: ${account.error.message}`)
    return { ok: true, value: created! }
  })
}

/**
 * The refusals a read can see before any transaction; the invite's cohort when there is one. The
 * invite is judged before the email, so that a sign-up with an unusable code is refused alike
 * whether or not the email has an account.
 */
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
  let inviteCohort: string | null = null
  if (input.inviteCode !== undefined) {
    const invite = await readUsableInvite(db, input.inviteCode, input.createdAt)
    if (!invite) return inviteInvalid()
    inviteCohort = invite.cohort
  }
  const taken = await db.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst()
  if (taken) return emailTaken()
  return { ok: true, value: { inviteCohort } }
}

async function exists(tx: SqlTx, sql: string, params: readonly unknown[]): Promise<boolean> {
  return (await tx.all(sql, params)).length > 0
}

/**
 * The user with this (normalized) email, read in a write transaction: the one statement both kinds
 * of sign-up with mail run to look the email up (see {@link signUpByMail}).
 */
async function selectUserByEmail(
  tx: SqlTx,
  email: string,
): Promise<{ id: string; disabled_at: unknown } | undefined> {
  const [row] = await tx.all<{ id: string; disabled_at: unknown }>(
    'select id, disabled_at from users where email = ?',
    [email],
  )
  return row
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
  if (await selectUserByEmail(tx, input.email)) throw new RolledBack(emailTaken())
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
  const verifiedAt = input.verifyByMail ? null : input.createdAt
  const inserted = await tx.run(
    `insert into users (id, email, password_hash, role, account_id, created_at, email_verified_at)
     values (?, ?, ?, ?, ?, ?, ?)
     on conflict (email) do nothing`,
    [input.id, input.email, input.passwordHash, input.role, account.accountId, input.createdAt, verifiedAt],
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
      email_verified_at: verifiedAt,
    },
    {
      accountId: account.accountId,
      plan: account.plan,
      cohorts: account.cohorts,
      freeGrantsHeld: account.freeGrantsHeld,
    },
  )
}
