import { CompiledQuery } from 'kysely'
import type { Database } from '../db/open.ts'
import type { NoticesSentTable } from '../db/schema.ts'

// What the notices share: the kinds, the defaults, and how their SQL is read. The tables' types
// (notice_preferences, notices_sent) are in src/db/schema.ts.

/** What a notice is about: the `kind` of its `notices_sent` row and of its mail. */
export type NoticeKind = NoticesSentTable['kind']

/** A person's choice of notices. */
export interface NoticePreferences {
  /** Warn a week before credits they bought expire. */
  readonly expiryWarnings: boolean
  /** Mail them when their monthly free credits arrive. */
  readonly freeCredits: boolean
}

/** Warnings about money spent are on unless turned off; the monthly mail is asked for. */
export const DEFAULT_NOTICE_PREFERENCES: NoticePreferences = { expiryWarnings: true, freeCredits: false }

/** `?, ?, ?` for `n` values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ')

/**
 * Rows of a read written with `?` placeholders, as the write layer's statements are, run on the
 * database's read side: the search for what is due and the transaction that sends it state their
 * conditions once, in one SQL text.
 */
export async function readRows<T>(db: Database, text: string, params: readonly unknown[]): Promise<T[]> {
  let i = 0
  const dialectText = db.dialect === 'postgres' ? text.replace(/\?/g, () => `$${++i}`) : text
  const result = await db.kysely.executeQuery<T>(CompiledQuery.raw(dialectText, [...params]))
  return [...result.rows]
}
