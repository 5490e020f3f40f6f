import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import type { ApiKeyView } from './api-keys.ts'
import * as apiKeys from './api-keys.ts'
import type { AuditStamp } from './audit.ts'
import { type AccountsContext, type Answer, SIGNUP_POLICIES, type SignupPolicy } from './context.ts'
import * as emailChange from './email-change.ts'
import type { InviteCreated, InviteView } from './invites.ts'
import * as invites from './invites.ts'
import * as owner from './owner.ts'
import * as passwordChange from './password-change.ts'
import * as passwordReset from './password-reset.ts'
import * as sessions from './sessions.ts'
import {
  DEFAULT_SESSION_TTL_MS,
  type SessionClient,
  type SessionIssued,
  type SessionView,
} from './sessions.ts'
import type { SignUpByMailInput } from './sign-up.ts'
import * as newUsers from './sign-up.ts'
import type { PasswordResetPolicy, SignInPolicy, SignUpPolicy } from './throttle.ts'
import { ThrottleStore } from './throttle-store.ts'
import { TwoFactor } from './two-factor.ts'
import type { Role, User } from './users.ts'
import * as users from './users.ts'
import * as verification from './verify-email.ts'

export { SIGNUP_POLICIES, type SignupPolicy } from './context.ts'

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
  /** Password resets allowed per client address and per email; default 10 and 3 an hour. */
  passwordResetPolicy?: PasswordResetPolicy
  /** Verification links a signed-in person may have sent again; default 3 an hour. */
  verificationResendPolicy?: SignUpPolicy
}

/**
 * Users, passwords, browser sessions, API keys, invites and the installation's owner: who is
 * calling, on behalf of which credit account. Every user has a personal credit account in the
 * ledger, created with the user in the same transaction.
 *
 * Writes run through the database's group commit (so on SQLite they share its single writer and on
 * PostgreSQL its batching); a write that must commit with the user's credit account goes through
 * the ledger's `alsoWrite` hook; reads go through Kysely. Secrets (session tokens, API keys, invite
 * codes) are stored only as SHA-256 hashes and passwords only as Argon2id hashes; a secret is
 * returned once, when it is made. Expected refusals are values (`{ ok: false, error }`) that
 * changed nothing.
 *
 * A facade: each job is done in its own module (`owner.ts`, `sign-up.ts`, `verify-email.ts`,
 * `users.ts`, `sessions.ts`, `password-reset.ts`, `password-change.ts`, `email-change.ts`,
 * `api-keys.ts`, `invites.ts`, `two-factor.ts`), which takes the part of this service it uses. Mails (a reset link,
 * a confirmation, a notice) are queued in the outbox in the transaction of what caused them.
 *
 * With mail on, a sign-up's free credits are held until its email is verified (`verify-email.ts`);
 * everyone else (owner, CLI, administrators' users, sign-up without mail) is verified from the start.
 *
 * @example
 * const accounts = new Accounts(db, ledger, { signup: 'invite' })
 * const { value: invite } = await accounts.createInvite({ cohort: 'beta', maxUses: 100 })
 * const user = await accounts.signUp({ email: 'ada@example.com', password: '…', inviteCode: invite.code })
 * const signedIn = await accounts.signIn({ email: 'ada@example.com', password: '…' })
 * // signedIn.value.session.token goes into the cookie; authenticateSession(token) reads it back
 */
export class Accounts implements AccountsContext {
  readonly clock: Clock
  readonly signup: SignupPolicy
  readonly sessionTtlMs: number
  /** Failed sign-ins and sign-ups, counted in the database (shared by every process). */
  readonly throttles: ThrottleStore
  /** Two-factor sign-in of a signed-in person's own account, and the operator's reset (`two-factor.ts`). */
  readonly twoFactor: TwoFactor = new TwoFactor(this)

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
      this.clock,
      options.signInPolicy,
      options.signUpPolicy,
      options.passwordResetPolicy,
      options.verificationResendPolicy,
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
  isSetUp(): Promise<boolean> {
    return owner.isSetUp(this)
  }

