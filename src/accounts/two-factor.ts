import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { type AuditStamp, recordAudit } from './audit.ts'
import { clientAddressKey } from './client-address.ts'
import type { AccountsContext, Answer } from './context.ts'
import { checkCurrentPassword, readSigner, type Signer } from './current-password.ts'
import { invalid, notFound, type Refusal, refuse, throttled } from './errors.ts'
import { PASSWORD_MAX, verifyPassword } from './passwords.ts'
import { newRecoveryCodes, replaceRecoveryCodes } from './recovery-codes.ts'
import { describeWait } from './throttle.ts'
import { asTotpCode, matchTotp, newTotpSecret, qrSvg, totpUrl } from './totp.ts'
import {
  CODE_MAX,
  type EnabledFactor,
  enabledFactor,
  proofOf,
  readTwoFactor,
  spendProof,
  unusedRecoveryCodes,
} from './two-factor-check.ts'
import {
  recoveryCodesRenewedMail,
  twoFactorOffMail,
  twoFactorOnMail,
  twoFactorResetMail,
} from './two-factor-mails.ts'

/** How long a set-up (the secret shown as a QR code) waits for its first code: then start again. */
export const TWO_FACTOR_SETUP_TTL_MS = 3_600_000

/** Where a user's two-factor sign-in stands, as they see it on their account page. */
export interface TwoFactorStatus {
  enabled: boolean
  enabledAt: number | null
  /** Recovery codes not yet used. */
  recoveryCodesLeft: number
  /** Whether they may turn it off: not an administrator once it is on. */
  canDisable: boolean
}

/** A set-up in progress: what the authenticator app is given (shown once). */
export interface TwoFactorSetup {
  /** Base32, for typing into an app by hand. */
  secret: string
  otpauthUrl: string
  /** The URL as a QR code (an SVG document). */
  qrSvg: string
}

type Ctx = Pick<AccountsContext, 'db' | 'clock' | 'throttles'>

const mandatory = (): Refusal =>
  refuse({
    code: 'TWO_FACTOR_MANDATORY',
    message: 'two-factor sign-in is required for administrators: it cannot be turned off',
  })
const notEnabled = (): Refusal =>
  refuse({ code: 'TWO_FACTOR_NOT_ENABLED', message: 'two-factor sign-in is not on for this account' })
const wrongCode = (): Refusal =>
  invalid('code', 'is not a current code from your authenticator app or an unused recovery code')

/**
 * Two-factor sign-in (TOTP, an authenticator app) of the signed-in person's own account, and the
 * operator's way back in for someone who lost their phone. `Accounts.twoFactor` is one.
 *
 * Turning it on takes two steps: {@link setUp} (the password) makes a pending secret and shows it,
 * {@link enable} (a code from the app, proving it was scanned) turns it on and answers the ten
 * recovery codes, shown that once. From then on sign-in asks for a code (`sessions.ts`).
 * Every code checked here — like a password — counts against the sign-in throttle of the account's
 * email until it proves right, so a stolen session cannot guess codes faster than a sign-in form.
 * Each change mails the account's address a notice, queued in the transaction of the change.
 *
 * The secret is stored as it is (a code cannot be checked against a hash of it): whoever reads the
 * database can make codes. Encrypting it with an installation key is the next step.
 */
export class TwoFactor {
  constructor(private readonly ctx: Ctx) {}

  /** Where the user's two-factor sign-in stands; NOT_FOUND for a missing or disabled user. */
  async status(userId: string): Answer<TwoFactorStatus> {
    const user = await readUser(this.ctx, userId)
    if (!user) return notFound(`user ${userId}`)
    const factor = await readTwoFactor(this.ctx.db, userId)
    const enabled = enabledFactor(factor) !== null
    const left = enabled ? await unusedRecoveryCodes(this.ctx.db, userId) : 0
    return {
      ok: true,
      value: {
        enabled,
        enabledAt: enabled ? factor!.enabledAt : null,
        recoveryCodesLeft: left,
        canDisable: enabled && user.role !== 'admin',
      },
    }
  }

  /**
   * Starts a set-up (the password confirms it): a new secret, pending until {@link enable} gets a
   * code made with it. Running it again replaces the pending secret. TWO_FACTOR_ENABLED when it is
   * on already (turn it off first).
   */
  async setUp(userId: string, input: { password: unknown; address?: string }): Answer<TwoFactorSetup> {
    const signer = await readSigner(this.ctx, userId)
    if (!signer.ok) return signer
    if (enabledFactor(await readTwoFactor(this.ctx.db, userId))) return alreadyEnabled()
    const wrong = await checkCurrentPassword(
      this.ctx,
      signer.value,
      input.password,
      'password',
      input.address,
    )
    if (wrong) return wrong
    const secret = newTotpSecret()
    const written = await this.ctx.db.write(
      {
        name: 'setUpTwoFactor',
        locks: {},
        // A set-up never touches an enabled factor: turned on meanwhile, nothing is written.
        run: (tx, now) =>
          tx.run(
            `insert into two_factor (user_id, secret, enabled_at, pending_secret, pending_at, last_step)
             values (?, null, null, ?, ?, null)
             on conflict (user_id) do update set pending_secret = excluded.pending_secret, pending_at = excluded.pending_at
             where two_factor.enabled_at is null`,
            [userId, secret, now],
          ),
      },
      this.ctx.clock,
    )
    if (written === 0) return alreadyEnabled()
    const otpauthUrl = totpUrl(secret, signer.value.email)
    return { ok: true, value: { secret, otpauthUrl, qrSvg: await qrSvg(otpauthUrl) } }
  }

