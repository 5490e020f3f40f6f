import type { Result } from '../credits/errors.ts'
import type { LedgerOp } from '../credits/group-commit.ts'
import { checkAccountProfile, type Ledger } from '../credits/ledger.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import { newId } from '../util/ids.ts'
import {
  API_KEY_COLUMNS,
  type ApiKeyView,
  DEFAULT_KEY_NAME,
  insertApiKeyOp,
  isUsable,
  LAST_USED_RESOLUTION_MS,
  looksLikeApiKey,
  MAX_KEY_NAME_LENGTH,
  newApiKeySecret,
  revokeApiKeyOp,
  toApiKeyView,
  touchApiKeyOp,
} from './api-keys.ts'
import { clientAddressKey } from './client-address.ts'
import {
  type AccountsError,
  alreadySetUp,
  invalid,
  notFound,
  type Refusal,
  refusalOnRollback,
  refuse,
  throttled,
} from './errors.ts'
import {
  INVITE_CODE_LENGTH,
  type InviteCreated,
  type InviteView,
  insertInviteOp,
  inviteCodeHash,
  MAX_INVITE_USES,
  toInviteView,
} from './invites.ts'
import { checkPassword, DUMMY_HASH, hashPassword, PASSWORD_MAX, verifyPassword } from './passwords.ts'
import {
  DEFAULT_SESSION_TTL_MS,
  deleteSessionOp,
  insertSessionOp,
  MAX_TOKEN_LENGTH,
  newSession,
  type SessionIssued,
  sessionId,
} from './sessions.ts'
import { describeWait, type SignInPolicy, type SignUpPolicy } from './throttle.ts'
import { ThrottleStore } from './throttle-store.ts'
import { randomCode, sha256Hex } from './tokens.ts'
import {
  createUserOp,
  isRole,
  type NewUser,
  normalizeEmail,
  OWNER_SETTING,
  type Role,
  selectUsers,
  toUser,
  type User,
  type UserPatch,
  type UserRow,
  updateUserOp,
} from './users.ts'

/** Who may create an account for themselves: anyone, holders of an invite code, or nobody. */
export type SignupPolicy = 'open' | 'invite' | 'closed'
export const SIGNUP_POLICIES: readonly SignupPolicy[] = ['open', 'invite', 'closed']

export interface AccountsOptions {
  /** Default: the ledger's clock. */
  clock?: Clock
  /** Default `open`. */
  signup?: SignupPolicy
  /** How long a browser session lasts from sign-in; default 30 days. */
  sessionTtlMs?: number
  /** The sign-in throttle's figures; default `SIGN_IN_POLICY` (see `throttle.ts`). */
  signInPolicy?: SignInPolicy
  /** Self-service sign-ups allowed per client address; default 5 an hour. */
  signUpPolicy?: SignUpPolicy
}

type Answer<T> = Promise<Result<T, AccountsError>>

const DEFAULT_PAGE = 50
const MAX_PAGE = 500
const MAX_CREATED_BY_LENGTH = 100

const invalidCredentials = (): Refusal =>
  refuse({ code: 'INVALID_CREDENTIALS', message: 'wrong email or password' })

/** The ledger's rule for plan and cohort names, as this service's refusal. */
function checkProfile(input: { plan?: unknown; cohorts?: unknown }): Refusal | null {
  const refused = checkAccountProfile(input)
  return refused?.error.code === 'VALIDATION' ? invalid(refused.error.field, stripField(refused.error)) : null
}

/** One name (an invite's cohort) by the same rule, refused under `field`. */
function checkName(field: string, value: unknown): Refusal | null {
  const refused = checkAccountProfile({ plan: value })
  return refused?.error.code === 'VALIDATION' ? invalid(field, stripField(refused.error)) : null
}

const stripField = (e: { field: string; message: string }): string =>
  e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message

/** A time in ms in the future, or null (never); VALIDATION otherwise. */
function checkExpiry(field: string, value: unknown, now: number): Refusal | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return invalid(field, 'must be a time in milliseconds since the epoch, or null for never')
  }
  return value > now ? null : invalid(field, 'must be in the future')
}

