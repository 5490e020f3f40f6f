import { periodAt } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import { DEFAULT_NOTICE_PREFERENCES, type NoticePreferences } from './notices-tables.ts'

/**
 * Which notices each person wants (`notice_preferences`; no row: the defaults, expiry warnings on
 * and the monthly free-credits mail off).
 *
 * Turning the free-credits mail on makes it due at the start of the person's next period: the
 * credits of the period under way arrived already. Turning it off clears that; turning it on
 * again later starts over from the next period.
 */
export class NoticePreferenceStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** What `userId` chose, or the defaults. */
  async get(userId: string): Promise<NoticePreferences> {
    const row = await this.db.kysely
      .selectFrom('notice_preferences')
      .select(['expiry_warnings', 'free_credits'])
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return row ? fromRow(row) : DEFAULT_NOTICE_PREFERENCES
  }

  /** Records `userId`'s choice (both notices); resolves to it, or null when there is no such user. */
  set(userId: string, choice: NoticePreferences): Promise<NoticePreferences | null> {
    return this.db.write(
      {
        name: 'notice-preferences',
        locks: {},
        run: async (tx, now) => {
          const rows = await tx.all<{
            created_at: number
            free_credits: number | null
            due_at: number | null
          }>(
            `select a.created_at, p.free_credits, p.free_credits_due_at as due_at
             from users u join accounts a on a.id = u.account_id
             left join notice_preferences p on p.user_id = u.id
             where u.id = ?`,
            [userId],
          )
          const current = rows[0]
          if (!current) return null
          const stillOn = current.free_credits === 1 && current.due_at !== null
          const dueAt = !choice.freeCredits
            ? null
            : stillOn
              ? Number(current.due_at)
              : periodAt(Number(current.created_at), Math.max(now, Number(current.created_at))).end
          await tx.run(
            `insert into notice_preferences (user_id, expiry_warnings, free_credits, free_credits_due_at, updated_at)
             values (?, ?, ?, ?, ?)
             on conflict (user_id) do update set expiry_warnings = excluded.expiry_warnings,
               free_credits = excluded.free_credits, free_credits_due_at = excluded.free_credits_due_at,
               updated_at = excluded.updated_at`,
            [userId, choice.expiryWarnings ? 1 : 0, choice.freeCredits ? 1 : 0, dueAt, now],
          )
          return { expiryWarnings: choice.expiryWarnings, freeCredits: choice.freeCredits }
        },
      },
      this.clock,
    )
  }
}

const fromRow = (row: { expiry_warnings: number; free_credits: number }): NoticePreferences => ({
  expiryWarnings: Number(row.expiry_warnings) === 1,
  freeCredits: Number(row.free_credits) === 1,
})