  /**
   * Creates the installation's first admin, once: of two concurrent requests exactly one succeeds
   * and the other gets ALREADY_SET_UP (the claim is a unique insert, on every backend).
   */
  setUpOwner(input: { email: string; password: string }): Answer<User> {
    return owner.setUpOwner(this, input)
  }

  /**
   * The start-up path for EASEL_ADMIN_EMAIL / EASEL_ADMIN_PASSWORD: creates that admin when the
   * installation has no owner yet; when the email already has a user, makes sure it is an admin
   * (its password and disabled state are left as they are: the variable only seeds the first
   * password, so the password rule applies only when it makes the owner). Idempotent across
   * restarts and across processes starting together. When another admin already owns the
   * installation and the email is unknown, ALREADY_SET_UP.
   */
  ensureOwner(input: { email: string; password: string }): Answer<User> {
    return owner.ensureOwner(this, input)
  }

  // ── Users ────────────────────────────────────────────────────────────────────────────────────

  /** Creates a user (the admin and CLI path: no invite, no signup policy). */
  createUser(input: {
    email: string
    password: string
    role?: Role
    cohorts?: string[]
    plan?: string
  }): Answer<User> {
    return newUsers.createUser(this, input)
  }

  /**
   * Self-service sign-up under the installation's policy, mail off (the user counts as verified,
   * their free credits owed at once): `closed` refuses, `invite` needs a valid code, `open` takes a
   * code if one is given. A code's cohort (e.g. `beta`) is joined by the new user, unless the price
   * book in force has closed it (`joinUntil`); so are the book's sign-up cohorts that are open. The invite use and the user are written in one transaction: a refused sign-up takes no
   * use, and a code with N uses admits exactly N users however many try at once.
   *
   * From a client `address` (the HTTP route gives it), sign-ups without an invite code are limited
   * per address (5 an hour, sliding): past that, THROTTLED before any account is made. Every
   * sign-up that passes the input checks counts, taken email or not, so sign-up is no fast way to
   * learn which emails have accounts either. Sign-ups with a code are not counted: the code's uses,
   * set by an administrator, already bound them (a class signing up behind one school address).
   */
  signUp(input: { email: string; password: string; inviteCode?: string; address?: string }): Answer<User> {
    return newUsers.signUp(this, input)
  }

  /**
   * Self-service sign-up with mail on: {@link signUp}'s policy and limits, but the same answer (`ok`)
   * and the same work whether or not the address has an account (see `sign-up.ts`). A new address
   * gets an unverified user, free credits held, and a link `<linkBase>/verify-email?token=…` (once,
   * 24 hours); one with an account is told someone tried. At most 3 such mails an hour per address.
   */
  signUpByMail(input: SignUpByMailInput): Answer<void> {
    return newUsers.signUpByMail(this, input)
  }

  /**
   * Verifies an email with a verification link's token (then used up): the user counts as verified
   * and their free credits are owed from now, in one transaction. TOKEN_INVALID (changing nothing)
   * for a token unknown, used, expired, for an address the user no longer has, or a disabled user.
   */
  verifyEmail(input: { token: string }): Answer<{ userId: string; email: string }> {
    return verification.verifyEmail(this, input)
  }

  /** A new verification link (older ones stop working); ALREADY_VERIFIED, or THROTTLED past 3 an hour. */
  resendVerification(userId: string, input: { linkBase: string }): Answer<{ email: string }> {
    return verification.resendVerification(this, userId, input)
  }

  getUser(userId: string): Promise<User | null> {
    return users.getUser(this, userId)
  }

  /** The user with this email (trimmed and lower-cased first), or null. */
  findUserByEmail(email: string): Promise<User | null> {
    return users.findUserByEmail(this, email)
  }

  /** Users in the order they were created, `limit` (1–500, default 50) at a time. */
  listUsers(input: { limit?: number; cursor?: string } = {}): Promise<{
    users: User[]
    nextCursor: string | null
  }> {
    return users.listUsers(this, input)
  }