/**
 * Users, passwords, browser sessions, API keys, invites and the installation's owner: who is
 * calling, on behalf of which credit account. Every user has a personal credit account in the
 * ledger, created with the user in the same transaction.
 *
 * Writes run through the ledger's group commit (so on SQLite they share its single writer and on
 * PostgreSQL its batching); reads go through Kysely. Secrets (session tokens, API keys, invite
 * codes) are stored only as SHA-256 hashes and passwords only as Argon2id hashes; a secret is
 * returned once, when it is made. Expected refusals are values (`{ ok: false, error }`) that
 * changed nothing.
 *
 * @example
 * const accounts = new Accounts(db, ledger, { signup: 'invite' })
 * const { value: invite } = await accounts.createInvite({ cohort: 'beta', maxUses: 100 })
 * const user = await accounts.signUp({ email: 'ada@example.com', password: '…', inviteCode: invite.code })
 * const signedIn = await accounts.signIn({ email: 'ada@example.com', password: '…' })
 * // signedIn.value.session.token goes into the cookie; authenticateSession(token) reads it back
 */
export class Accounts {
  readonly clock: Clock
  readonly signup: SignupPolicy
  readonly sessionTtlMs: number
  /** Failed sign-ins and sign-ups, counted in the database (shared by every process). */
  readonly throttles: ThrottleStore

  constructor(
    readonly db: Database,
    readonly ledger: Ledger,
    options: AccountsOptions = {},
  ) {
    this.clock = options.clock ?? ledger.clock
    this.signup = options.signup ?? 'open'
    this.sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS
    this.throttles = new ThrottleStore(
      db,
      (op) => ledger.execute(op),
      this.clock,
      options.signInPolicy,
      options.signUpPolicy,
    )
    if (!SIGNUP_POLICIES.includes(this.signup)) throw new Error(`unknown signup policy "${this.signup}"`)
    if (!Number.isSafeInteger(this.sessionTtlMs) || this.sessionTtlMs <= 0) {
      throw new Error(
        `sessionTtlMs must be a positive whole number of milliseconds, got ${this.sessionTtlMs}`,
      )
    }
  }

