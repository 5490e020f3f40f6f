import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'

/**
 * Tables of a person's own settings and history that other features keep (two-factor sign-in and
 * mail notices), each keyed by `user_id`: deleting an account deletes the person's rows in all of
 * them. A feature that adds such a table adds it here (the deletion test seeds a row in each).
 */
export const PERSONAL_TABLES = [
  'two_factor',
  'two_factor_recovery_codes',
  'notice_preferences',
  'notices_sent',
] as const satisfies ReadonlyArray<keyof DB>

export type PersonalTable = (typeof PERSONAL_TABLES)[number]

/** Whether the person has two-factor sign-in on (a set-up in progress does not count). */
export async function twoFactorEnabled(kysely: Kysely<DB>, userId: string): Promise<boolean> {
  const row = await kysely
    .selectFrom('two_factor')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .executeTakeFirst()
  return row !== undefined
}
