import { allowanceGrants, type PricingCatalog, periodAt } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { WriteOp } from '../db/writer/index.ts'
import { queueMail } from './mail.ts'
import { freeCreditsMail } from './notices-mails.ts'
import { placeholders, readRows } from './notices-tables.ts'

/** The `notices_sent` key of one person's "free credits are here" for one period (its start date). */
export const freeCreditsKey = (userId: string, periodKey: string): string => `free:${userId}:${periodKey}`

// Who is due "your free credits are here": a person who asked for it, whose next period has begun
// (`free_credits_due_at`, indexed), not disabled, with a verified email, and whose account's free
// credits are not held (with mail on they are, until the email is verified). Parameters: now, now.
const DUE_PEOPLE = `from notice_preferences p
  join users u on u.id = p.user_id
  join accounts a on a.id = u.account_id
  where p.free_credits_due_at is not null and p.free_credits_due_at <= ? and p.free_credits = 1
    and u.disabled_at is null and u.email_verified_at is not null
    and a.free_grants_from is not null and a.free_grants_from <= ?`

/** Up to `limit` people due their free-credits mail at `now`, longest due first. A read. */
export async function findFreeCreditsDue(db: Database, now: number, limit: number): Promise<string[]> {
  const { text, params } = freeCreditsDueQuery(now, limit)
  return (await readRows<{ user_id: string }>(db, text, params)).map((r) => r.user_id)
}

/** The search of {@link findFreeCreditsDue}, as SQL (its plan is checked in tests). */
export function freeCreditsDueQuery(now: number, limit: number): { text: string; params: unknown[] } {
  return {
    text: `select p.user_id ${DUE_PEOPLE} order by p.free_credits_due_at, p.user_id limit ?`,
    params: [now, now, limit],
  }
}

interface DuePerson {
  user_id: string
  email: string
  account_id: string
  created_at: number
  plan: string
}

/**
 * Tells these people that this period's free credits are here: as many as the book in force now
 * gives their plan, expiring as it says (the end of the period). One mail per person and period,
 * by the `free:<user id>:<period start>` row inserted (`on conflict do nothing`) in the mail's
 * transaction; a plan without an allowance gets no mail. Either way the person's next one falls
 * due at the start of their next period. Resolves to the mails queued.
 */
export function announceFreeCredits(
  userIds: readonly string[],
  pricing: PricingCatalog,
  linkBase: string,
): WriteOp<number> {
  return {
    name: 'notices-free-credits',
    locks: {},
    run: async (tx, now) => {
      if (userIds.length === 0) return 0
      const people = await tx.all<DuePerson>(
        `select p.user_id, u.email, a.id as account_id, a.created_at, a.plan ${DUE_PEOPLE}
           and p.user_id in (${placeholders(userIds.length)})
         order by p.user_id`,
        [now, now, ...userIds],
      )
      const book = pricing.bookAt(now)
      let queued = 0
      for (const person of people) {
        const createdAt = Number(person.created_at)
        const period = periodAt(createdAt, now)
        // Cohort bonuses are one-off, not this mail's news: only the plan's monthly allowance.
        const monthly = allowanceGrants(
          { id: person.account_id, createdAt, plan: person.plan, cohorts: [] },
          book,
          now,
        ).find((g) => g.source === 'monthly')
        if (monthly) {
          const inserted = await tx.run(
            `insert into notices_sent (key, user_id, kind, at) values (?, ?, 'free-credits', ?)
             on conflict (key) do nothing`,
            [freeCreditsKey(person.user_id, period.key), person.user_id, now],
          )
          if (inserted === 1) {
            const mail = freeCreditsMail({
              to: person.email,
              linkBase,
              credits: monthly.amount,
              expiresAt: monthly.expiresAt,
            })
            queueMail(tx, mail, now)
            queued++
          }
        }
        // Conditional: a person who turned the mail off meanwhile keeps it off (due_at null).
        await tx.run(
          'update notice_preferences set free_credits_due_at = ? where user_id = ? and free_credits = 1',
          [period.end, person.user_id],
        )
      }
      return queued
    },
  }
}