  /**
   * Changes a user's role, plan, cohorts (the whole new set) or disabled state, or marks their
   * email verified (`emailVerified: true`, which releases held free credits), in one transaction.
   * Disabling signs the user out everywhere; their API keys stop working until they are enabled.
   * A cohort joined here brings its bonus on the account's next activity; a new plan's allowance
   * starts with the next period.
   */
  updateUser(
    userId: string,
    patch: { role?: Role; plan?: string; cohorts?: string[]; disabled?: boolean; emailVerified?: boolean },
    audit?: AuditStamp,
  ): Answer<User> {
    return users.updateUser(this, userId, patch, audit)
  }

  // ── Passwords and sessions ───────────────────────────────────────────────────────────────────

  /**
   * Checks the password and opens a session. Unknown email, wrong password and disabled user are
   * the same INVALID_CREDENTIALS, after the same Argon2 work (an unknown email is checked against a
   * dummy hash), so neither the answer nor its timing says whether the email has an account. With
   * two-factor sign-in on, the right password also needs `code` (from the app, or a recovery code):
   * without it TWO_FACTOR_REQUIRED, wrong or reused INVALID_CODE (counted like a wrong password).
   *
   * Failed attempts are throttled per email, for known and unknown emails alike (rules in
   * `throttle.ts`): past the allowance, THROTTLED with the wait, before any password is checked.
   * `address` is the client's (the HTTP route gives it); an address the email signed in from
   * recently is not slowed down by failures from elsewhere. A success forgets its address's
   * failures.
   */
  signIn(input: {
    email: string
    password: string
    code?: string
    address?: string
    /** The browser's name for itself, kept with the session for its owner's list (first 200 characters). */
    userAgent?: string
  }): Answer<{ user: User; session: SessionIssued }> {
    return sessions.signIn(this, input)
  }

  /** Opens a session for a user; `client` (user agent, address) is kept for the user's list of sessions. */
  createSession(userId: string, client: SessionClient = {}): Promise<SessionIssued> {
    return sessions.createSession(this, userId, client)
  }

  /** The user behind a session cookie, or null when it is unknown, expired, or its user disabled. */
  authenticateSession(token: string): Promise<{ user: User; sessionId: string; csrfToken: string } | null> {
    return sessions.authenticateSession(this, token)
  }

  /** Ends the session (nothing happens for a token that names none). */
  signOut(token: string): Promise<void> {
    return sessions.signOut(this, token)
  }

  /**
   * The user's sessions that have not expired (the one of `currentToken` first and marked
   * `current`, then the most recently used), each by a public id that is neither its cookie nor
   * the cookie's hash. A session's last use is recorded to the minute.
   */
  listSessions(userId: string, currentToken?: string | null): Promise<SessionView[]> {
    return sessions.listSessions(this, userId, currentToken)
  }

  /**
   * Ends one of the user's sessions by its public id. Another user's session is NOT_FOUND, exactly
   * like one that does not exist. Says whether it was the session of `currentToken`.
   */
  endSession(userId: string, sessionId: string, currentToken?: string | null): Answer<{ current: boolean }> {
    return sessions.endSession(this, userId, sessionId, currentToken)
  }

  /** Ends every session of the user, the caller's own included; answers how many there were. */
  signOutEverywhere(userId: string): Promise<number> {
    return sessions.signOutEverywhere(this, userId)
  }

  // ── Password reset, password and email changes ───────────────────────────────────────────────

  /**
   * Mails a single-use link to choose a new password (`<linkBase>/reset-password?token=…`, for one
   * hour) when the email belongs to an enabled user; an earlier link of theirs stops working. The
   * answer is the same whether or not the email has an account, and so is the work done (see
   * `password-reset.ts`). Limited per client `address` and per email (default 10 and 3 an hour,
   * unknown emails counted alike): past that, THROTTLED.
   *
   * @example
   * await accounts.requestPasswordReset({ email: 'ada@example.com', linkBase: 'https://easel.example' })
   * // → { ok: true } — and, if Ada has an account, a 'password-reset' mail in the outbox
   */
  requestPasswordReset(input: { email: string; address?: string; linkBase: string }): Answer<void> {
    return passwordReset.requestPasswordReset(this, input)
  }

