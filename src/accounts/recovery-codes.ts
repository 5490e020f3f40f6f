import type { SqlTx } from '../db/writer/index.ts'
import { randomCode, sha256Hex } from './tokens.ts'

// Recovery codes: the way into an account with two-factor sign-in when the phone is lost. Ten of
// them, each good once, shown when made and stored only as hashes.

/** How many codes a set has. */
export const RECOVERY_CODE_COUNT = 10
/** Three groups of four characters of the invite codes' alphabet: 60 random bits, easy to type. */
const GROUPS = 3
const GROUP_CHARS = 4

/** A new set of codes, as shown to the person (`k3m9-x2qa-7hd4`). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = randomCode(GROUPS * GROUP_CHARS)
    return Array.from({ length: GROUPS }, (_, i) => raw.slice(i * GROUP_CHARS, (i + 1) * GROUP_CHARS)).join(
      '-',
    )
  })
}

/**
 * What a person typed, as the code's canonical form (12 characters of the alphabet), or null when it
 * cannot be a recovery code. Case, spaces and dashes do not matter, and the letters the alphabet
 * leaves out for being misread are read as what they look like (i and l as 1, o as 0).
 */
export function asRecoveryCode(typed: string): string | null {
  const code = typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0')
  return /^[0-9a-hjkmnp-tv-z]{12}$/.test(code) ? code : null
}

/**
 * The stored form of a code: SHA-256 salted with the user's id. The codes are random (60 bits), so
 * a fast hash is enough against guessing; the salt makes a stolen table cost a search per user, not
 * one search for everybody's codes at once.
 */
export function recoveryCodeHash(userId: string, canonical: string): string {
  return sha256Hex(`easel-recovery:${userId}:${canonical}`)
}

/** Replaces the user's codes with `codes` (as shown), inside the caller's transaction. */
export async function replaceRecoveryCodes(
  tx: SqlTx,
  userId: string,
  codes: readonly string[],
  now: number,
): Promise<void> {
  await tx.run('delete from two_factor_recovery_codes where user_id = ?', [userId])
  for (const code of codes) {
    const canonical = asRecoveryCode(code)
    if (canonical === null) throw new Error('a new recovery code is not in its own format')
    tx.write(
      'insert into two_factor_recovery_codes (user_id, code_hash, used_at, created_at) values (?, ?, null, ?)',
      [userId, recoveryCodeHash(userId, canonical), now],
      1,
    )
  }
}

/**
 * Uses up the user's code `canonical` inside the caller's transaction: true if it was there and
 * unused (and is now used), false otherwise. A conditional update, so two requests racing with the
 * same code cannot both get through.
 */
export async function spendRecoveryCode(
  tx: SqlTx,
  userId: string,
  canonical: string,
  now: number,
): Promise<boolean> {
  const used = await tx.run(
    'update two_factor_recovery_codes set used_at = ? where user_id = ? and code_hash = ? and used_at is null',
    [now, userId, recoveryCodeHash(userId, canonical)],
  )
  return used === 1
}