  // ── Owner ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Whether the installation has its owner: true once an admin exists, and from then on (the claim
   * is kept, so demoting every admin does not reopen the set-up page to strangers).
   */
  async isSetUp(): Promise<boolean> {
    const k = this.db.kysely
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

  /**
   * Creates the installation's first admin, once: of two concurrent requests exactly one succeeds
   * and the other gets ALREADY_SET_UP (the claim is a unique insert, on every backend).
   */
  async setUpOwner(input: { email: string; password: string }): Answer<User> {
    const email = normalizeEmail(input.email)
    if (!email.ok) return email
    const bad = await checkPassword(input.password)
    if (bad) return bad
    // Checked before hashing so that a set-up page left open costs nothing to poke at.
    if (await this.isSetUp()) return alreadySetUp()
    return this.createUserWith({
      email: email.value,
      password: input.password,
      role: 'admin',
      claimOwner: true,
      cohorts: this.signupCohorts(),
    })
  }

  /**
   * The cohorts the price book in force has people join when they sign up themselves (`beta` in
   * labs-2022: early accounts get its one-time bonus). Users an administrator makes get the cohorts
   * the administrator gives.
   */
  private signupCohorts(): string[] {
    const book = this.ledger.pricing?.bookAt(this.clock.now())
    if (!book) return []
    return Object.entries(book.cohorts)
      .filter(([, cohort]) => cohort.joinOnSignup)
      .map(([name]) => name)
  }

  /**
   * The start-up path for EASEL_ADMIN_EMAIL / EASEL_ADMIN_PASSWORD: creates that admin when the
   * installation has no owner yet; when the email already has a user, makes sure it is an admin
   * (its password and disabled state are left as they are: the variable only seeds the first
   * password, so the password rule applies only when it makes the owner). Idempotent across
   * restarts and across processes starting together. When another admin already owns the
   * installation and the email is unknown, ALREADY_SET_UP.
   */
  async ensureOwner(input: { email: string; password: string }): Answer<User> {
    const email = normalizeEmail(input.email)
    if (!email.ok) return email
    const promoteExisting = async (): Promise<Result<User, AccountsError> | null> => {
      const existing = await this.findUserByEmail(email.value)
      if (!existing) return null
      return existing.role === 'admin'
        ? { ok: true, value: existing }
        : this.updateUser(existing.id, { role: 'admin' })
    }
    const found = await promoteExisting()
    if (found) return found
    const created = await this.setUpOwner({ email: email.value, password: input.password })
    if (created.ok || (created.error.code !== 'ALREADY_SET_UP' && created.error.code !== 'EMAIL_TAKEN')) {
      return created
    }
    // Another process got there first: with this same email (then it is the owner), or not.
    return (await promoteExisting()) ?? created
  }

  // ── Users ────────────────────────────────────────────────────────────────────────────────────

  /** Creates a user (the admin and CLI path: no invite, no signup policy). */
  async createUser(input: {
    email: string
    password: string
    role?: Role
    cohorts?: string[]
    plan?: string
  }): Answer<User> {
    const email = normalizeEmail(input.email)
    if (!email.ok) return email
    const refused =
      (await checkPassword(input.password)) ??
      (input.role === undefined || isRole(input.role) ? null : invalid('role', 'must be user or admin')) ??
      checkProfile({ plan: input.plan, cohorts: input.cohorts })
    if (refused) return refused
    return this.createUserWith({
      email: email.value,
      password: input.password,
      role: input.role ?? 'user',
      ...(input.plan === undefined ? {} : { plan: input.plan }),
      cohorts: input.cohorts ?? [],
    })
  }

  /**
   * Self-service sign-up under the installation's policy: `closed` refuses, `invite` needs a valid
   * code, `open` takes a code if one is given. A code's cohort (e.g. `beta`) is joined by the new
   * user. The invite use and the user are written in one transaction: a refused sign-up takes no
   * use, and a code with N uses admits exactly N users however many try at once.
   *
   * From a client `address` (the HTTP route gives it), sign-ups without an invite code are limited
   * per address (5 an hour, sliding): past that, THROTTLED before any account is made. Every
   * sign-up that passes the input checks counts, taken email or not, so sign-up is no fast way to
   * learn which emails have accounts either. Sign-ups with a code are not counted: the code's uses,
   * set by an administrator, already bound them (a class signing up behind one school address).
   */
  async signUp(input: {
    email: string
    password: string
    inviteCode?: string
    address?: string
  }): Answer<User> {
    if (this.signup === 'closed') {
      return refuse({
        code: 'SIGNUP_CLOSED',
        message: 'sign-up is closed; ask an administrator for an account',
      })
    }
    const code = input.inviteCode === undefined || input.inviteCode === '' ? undefined : input.inviteCode
    if (code === undefined && this.signup === 'invite') {
      return refuse({ code: 'INVITE_REQUIRED', message: 'sign-up needs an invite code' })
    }
    if (code !== undefined && (typeof code !== 'string' || code.length > 200)) {
      return refuse({ code: 'INVITE_INVALID', message: 'this invite code is unknown, used up or expired' })
    }
    const email = normalizeEmail(input.email)
    if (!email.ok) return email
    const bad = await checkPassword(input.password)
    if (bad) return bad
    if (code === undefined && input.address !== undefined) {
      const wait = await this.throttles.admitSignUp(clientAddressKey(input.address))
      if (wait > 0) {
        return throttled(
          `too many sign-ups from your network address; try again in ${describeWait(wait)}`,
          wait,
        )
      }
    }
    return this.createUserWith({
      email: email.value,
      password: input.password,
      role: 'user',
      cohorts: this.signupCohorts(),
      ...(code === undefined ? {} : { inviteCode: code }),
    })
  }

  private async createUserWith(
    input: Omit<NewUser, 'id' | 'passwordHash' | 'createdAt' | 'cohorts'> & {
      password: string
      cohorts?: readonly string[]
    },
  ): Answer<User> {
    // Hashing takes tens of milliseconds of a worker thread: done before the transaction, not in it.
    const passwordHash = await hashPassword(input.password)
    const now = this.clock.now()
    const { password: _, ...rest } = input
    return this.write(
      createUserOp({
        ...rest,
        cohorts: input.cohorts ?? [],
        id: newId('user', now),
        passwordHash,
        createdAt: now,
      }),
    )
  }

  async getUser(userId: string): Promise<User | null> {
    if (typeof userId !== 'string') return null
    const row = await selectUsers(this.db.kysely).where('id', '=', userId).executeTakeFirst()
    return row ? this.withProfile(row) : null
  }

  /** The user with this email (trimmed and lower-cased first), or null. */
  async findUserByEmail(email: string): Promise<User | null> {
    const normalized = normalizeEmail(email)
    if (!normalized.ok) return null
    const row = await selectUsers(this.db.kysely).where('email', '=', normalized.value).executeTakeFirst()
    return row ? this.withProfile(row) : null
  }

  /** Users in the order they were created, `limit` (1–500, default 50) at a time. */
  async listUsers(input: { limit?: number; cursor?: string } = {}): Promise<{
    users: User[]
    nextCursor: string | null
  }> {
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(input.limit ?? DEFAULT_PAGE) || DEFAULT_PAGE))
    let query = selectUsers(this.db.kysely)
      .orderBy('id')
      .limit(limit + 1)
    if (typeof input.cursor === 'string' && input.cursor !== '') query = query.where('id', '>', input.cursor)
    const rows = await query.execute()
    const page = rows.slice(0, limit)
    const profiles = await this.ledger.accountProfiles(page.map((r) => r.account_id))
    return {
      users: page.map((r) => toUser(r, profiles.get(r.account_id))),
      nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
    }
  }

  /**
   * Changes a user's role, plan, cohorts (the whole new set) or disabled state, in one transaction.
   * Disabling signs the user out everywhere; their API keys stop working until they are enabled.
   * A cohort joined here brings its bonus on the account's next activity; a new plan's allowance
   * starts with the next period.
   */
  async updateUser(
    userId: string,
    patch: { role?: Role; plan?: string; cohorts?: string[]; disabled?: boolean },
  ): Answer<User> {
    const refused =
      (patch.role === undefined || isRole(patch.role) ? null : invalid('role', 'must be user or admin')) ??
      checkProfile({ plan: patch.plan, cohorts: patch.cohorts }) ??
      (patch.disabled === undefined || typeof patch.disabled === 'boolean'
        ? null
        : invalid('disabled', 'must be true or false'))
    if (refused) return refused
    const row =
      typeof userId === 'string'
        ? await selectUsers(this.db.kysely).where('id', '=', userId).executeTakeFirst()
        : undefined
    if (!row) return notFound(`user ${userId}`)
    const clean: UserPatch = {
      ...(patch.role === undefined ? {} : { role: patch.role }),
      ...(patch.plan === undefined ? {} : { plan: patch.plan }),
      ...(patch.cohorts === undefined ? {} : { cohorts: patch.cohorts }),
      ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
    }
    if (Object.keys(clean).length > 0) {
      await this.ledger.execute(updateUserOp(row.id, row.account_id, clean, this.clock.now()))
    }
    const user = await this.getUser(row.id)
    return user ? { ok: true, value: user } : notFound(`user ${userId}`)
  }

  // ── Passwords and sessions ───────────────────────────────────────────────────────────────────

  /**
   * Checks the password and opens a session. Unknown email, wrong password and disabled user are
   * the same INVALID_CREDENTIALS, after the same Argon2 work (an unknown email is checked against a
   * dummy hash), so neither the answer nor its timing says whether the email has an account.
   *
   * Failed attempts are throttled per email, for known and unknown emails alike (rules in
   * `throttle.ts`): past the allowance, THROTTLED with the wait, before any password is checked.
   * `address` is the client's (the HTTP route gives it); an address the email signed in from
   * recently is not slowed down by failures from elsewhere. A success forgets its address's
   * failures.
   */
  async signIn(input: {
    email: string
    password: string
    address?: string
  }): Answer<{ user: User; session: SessionIssued }> {
    const password = input.password
    // Bounded before hashing: a megabyte "password" must not buy a megabyte of Argon2 work.
    if (typeof password !== 'string' || password.length > PASSWORD_MAX * 2) return invalidCredentials()
    if (typeof input.email !== 'string') return invalidCredentials()
    const email = normalizeEmail(input.email)
    // A malformed email is counted as typed: it matches no account, but it is a guess all the same.
    const tried = email.ok ? email.value : input.email.trim().toLowerCase()
    const address = input.address === undefined ? null : clientAddressKey(input.address)
    const wait = await this.throttles.admitSignIn(tried, address)
    if (wait > 0) {
      return throttled(`too many failed sign-ins for this email; try again in ${describeWait(wait)}`, wait)
    }
    const row = email.ok
      ? await this.db.kysely
          .selectFrom('users')
          .select(['id', 'email', 'role', 'account_id', 'created_at', 'disabled_at', 'password_hash'])
          .where('email', '=', email.value)
          .executeTakeFirst()
      : undefined
    const matches = await verifyPassword(row?.password_hash ?? DUMMY_HASH, password)
    if (!row || !matches || row.disabled_at !== null) return invalidCredentials()
    await this.throttles.signedIn(tried, address)
    const session = await this.createSession(row.id)
    return { ok: true, value: { user: await this.withProfile(row), session } }
  }

  /** Opens a session for a user (sign-in does this after checking the password). */
  async createSession(userId: string): Promise<SessionIssued> {
    const now = this.clock.now()
    const session = newSession(now, this.sessionTtlMs)
    await this.ledger.execute(insertSessionOp(userId, session, now))
    return session.issued
  }

  /** The user behind a session cookie, or null when it is unknown, expired, or its user disabled. */
  async authenticateSession(
    token: string,
  ): Promise<{ user: User; sessionId: string; csrfToken: string } | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null
    const row = await this.db.kysely
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
    if (!row || row.expires_at <= this.clock.now() || row.disabled_at !== null) return null
    return { user: await this.withProfile(row), sessionId: row.session_id, csrfToken: row.csrf_token }
  }

  /** Ends the session (nothing happens for a token that names none). */
  async signOut(token: string): Promise<void> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return
    await this.ledger.execute(deleteSessionOp(sessionId(token)))
  }

  // ── API keys ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Makes an API key for the user. The secret is in the answer and nowhere else: the table keeps
   * its SHA-256 and the first characters (`prefix`) to list it by.
   */
  async createApiKey(
    userId: string,
    input: { name?: string; expiresAt?: number | null } = {},
  ): Answer<{ key: ApiKeyView; secret: string }> {
    const now = this.clock.now()
    const name = input.name === undefined ? DEFAULT_KEY_NAME : input.name
    const refused =
      (typeof name === 'string' && name.trim() !== '' && name.length <= MAX_KEY_NAME_LENGTH
        ? null
        : invalid('name', `must be 1 to ${MAX_KEY_NAME_LENGTH} characters`)) ??
      checkExpiry('expiresAt', input.expiresAt, now)
    if (refused) return refused
    const { secret, prefix, hash } = newApiKeySecret()
    const key = await this.ledger.execute(
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
    )
    return key ? { ok: true, value: { key, secret } } : notFound(`user ${userId}`)
  }

  /** A user's keys (revoked and expired ones included), or everyone's for `null`, oldest first. */
  async listApiKeys(userId: string | null): Promise<ApiKeyView[]> {
    let query = this.db.kysely
      .selectFrom('api_keys')
      .select([...API_KEY_COLUMNS])
      .orderBy('id')
    if (userId !== null) query = query.where('user_id', '=', userId)
    return (await query.execute()).map(toApiKeyView)
  }

  /**
   * Revokes a key of `userId` (any key for `null`, the admin path). Another user's key is
   * NOT_FOUND, exactly like a key that does not exist. Revoking twice keeps the first time.
   */
  async revokeApiKey(userId: string | null, keyId: string): Answer<ApiKeyView> {
    const missing = notFound(`API key ${keyId}`)
    if (typeof keyId !== 'string') return missing
    let query = this.db.kysely
      .selectFrom('api_keys')
      .select([...API_KEY_COLUMNS])
      .where('id', '=', keyId)
    if (userId !== null) query = query.where('user_id', '=', userId)
    const row = await query.executeTakeFirst()
    if (!row) return missing
    const key = toApiKeyView(row)
    if (key.revokedAt !== null) return { ok: true, value: key }
    const revokedAt = await this.ledger.execute(revokeApiKeyOp(key.id, this.clock.now()))
    return { ok: true, value: { ...key, revokedAt } }
  }

  /**
   * The user and key behind a Bearer secret, or null when it is unknown, revoked, expired, or its
   * user disabled. Records the use at most once a minute per key.
   */
  async authenticateApiKey(secret: string): Promise<{ user: User; key: ApiKeyView } | null> {
    if (!looksLikeApiKey(secret)) return null
    const row = await this.db.kysely
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
      ])
      .where('k.secret_hash', '=', sha256Hex(secret))
      .executeTakeFirst()
    if (!row) return null
    const now = this.clock.now()
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
      if (await this.ledger.execute(touchApiKeyOp(key.id, now))) key.lastUsedAt = now
    }
    return { user: await this.withProfile(row), key }
  }

  // ── Invites ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Makes an invite code for `maxUses` sign-ups (default 1) until `expiresAt` (default never),
   * optionally placing its users in a cohort. The code is in the answer only.
   */
  async createInvite(
    input: {
      cohort?: string | null
      maxUses?: number
      expiresAt?: number | null
      createdBy?: string | null
    } = {},
  ): Answer<InviteCreated> {
    const now = this.clock.now()
    const cohort = input.cohort ?? null
    const maxUses = input.maxUses ?? 1
    const refused =
      (cohort === null ? null : checkName('cohort', cohort)) ??
      (Number.isSafeInteger(maxUses) && maxUses >= 1 && maxUses <= MAX_INVITE_USES
        ? null
        : invalid('maxUses', `must be a whole number from 1 to ${MAX_INVITE_USES}`)) ??
      checkExpiry('expiresAt', input.expiresAt, now) ??
      (input.createdBy === undefined ||
      input.createdBy === null ||
      (typeof input.createdBy === 'string' && input.createdBy.length <= MAX_CREATED_BY_LENGTH)
        ? null
        : invalid('createdBy', `must be at most ${MAX_CREATED_BY_LENGTH} characters`))
    if (refused) return refused
    const code = randomCode(INVITE_CODE_LENGTH)
    const id = newId('inv', now)
    const expiresAt = input.expiresAt ?? null
    await this.ledger.execute(
      insertInviteOp({
        id,
        code_hash: inviteCodeHash(code),
        cohort,
        max_uses: maxUses,
        uses: 0,
        expires_at: expiresAt,
        created_at: now,
        created_by: input.createdBy ?? null,
      }),
    )
    return { ok: true, value: { id, code, cohort, maxUses, expiresAt } }
  }

  /** Every invite, oldest first, with how many of its uses are taken (never its code). */
  async listInvites(): Promise<InviteView[]> {
    const rows = await this.db.kysely
      .selectFrom('invites')
      .select(['id', 'cohort', 'max_uses', 'uses', 'expires_at', 'created_at', 'created_by'])
      .orderBy('id')
      .execute()
    return rows.map(toInviteView)
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────────

  /** Runs a write that may refuse, turning a rolled-back refusal into its value. */
  private write<T>(op: LedgerOp<Result<T, AccountsError>>): Answer<T> {
    return refusalOnRollback(() => this.ledger.execute(op))
  }

  private async withProfile(row: UserRow): Promise<User> {
    const profiles = await this.ledger.accountProfiles([row.account_id])
    return toUser(row, profiles.get(row.account_id))
  }
}