  /**
   * Sets a new password (checked by the rule) with a reset link's token, which then stops working;
   * every session of the user ends. A token that is unknown, used, expired or whose user is
   * disabled is TOKEN_INVALID, and nothing changes.
   */
  confirmPasswordReset(input: { token: string; password: string }): Answer<void> {
    return passwordReset.confirmPasswordReset(this, input)
  }

  /**
   * Changes a signed-in user's password: the current one must be given (a wrong one is VALIDATION
   * on `currentPassword`, counted by the sign-in throttle), the new one must pass the rule. The
   * user's other sessions end; the one of `currentToken` is kept.
   */
  changePassword(
    userId: string,
    input: { currentPassword: string; newPassword: string; currentToken?: string | null; address?: string },
  ): Answer<{ otherSessionsEnded: number }> {
    return passwordChange.changePassword(this, userId, input)
  }

  /**
   * Asks to change a signed-in user's email (their password confirms it): the new address is
   * mailed a link (`<linkBase>/confirm-email?token=…`, for a day) and the old one is told. The
   * email changes only when the link is confirmed.
   */
  requestEmailChange(
    userId: string,
    input: { email: string; password: string; address?: string; linkBase: string },
  ): Answer<{ pendingEmail: string }> {
    return emailChange.requestEmailChange(this, userId, input)
  }

  /**
   * Confirms a new email with the token mailed to it: the email changes (and counts as verified)
   * if no other user has taken the address meanwhile (EMAIL_TAKEN otherwise); the old address is
   * told. TOKEN_INVALID for a token that is unknown, used or expired.
   */
  confirmEmailChange(input: { token: string }): Answer<{ userId: string; email: string }> {
    return emailChange.confirmEmailChange(this, input)
  }

  // ── API keys ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Makes an API key for the user. The secret is in the answer and nowhere else: the table keeps
   * its SHA-256 and the first characters (`prefix`) to list it by.
   */
  createApiKey(
    userId: string,
    input: { name?: string; expiresAt?: number | null } = {},
  ): Answer<{ key: ApiKeyView; secret: string }> {
    return apiKeys.createApiKey(this, userId, input)
  }

  /** A user's keys (revoked and expired ones included), or everyone's for `null`, oldest first. */
  listApiKeys(userId: string | null): Promise<ApiKeyView[]> {
    return apiKeys.listApiKeys(this, userId)
  }

  /**
   * Revokes a key of `userId` (any key for `null`, the admin path). Another user's key is
   * NOT_FOUND, exactly like a key that does not exist. Revoking twice keeps the first time.
   */
  revokeApiKey(userId: string | null, keyId: string, audit?: AuditStamp): Answer<ApiKeyView> {
    return apiKeys.revokeApiKey(this, userId, keyId, audit)
  }

  /**
   * The user and key behind a Bearer secret, or null when it is unknown, revoked, expired, or its
   * user disabled. Records the use at most once a minute per key.
   */
  authenticateApiKey(secret: string): Promise<{ user: User; key: ApiKeyView } | null> {
    return apiKeys.authenticateApiKey(this, secret)
  }

  // ── Invites ──────────────────────────────────────────────────────────────────────────────────

  /** An invite code for `maxUses` sign-ups (default 1) until `expiresAt` (default never), maybe into a cohort; shown once. */
  createInvite(
    input: {
      cohort?: string | null
      maxUses?: number
      expiresAt?: number | null
      createdBy?: string | null
    } = {},
    audit?: AuditStamp,
  ): Answer<InviteCreated> {
    return invites.createInvite(this, input, audit)
  }

  /** Every invite, oldest first, with how many of its uses are taken (never its code). */
  listInvites(): Promise<InviteView[]> {
    return invites.listInvites(this.db.kysely)
  }
}
