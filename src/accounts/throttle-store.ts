import type { Database } from '../db/open.ts'
import { type SqlTx, type WriteOp, writeAlone } from '../db/writer/index.ts'
import type { Clock } from '../util/clock.ts'
import {
  PASSWORD_RESET_POLICY,
  type PasswordResetPolicy,
  SIGN_IN_POLICY,
  SIGN_UP_MAIL_POLICY,
  SIGN_UP_POLICY,
  type SignInPolicy,
  type SignUpPolicy,
  signInWaitMs,
  signUpWaitMs,
  VERIFICATION_RESEND_POLICY,
} from './throttle.ts'
import { sha256Hex } from './tokens.ts'

/** Old rows are deleted at most this often per process (and by one process at a time). */
const PRUNE_EVERY_MS = 60_000
const PRUNE_LOCK = 'easel:accounts-throttle-prune'

/**
 * The memory of the sign-in throttle, the sign-up limit and the password-reset limit (rules in
 * `throttle.ts`), kept in the database so that every Easel process sharing it applies the same
 * counts.
 *
 * Each decision is one short transaction that serializes with the others on the same key, and
 * writes its record (the attempt counted as a failure, the sign-up counted) with the decision, so
 * twenty attempts sent at once are counted one after another and only the allowance gets through.
 * On SQLite it runs through the database's group commit, whose `begin immediate` holds the
 * database's one write lock (and a second write path in the process would block the event loop). On
 * PostgreSQL it runs in a transaction of its own under advisory locks on its keys, taken in sorted
 * order, so two decisions never wait on each other in a cycle, and a ledger batch never waits on a
 * sign-in.
 *
 * The `sign_ups` table is the store's sliding-window counter: one row per counted event, by key. A
 * sign-up's key is its bare client address (as it always was); the other limits' keys are prefixed
 * (`password-reset:address:…`, `password-reset:email:<sha256>`, `sign-up-mail:<sha256>`,
 * `verify-email:user:…`), so they never meet.
 */
