import { sql } from 'kysely'
import { TWO_FACTOR_CODE_MAX } from '../contracts/accounts.ts'
import type { Database } from '../db/open.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { asRecoveryCode, spendRecoveryCode } from './recovery-codes.ts'
import { asTotpCode, matchTotp } from './totp.ts'

// Reading a user's second factor and checking a code against it: shared by sign-in (`sessions.ts`)
// and the account's two-factor settings (`two-factor.ts`).

/** A user's `two_factor` row. */
export interface TwoFactorRow {
  /** The secret of the app in use, once enabled (stored as it is: checking a code needs it). */
  secret: string | null
  enabledAt: number | null
  /** A set-up in progress: the secret shown, not yet confirmed by a code. */
  pendingSecret: string | null
  pendingAt: number | null
  /** The step of the last code accepted: that code and older ones are refused. */
  lastStep: number | null
}

/** How many of the user's recovery codes are unused. */
export async function unusedRecoveryCodes(db: Database, userId: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from two_factor_recovery_codes where user_id = ${userId} and used_at is null`.execute(
    db.kysely,
  )
  return Number(rows[0]?.n ?? 0)
}

/** An enabled second factor: what checking a code needs. */
export interface EnabledFactor {
  secret: string
  lastStep: number | null
}

/** The longest code worth looking at (the contract's bound, for callers other than HTTP). */
export const CODE_MAX = TWO_FACTOR_CODE_MAX

export async function readTwoFactor(db: Database, userId: string): Promise<TwoFactorRow | null> {
  const { rows } = await sql<{
    secret: string | null
    enabled_at: number | string | null
    pending_secret: string | null
    pending_at: number | string | null
    last_step: number | string | null
  }>`select secret, enabled_at, pending_secret, pending_at, last_step from two_factor where user_id = ${userId}`.execute(
    db.kysely,
  )
  const row = rows[0]
  if (!row) return null
  return {
    secret: row.secret,
    enabledAt: time(row.enabled_at),
    pendingSecret: row.pending_secret,
    pendingAt: time(row.pending_at),
    lastStep: time(row.last_step),
  }
}

/** The user's enabled second factor, or null when two-factor sign-in is off for them. */
export function enabledFactor(row: TwoFactorRow | null): EnabledFactor | null {
  if (!row || row.enabledAt === null || row.secret === null) return null
  return { secret: row.secret, lastStep: row.lastStep }
}

/**
 * What a typed code could prove, before it is used up: a TOTP code of an accepted step, or the
 * canonical form of a recovery code (whether it is one of the user's unused ones is known only when
 * {@link spendProof} tries to use it up). Null when it is neither.
 */
export type Proof = { kind: 'totp'; step: number } | { kind: 'recovery'; code: string }

export function proofOf(factor: EnabledFactor, typed: unknown, now: number): Proof | null {
  if (typeof typed !== 'string' || typed.length > CODE_MAX) return null
  const totp = asTotpCode(typed)
  if (totp !== null) {
    const step = matchTotp(factor.secret, totp, now, factor.lastStep)
    return step === null ? null : { kind: 'totp', step }
  }
  const recovery = asRecoveryCode(typed)
  return recovery === null ? null : { kind: 'recovery', code: recovery }
}

/**
 * Uses up a proof inside the caller's transaction, before the transaction writes anything else:
 * records the TOTP step (only if it is still later than the last one, so two requests racing with
 * the same code cannot both pass) or marks the recovery code used. False when it no longer holds —
 * nothing was written then, and the caller refuses.
 */
export async function spendProof(tx: SqlTx, userId: string, proof: Proof, now: number): Promise<boolean> {
  if (proof.kind === 'recovery') return spendRecoveryCode(tx, userId, proof.code, now)
  const changed = await tx.run(
    `update two_factor set last_step = ?
     where user_id = ? and enabled_at is not null and (last_step is null or last_step < ?)`,
    [proof.step, userId, proof.step],
  )
  return changed === 1
}

function time(value: number | string | null): number | null {
  if (value === null) return null
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new Error(`not a time: ${value}`)
  return n
}