  /**
   * Turns two-factor sign-in on with a code made from the pending secret (within a step of now),
   * and answers a new set of recovery codes (the only time they are shown). The secret becomes the
   * account's, the code's step is recorded as used, and the address is told, in one transaction.
   * A wrong code is VALIDATION on `code` (counted by the throttle); TWO_FACTOR_NO_SETUP when no
   * set-up is pending (or it is over an hour old); TWO_FACTOR_ENABLED when it is on already.
   */
  async enable(
    userId: string,
    input: { code: unknown; address?: string },
  ): Answer<{ recoveryCodes: string[] }> {
    const signer = await readSigner(this.ctx, userId)
    if (!signer.ok) return signer
    const factor = await readTwoFactor(this.ctx.db, userId)
    if (enabledFactor(factor)) return alreadyEnabled()
    const now = this.ctx.clock.now()
    const pending = factor?.pendingSecret ?? null
    if (
      pending === null ||
      factor!.pendingAt === null ||
      factor!.pendingAt <= now - TWO_FACTOR_SETUP_TTL_MS
    ) {
      return refuse({
        code: 'TWO_FACTOR_NO_SETUP',
        message: 'no two-factor set-up is waiting for a code (it expires after an hour): start it again',
      })
    }
    return this.withCode(
      signer.value,
      input,
      (typed, at) => {
        const code = asTotpCode(typed)
        const step = code === null ? null : matchTotp(pending, code, at, null)
        return step === null ? null : { step }
      },
      async (tx, now, { step }) => {
        const enabled = await tx.run(
          `update two_factor set secret = pending_secret, enabled_at = ?, pending_secret = null, pending_at = null, last_step = ?
         where user_id = ? and pending_secret = ? and enabled_at is null`,
          [now, step, userId, pending],
        )
        // Replaced by a newer set-up, or enabled by another request, since it was read.
        if (enabled === 0) return wrongCode()
        const recoveryCodes = newRecoveryCodes()
        await replaceRecoveryCodes(tx, userId, recoveryCodes, now)
        queueMail(tx, twoFactorOnMail({ to: signer.value.email }), now)
        return { ok: true, value: { recoveryCodes } }
      },
    )
  }

  /**
   * Turns two-factor sign-in off (the password and a code, from the app or a recovery code, confirm
   * it): the secret and the recovery codes are deleted and the address is told. An administrator
   * may not (TWO_FACTOR_MANDATORY): for them it is required once on.
   */
  async disable(userId: string, input: { password: unknown; code: unknown; address?: string }): Answer<void> {
    const confirmed = await this.confirm(userId)
    if (!confirmed.ok) return confirmed
    const { signer, factor } = confirmed.value
    return this.withCode(
      signer,
      input,
      (typed, at) => proofOf(factor, typed, at),
      async (tx, now, proof) => {
        if (!(await spendProof(tx, userId, proof, now))) return wrongCode()
        await deleteFactor(tx, userId)
        queueMail(tx, twoFactorOffMail({ to: signer.email }), now)
        return { ok: true, value: undefined }
      },
    )
  }

  /**
   * A new set of recovery codes (the password and a code confirm it), replacing every earlier one;
   * the address is told.
   */
  async renewRecoveryCodes(
    userId: string,
    input: { password: unknown; code: unknown; address?: string },
  ): Answer<{ recoveryCodes: string[] }> {
    const confirmed = await this.confirm(userId, { forDisable: false })
    if (!confirmed.ok) return confirmed
    const { signer, factor } = confirmed.value
    return this.withCode(
      signer,
      input,
      (typed, at) => proofOf(factor, typed, at),
      async (tx, now, proof) => {
        if (!(await spendProof(tx, userId, proof, now))) return wrongCode()
        const recoveryCodes = newRecoveryCodes()
        await replaceRecoveryCodes(tx, userId, recoveryCodes, now)
        queueMail(tx, recoveryCodesRenewedMail({ to: signer.email }), now)
        return { ok: true, value: { recoveryCodes } }
      },
    )
  }