export class ThrottleStore {
  private lastPruneAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly signIn: SignInPolicy = SIGN_IN_POLICY,
    readonly signUp: SignUpPolicy = SIGN_UP_POLICY,
    readonly passwordReset: PasswordResetPolicy = PASSWORD_RESET_POLICY,
    readonly verificationResend: SignUpPolicy = VERIFICATION_RESEND_POLICY,
  ) {}

  /**
   * Whether an attempt to sign in as `email` (as tried: normalized, or the raw text of a malformed
   * one) from `address` may be checked now. Returns 0 after recording it as a failure — which
   * {@link signedIn} takes back when the password turns out right — or the wait in milliseconds,
   * recording nothing. A caller without an address is never on a familiar one.
   */
  async admitSignIn(email: string, address: string | null): Promise<number> {
    const emailHash = sha256Hex(email)
    const own = address ?? ''
    const wait = await this.decide(`sign-in:${emailHash}`, async (tx, now) => {
      const [tally] = await tx.all<{
        email_failures: number | string
        email_last: number | string | null
        own_failures: number | string
        own_last: number | string | null
      }>(
        `select count(*) as email_failures, max(at) as email_last,
           coalesce(sum(case when address = ? then 1 else 0 end), 0) as own_failures,
           max(case when address = ? then at end) as own_last
         from sign_in_failures where email_hash = ? and at > ?`,
        [own, own, emailHash, now - this.signIn.windowMs],
      )
      const familiar =
        address !== null &&
        (
          await tx.all(
            'select 1 from sign_in_addresses where email_hash = ? and address = ? and signed_in_at > ?',
            [emailHash, address, now - this.signIn.familiarForMs],
          )
        ).length > 0
      const wait = signInWaitMs(
        {
          now,
          email: { failures: count(tally!.email_failures), lastAt: time(tally!.email_last) },
          own: { failures: count(tally!.own_failures), lastAt: time(tally!.own_last) },
          familiar,
        },
        this.signIn,
      )
      if (wait > 0) return wait
      await tx.run('insert into sign_in_failures (email_hash, address, at) values (?, ?, ?)', [
        emailHash,
        own,
        now,
      ])
      return 0
    })
    if (wait === 0) await this.prune()
    return wait
  }

  /**
   * A sign-in as `email` from `address` succeeded: that address's failures for it are forgotten
   * (the attempt just admitted among them), and the address becomes familiar to the email.
   * Failures from other addresses stay (see `throttle.ts`).
   */
  async signedIn(email: string, address: string | null): Promise<void> {
    const emailHash = sha256Hex(email)
    await this.decide(`sign-in:${emailHash}`, async (tx, now) => {
      // Only rows inside the window: older ones are the pruner's to delete.
      await tx.run('delete from sign_in_failures where email_hash = ? and address = ? and at > ?', [
        emailHash,
        address ?? '',
        now - this.signIn.windowMs,
      ])
      if (address === null) return
      await tx.run(
        `insert into sign_in_addresses (email_hash, address, signed_in_at) values (?, ?, ?)
         on conflict (email_hash, address) do update set signed_in_at = excluded.signed_in_at`,
        [emailHash, address, now],
      )
    })
  }

  /**
   * Whether a sign-up from `address` may go ahead: 0 after counting it, or the wait in milliseconds
   * until one of the address's sign-ups in the window slides out of it, counting nothing.
   */
  async admitSignUp(address: string): Promise<number> {
    const wait = await this.decide(`sign-up:${address}`, async (tx, now) => {
      const rows = await tx.all<{ at: number | string }>(
        'select at from sign_ups where address = ? and at > ? order by at',
        [address, now - this.signUp.windowMs],
      )
      const wait = signUpWaitMs(
        rows.map((r) => count(r.at)),
        now,
        this.signUp,
      )
      if (wait > 0) return wait
      await tx.run('insert into sign_ups (address, at) values (?, ?)', [address, now])
      return 0
    })
    if (wait === 0) await this.prune()
    return wait
  }

  /**
   * Whether a password reset for `email` (normalized) from `address` may go ahead. When it may, both
   * counts are taken and `work` runs in the same transaction, so the decision, the counts and what
   * the reset writes (its token, its mail) commit together, in one commit whether or not the email
   * has an account: the answer's timing does not depend on it. When it may not, nothing is counted
   * or run, and the answer is the wait in milliseconds.
   */
  async admitPasswordReset<T>(
    input: { email: string; address: string | null },
    work: (tx: SqlTx, now: number) => Promise<T>,
  ): Promise<Admitted<T>> {
    return this.admitWindows(
      [
        { key: `password-reset:email:${sha256Hex(input.email)}`, policy: this.passwordReset.perEmail },
        ...(input.address === null
          ? []
          : [{ key: `password-reset:address:${input.address}`, policy: this.passwordReset.perAddress }]),
      ],
      work,
    )
  }

  /**
   * Whether the user may have their verification link sent again now; when they may, it is counted
   * and `work` (the new token and its mail) runs in the same transaction, as for a password reset.
   */
  admitVerificationResend<T>(
    userId: string,
    work: (tx: SqlTx, now: number) => Promise<T>,
  ): Promise<Admitted<T>> {
    return this.admitWindows([{ key: `verify-email:user:${userId}`, policy: this.verificationResend }], work)
  }

  /** Counts one event in each window and runs `work`, in one transaction; or the longest wait. */
  private async admitWindows<T>(
    windows: ReadonlyArray<{ key: string; policy: SignUpPolicy }>,
    work: (tx: SqlTx, now: number) => Promise<T>,
  ): Promise<Admitted<T>> {
    const answer = await this.decide(
      windows.map((w) => w.key),
      async (tx, now): Promise<Admitted<T>> => {
        let wait = 0
        for (const w of windows) wait = Math.max(wait, await windowWait(tx, w.key, w.policy, now))
        if (wait > 0) return { wait }
        for (const w of windows) {
          await tx.run('insert into sign_ups (address, at) values (?, ?)', [w.key, now])
        }
        return { wait: 0, value: await work(tx, now) }
      },
    )
    if (answer.wait === 0) await this.prune()
    return answer
  }

  /**
   * Runs `work` in a transaction that holds the locks on `keys` (taken in sorted order), with the
   * time read under the locks.
   */
  private decide<T>(
    keys: string | readonly string[],
    work: (tx: SqlTx, now: number) => Promise<T>,
  ): Promise<T> {
    const sorted = [...new Set(typeof keys === 'string' ? [keys] : keys)].sort()
    const op: WriteOp<T> = {
      name: 'throttle',
      locks: {},
      run: async (tx) => {
        if (tx.dialect === 'postgres') {
          for (const key of sorted) {
            await tx.all('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key])
          }
        }
        return work(tx, this.clock.now())
      },
    }
    return this.write(op)
  }

  /** On PostgreSQL a transaction of its own, never in (or waiting for) a batch; on SQLite, group commit. */
  private write<T>(op: WriteOp<T>): Promise<T> {
    return this.db.dialect === 'postgres'
      ? writeAlone(this.db.writePool, op, this.clock)
      : this.db.write(op, this.clock)
  }

  /**
   * Deletes what no longer counts, so the tables hold about a day of failures, a month of familiar
   * addresses and an hour of sign-ups. On PostgreSQL one process prunes at a time (the others skip).
   */
  private async prune(): Promise<void> {
    const now = this.clock.now()
    if (now >= this.lastPruneAt && now < this.lastPruneAt + PRUNE_EVERY_MS) return
    this.lastPruneAt = now
    const op: WriteOp<void> = {
      name: 'pruneThrottles',
      locks: {},
      run: async (tx) => {
        if (tx.dialect === 'postgres') {
          const [lock] = await tx.all<{ got: boolean }>(
            'select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as got',
            [PRUNE_LOCK],
          )
          if (!lock?.got) return
        }
        await tx.run('delete from sign_in_failures where at <= ?', [now - this.signIn.windowMs])
        await tx.run('delete from sign_in_addresses where signed_in_at <= ?', [
          now - this.signIn.familiarForMs,
        ])
        const longest = Math.max(
          this.signUp.windowMs,
          this.passwordReset.perAddress.windowMs,
          this.passwordReset.perEmail.windowMs,
          this.verificationResend.windowMs,
          SIGN_UP_MAIL_POLICY.windowMs,
        )
        await tx.run('delete from sign_ups where at <= ?', [now - longest])
      },
    }
    await this.write(op)
  }
}

