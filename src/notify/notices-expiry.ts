import type { Database } from '../db/open.ts'
import type { WriteOp } from '../db/writer/index.ts'
import { queueMail } from './mail.ts'
import { type ExpiringCredits, expiryWarningMail } from './notices-mails.ts'
import { placeholders, readRows } from './notices-tables.ts'

/** How far ahead of their expiry bought credits are warned about. */
export const EXPIRY_WARNING_MS = 7 * 86_400_000

/** The `notices_sent` key of the warning about one grant (a lot): each is warned about once. */
export const expiryKey = (lotId: string): string => `expiry:${lotId}`

// Who is due a warning: a person, not disabled, who has not turned warnings off, holding credits
// they bought (remaining > 0, not revoked) that expire within the week and that no warning has
// named yet. `remaining > 0 and expires_at is not null` repeats the condition of the partial index
// lots_expiring, so the search is a range over the lots that expire this week, not over everyone.
// Parameters: now, now + a week.
const DUE_LOTS = `from lots l
  join users u on u.account_id = l.account_id
  left join notice_preferences p on p.user_id = u.id
  where l.remaining > 0 and l.expires_at is not null
    and l.expires_at > ? and l.expires_at <= ?
    and l.source = 'purchase' and l.revoked_at is null
    and u.disabled_at is null and (p.expiry_warnings is null or p.expiry_warnings = 1)
    and not exists (select 1 from notices_sent n where n.key = 'expiry:' || l.id)`

/**
 * Up to `limit` people due an expiry warning at `now`, soonest expiry first. A read (no lock, no
 * write): an hourly run with nothing due costs this one indexed query.
 */
export async function findExpiryDue(db: Database, now: number, limit: number): Promise<string[]> {
  const { text, params } = expiryDueQuery(now, limit)
  return (await readRows<{ user_id: string }>(db, text, params)).map((r) => r.user_id)
}

/** The search of {@link findExpiryDue}, as SQL (its plan is checked in tests). */
export function expiryDueQuery(now: number, limit: number): { text: string; params: unknown[] } {
  return {
    text: `select u.id as user_id ${DUE_LOTS} group by u.id order by min(l.expires_at), u.id limit ?`,
    params: [now, now + EXPIRY_WARNING_MS, limit],
  }
}

interface DueLot {
  id: string
  remaining: number
  expires_at: number
  user_id: string
  email: string
}

/**
 * Warns these people about their credits that expire within the week: one mail each, listing
 * every grant not warned about yet (grants expiring at one moment counted together), with links
 * on `linkBase`. Each grant's `expiry:<lot id>` row is inserted with `on conflict do nothing` in
 * the transaction that queues the mail, and the mail lists only the grants whose row this
 * transaction wrote: a run racing another (in this process or another) mails nothing the other
 * did, and no grant is warned about twice. Resolves to the mails queued.
 */
export function warnExpiring(userIds: readonly string[], linkBase: string): WriteOp<number> {
  return {
    name: 'notices-expiry',
    locks: {},
    run: async (tx, now) => {
      if (userIds.length === 0) return 0
      // Read again inside the transaction: the search was a snapshot, and credits spent, warnings
      // turned off or users disabled since must count.
      const lots = await tx.all<DueLot>(
        `select l.id, l.remaining, l.expires_at, u.id as user_id, u.email ${DUE_LOTS}
           and u.id in (${placeholders(userIds.length)})
         order by u.id, l.expires_at, l.id`,
        [now, now + EXPIRY_WARNING_MS, ...userIds],
      )
      if (lots.length === 0) return 0
      const inserted = await tx.all<{ key: string }>(
        `insert into notices_sent (key, user_id, kind, at)
         values ${lots.map(() => "(?, ?, 'credits-expiring', ?)").join(', ')}
         on conflict (key) do nothing returning key`,
        lots.flatMap((l) => [expiryKey(l.id), l.user_id, now]),
      )
      const mine = new Set(inserted.map((r) => r.key))
      const people = byPerson(lots.filter((l) => mine.has(expiryKey(l.id))))
      for (const person of people) {
        queueMail(tx, expiryWarningMail({ to: person.email, linkBase, expiring: person.expiring }), now)
      }
      return people.length
    },
  }
}

/** Each person's lots (rows sorted by person, then expiry) as one mail lists them. */
function byPerson(lots: readonly DueLot[]): Array<{ email: string; expiring: ExpiringCredits[] }> {
  const people: Array<{ userId: string; email: string; expiring: ExpiringCredits[] }> = []
  for (const lot of lots) {
    let person = people.at(-1)
    if (person?.userId !== lot.user_id) {
      person = { userId: lot.user_id, email: lot.email, expiring: [] }
      people.push(person)
    }
    const credits = Number(lot.remaining)
    const expiresAt = Number(lot.expires_at)
    const last = person.expiring.at(-1)
    if (last?.expiresAt === expiresAt)
      person.expiring[person.expiring.length - 1] = { credits: last.credits + credits, expiresAt }
    else person.expiring.push({ credits, expiresAt })
  }
  return people
}