  /**
   * The operator's way back in for someone who lost their phone and their recovery codes (the CLI's
   * `users reset-two-factor`): turns it off, deletes the codes, signs the user out everywhere, tells
   * their address, and records who did it and why, in one transaction. TWO_FACTOR_NOT_ENABLED when
   * it was off (a set-up in progress is dropped all the same).
   */
  async reset(userId: string, audit: AuditStamp): Answer<{ sessionsEnded: number }> {
    // A disabled user too: the operator may be about to enable them again.
    const user = await readUser(this.ctx, userId, { disabled: true })
    if (!user) return notFound(`user ${userId}`)
    return this.ctx.db.write(
      {
        name: 'resetTwoFactor',
        locks: {},
        run: async (tx, now) => {
          const [row] = await tx.all<{ enabled_at: unknown }>(
            'select enabled_at from two_factor where user_id = ?',
            [userId],
          )
          await deleteFactor(tx, userId)
          if (!row || row.enabled_at === null) return notEnabled()
          const sessionsEnded = await tx.run('delete from sessions where user_id = ?', [userId])
          recordAudit(
            tx,
            {
              ...audit,
              action: 'user.two-factor-reset',
              subject: userId,
              details: { email: user.email, sessionsEnded },
            },
            now,
          )
          queueMail(tx, twoFactorResetMail({ to: user.email }), now)
          return { ok: true, value: { sessionsEnded } }
        },
      },
      this.ctx.clock,
    )
  }

  /**
   * The checks before a change that needs the password and a code: the user, an enabled factor,
   * and (for turning it off) not an administrator. The password itself is checked with the code.
   */
  private async confirm(
    userId: string,
    options: { forDisable: boolean } = { forDisable: true },
  ): Answer<{ signer: Signer; factor: EnabledFactor }> {
    const signer = await readSigner(this.ctx, userId)
    if (!signer.ok) return signer
    const factor = enabledFactor(await readTwoFactor(this.ctx.db, userId))
    if (!factor) return notEnabled()
    if (options.forDisable && (await readUser(this.ctx, userId))?.role === 'admin') return mandatory()
    return { ok: true, value: { signer: signer.value, factor } }
  }

  /**
   * Checks a typed code (and the password, when the change asks for it) as ONE attempt under the
   * sign-in throttle of the account's email, and, when both are right, runs `write` with what the
   * code proves in one transaction. The attempt counts as a failure until then; only a complete
   * success forgets its address's failures, as a sign-in does. (Checking the password on its own
   * first, as a change of email does, would forget the failures of every wrong code before it, and
   * leave codes unthrottled to someone holding the session and the password.) A missing password
   * or code is VALIDATION "is required", not counted.
   */
  private async withCode<P, T>(
    signer: Signer,
    input: { password?: unknown; code: unknown; address?: string },
    prove: (typed: string, now: number) => P | null,
    write: (tx: SqlTx, now: number, proof: P) => Answer<T>,
  ): Answer<T> {
    const askPassword = 'password' in input
    const { password, code: typed } = input
    if (askPassword && (typeof password !== 'string' || password === ''))
      return invalid('password', 'is required')
    if (typeof typed !== 'string' || typed.trim() === '') return invalid('code', 'is required')
    const key = input.address === undefined ? null : clientAddressKey(input.address)
    const wait = await this.ctx.throttles.admitSignIn(signer.email, key)
    if (wait > 0) {
      return throttled(
        `too many wrong codes or passwords for this account; try again in ${describeWait(wait)}`,
        wait,
      )
    }
    if (askPassword) {
      // Bounded before hashing, as at sign-in.
      const pw = password as string
      if (pw.length > PASSWORD_MAX * 2 || !(await verifyPassword(signer.password_hash, pw))) {
        return invalid('password', 'is not your current password')
      }
    }
    const proof = typed.length > CODE_MAX ? null : prove(typed, this.ctx.clock.now())
    if (proof === null) return wrongCode()
    const done = await this.ctx.db.write(
      { name: 'twoFactorChange', locks: {}, run: (tx, now) => write(tx, now, proof) },
      this.ctx.clock,
    )
    if (done.ok) await this.ctx.throttles.signedIn(signer.email, key)
    return done
  }
}

const alreadyEnabled = (): Refusal =>
  refuse({
    code: 'TWO_FACTOR_ENABLED',
    message: 'two-factor sign-in is already on for this account: turn it off first to set it up again',
  })

/** Deletes the user's factor and recovery codes, inside the caller's transaction. */
async function deleteFactor(tx: SqlTx, userId: string): Promise<void> {
  await tx.run('delete from two_factor_recovery_codes where user_id = ?', [userId])
  await tx.run('delete from two_factor where user_id = ?', [userId])
}

/** The user's email and role, or null when there is none (or, unless `disabled` is asked for, it is disabled). */
async function readUser(
  ctx: Pick<Ctx, 'db'>,
  userId: string,
  options: { disabled?: boolean } = {},
): Promise<{ email: string; role: string } | null> {
  if (typeof userId !== 'string') return null
  const row = await ctx.db.kysely
    .selectFrom('users')
    .select(['email', 'role', 'disabled_at'])
    .where('id', '=', userId)
    .executeTakeFirst()
  if (!row || (row.disabled_at !== null && !options.disabled)) return null
  return { email: row.email, role: row.role }
}