/** A decision that let the work run (`wait` 0, with its value), or the wait in milliseconds. */
export type Admitted<T> = { wait: number; value?: undefined } | { wait: 0; value: T }

/** How long the next event of `key` must wait under `policy`, from the events still in its window. */
async function windowWait(tx: SqlTx, key: string, policy: SignUpPolicy, now: number): Promise<number> {
  const rows = await tx.all<{ at: number | string }>(
    'select at from sign_ups where address = ? and at > ? order by at',
    [key, now - policy.windowMs],
  )
  return signUpWaitMs(
    rows.map((r) => count(r.at)),
    now,
    policy,
  )
}

/**
 * Counts a sign-up mail to `email` (normalized) inside the caller's transaction (the sign-up's own,
 * whichever it is) and says whether it may be sent: false once the address has had
 * {@link SIGN_UP_MAIL_POLICY}'s mails in the window. Counted whether or not it may, and for known
 * and unknown addresses alike, so both kinds of sign-up run the same statements. Not serialized
 * like the store's own decisions: two sign-ups for one address at the same instant may both send,
 * which bounds a flood just as well.
 */
export async function admitSignUpMail(tx: SqlTx, email: string, now: number): Promise<boolean> {
  const key = `sign-up-mail:${sha256Hex(email)}`
  const wait = await windowWait(tx, key, SIGN_UP_MAIL_POLICY, now)
  await tx.run('insert into sign_ups (address, at) values (?, ?)', [key, now])
  return wait === 0
}

/** An aggregate as a number: `count` and `sum` may come back as text from some drivers. */
function count(value: number | string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a count: ${value}`)
  return n
}

function time(value: number | string | null): number | null {
  return value === null ? null : count(value)
}
