import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.ts'
import { LedgerInvariantError } from './errors.ts'
import { parseAllocations } from './ops/sweep.ts'
import { inSnapshot } from './queries.ts'
import { toSafeInteger } from './safe-integer.ts'
import type { Allocation } from './types.ts'

export interface Violation {
  /** The number of the invariant in DESIGN.md §3. */
  invariant: 1 | 2 | 3 | 4 | 5 | 6 | 7
  /** The object it concerns: a transaction, lot, account or hold id, or `installation`. */
  subject: string
  message: string
}

export interface VerifyReport {
  ok: boolean
  violations: Violation[]
  checked: { accounts: number; lots: number; holds: number; transactions: number; postings: number }
  /** Lots past their expiry whose credits a sweep has not recorded yet (not a violation: they are unspendable). */
  awaitingExpirySweep: number
}

/** A figure of the database (a column, a sum, a count), checked; null is an empty sum's 0. */
const n = (v: unknown): number => toSafeInteger(v ?? 0, 'a figure read by verify')

/**
 * Checks every invariant of DESIGN.md §3 over the whole database, from one consistent snapshot,
 * recomputing the stored projections from the journal. Lists each violation; changes nothing.
 * (Invariant 4, one effect per idempotency key, is held by the key's primary key and the key row
 * being written in the same transaction as the effect; here we check the rows are well formed.)
 */
export async function verifyLedger(db: Kysely<DB>, now: number): Promise<VerifyReport> {
  return inSnapshot(db, async (trx) => {
    const violations: Violation[] = []
    const add = (invariant: Violation['invariant'], subject: string, message: string) =>
      violations.push({ invariant, subject, message })
    const rows = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(trx)).rows

    // 1. Every transaction sums to zero (per lot, too: credits never jump between lots), has postings,
    //    and every posting belongs to a transaction.
    for (const r of await rows<{ transaction_id: string; lot_id: string; total: unknown }>(
      sql`select transaction_id, lot_id, sum(amount) as total from journal_postings
          group by transaction_id, lot_id having sum(amount) <> 0`,
    )) {
      add(1, r.transaction_id, `postings of lot ${r.lot_id} sum to ${n(r.total)}, not 0`)
    }
    for (const r of await rows<{ id: string }>(
      sql`select t.id from journal_transactions t
          where not exists (select 1 from journal_postings p where p.transaction_id = t.id)`,
    )) {
      add(1, r.id, 'transaction has no postings')
    }
    for (const r of await rows<{ transaction_id: string }>(
      sql`select distinct p.transaction_id from journal_postings p
          left join journal_transactions t on t.id = p.transaction_id where t.id is null`,
    )) {
      add(1, r.transaction_id, 'postings without a transaction')
    }

    // 2. Every lot: 0 ≤ remaining ≤ amount, remaining and amount as the journal says. Compared in
    //    SQL, so that a large installation sends back only what is wrong.
    for (const l of await rows<{
      id: string
      amount: unknown
      remaining: unknown
      issued: unknown
      available: unknown
    }>(
      sql`select id, amount, remaining, issued, available from (
            select l.id, l.amount, l.remaining,
              coalesce(sum(case when p.bucket = 'issued' then p.amount end), 0) as issued,
              coalesce(sum(case when p.bucket = 'available' then p.amount end), 0) as available
            from lots l left join journal_postings p on p.lot_id = l.id
            group by l.id, l.amount, l.remaining
          ) x
          where remaining < 0 or remaining > amount or remaining <> available or amount <> -issued`,
    )) {
      const amount = n(l.amount)
      const remaining = n(l.remaining)
      if (remaining < 0 || remaining > amount) add(2, l.id, `remaining ${remaining} outside 0…${amount}`)
      if (remaining !== n(l.available))
        add(2, l.id, `remaining is ${remaining} but the journal says ${n(l.available)}`)
      if (amount !== -n(l.issued)) add(2, l.id, `amount is ${amount} but the journal issued ${-n(l.issued)}`)
    }
    for (const r of await rows<{ lot_id: string }>(
      sql`select distinct p.lot_id from journal_postings p left join lots l on l.id = p.lot_id where l.id is null`,
    )) {
      add(2, r.lot_id, 'postings for a lot that does not exist')
    }

    // 5. Holds: each ends captured or released; amounts consistent; held credits match the journal.
    for (const h of await rows<{
      id: string
      status: string
      amount: unknown
      captured: unknown
      refunded: unknown
    }>(
      sql`select id, status, amount, captured, refunded from holds
          where (status = 'pending' and (captured <> 0 or refunded <> 0))
             or (status = 'captured' and (captured < 1 or captured > amount or refunded < 0 or refunded > captured))
             or (status in ('released', 'expired') and (captured <> 0 or refunded <> 0))`,
    )) {
      const [amount, captured, refunded] = [n(h.amount), n(h.captured), n(h.refunded)]
      if (h.status === 'pending') add(5, h.id, 'pending hold with captured or refunded credits')
      else if (h.status === 'captured') {
        if (captured < 1 || captured > amount) add(5, h.id, `captured ${captured} of a hold of ${amount}`)
        if (refunded < 0 || refunded > captured) add(5, h.id, `refunded ${refunded} of ${captured} captured`)
      } else add(5, h.id, `${h.status} hold charged ${captured} credits`)
    }
    // Allocations are JSON, so they are checked here, a page of holds at a time.
    const pendingHeld = new Map<string, number>()
    const heldByAccount = new Map<string, number>()
    for (let after = ''; ; ) {
      const page = await trx
        .selectFrom('holds')
        .select(['id', 'account_id', 'status', 'amount', 'allocations'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(10_000)
        .execute()
      for (const h of page) {
        const pending = h.status === 'pending'
        if (pending) heldByAccount.set(h.account_id, (heldByAccount.get(h.account_id) ?? 0) + h.amount)
        let allocations: Allocation[]
        try {
          allocations = parseAllocations(h.allocations, h.id)
        } catch (error) {
          // A corrupted row is what verify is for: reported with the rest, not thrown.
          if (!(error instanceof LedgerInvariantError)) throw error
          add(5, h.id, error.message)
          continue
        }
        const allocated = allocations.reduce((s, [, a]) => s + a, 0)
        if (allocated !== h.amount) add(5, h.id, `allocations add up to ${allocated}, not ${h.amount}`)
        if (!pending) continue
        for (const [lotId, amount] of allocations)
          pendingHeld.set(lotId, (pendingHeld.get(lotId) ?? 0) + amount)
      }
      if (page.length < 10_000) break
      after = page[page.length - 1]!.id
    }
    const heldByLot = new Map<string, number>()
    for (const r of await rows<{ lot_id: string; held: unknown }>(
      sql`select lot_id, sum(amount) as held from journal_postings where bucket = 'held'
          group by lot_id having sum(amount) <> 0`,
    )) {
      heldByLot.set(r.lot_id, n(r.held))
    }
    for (const lotId of pendingHeld.keys()) if (!heldByLot.has(lotId)) heldByLot.set(lotId, 0)
    for (const [lotId, held] of heldByLot) {
      const expected = pendingHeld.get(lotId) ?? 0
      if (held !== expected)
        add(5, lotId, `journal holds ${held} credits of this lot, pending holds ${expected}`)
    }
    // Credits a revocation is owed are credits of the lot on pending holds: never more, never < 0.
    for (const r of await rows<{ id: string; revoke_owed: unknown }>(
      sql`select id, revoke_owed from lots where revoke_owed <> 0`,
    )) {
      const owed = n(r.revoke_owed)
      const held = pendingHeld.get(r.id) ?? 0
      if (owed < 0 || owed > held) add(5, r.id, `owes ${owed} revoked credits, ${held} are on pending holds`)
    }
    // Every hold, including those the journal never charged (hence the left join), compared in SQL
    // so that a large installation sends back only the mismatches.
    for (const r of await rows<{ id: string; captured: unknown; refunded: unknown; consumed: unknown }>(
      sql`select h.id, h.captured, h.refunded, coalesce(c.consumed, 0) as consumed
          from holds h left join (
            select t.hold_id, sum(p.amount) as consumed
            from journal_transactions t
            join journal_postings p on p.transaction_id = t.id and p.bucket = 'consumed'
            where t.hold_id is not null
            group by t.hold_id
          ) c on c.hold_id = h.id
          where coalesce(c.consumed, 0) <> h.captured - h.refunded`,
    )) {
      add(5, r.id, `journal consumed ${n(r.consumed)}, hold says ${n(r.captured) - n(r.refunded)}`)
    }

    // 3. and 7. Accounts: projections match lots and holds, never negative; credits conserved.
    const accounts = await rows<{
      id: string
      available: unknown
      held: unknown
      lots_remaining: unknown
      lots_amount: unknown
    }>(
      sql`select a.id, a.available, a.held,
            coalesce((select sum(l.remaining) from lots l where l.account_id = a.id), 0) as lots_remaining,
            coalesce((select sum(l.amount) from lots l where l.account_id = a.id), 0) as lots_amount
          from accounts a`,
    )
    const buckets = new Map<string, Record<string, number>>()
    for (const r of await rows<{ account_id: string; bucket: string; total: unknown }>(
      sql`select account_id, bucket, sum(amount) as total from journal_postings group by account_id, bucket`,
    )) {
      const b = buckets.get(r.account_id) ?? {}
      b[r.bucket] = n(r.total)
      buckets.set(r.account_id, b)
    }
    for (const a of accounts) {
      const available = n(a.available)
      const held = n(a.held)
      if (available < 0) add(3, a.id, `available balance is ${available}`)
      if (held < 0) add(3, a.id, `held balance is ${held}`)
      if (available !== n(a.lots_remaining))
        add(3, a.id, `available is ${available}, its lots hold ${n(a.lots_remaining)}`)
      const pending = heldByAccount.get(a.id) ?? 0
      if (held !== pending) add(5, a.id, `held is ${held}, its pending holds ${pending}`)
      const b = buckets.get(a.id) ?? {}
      const granted = -(b.issued ?? 0)
      const accounted =
        (b.available ?? 0) + (b.held ?? 0) + (b.consumed ?? 0) + (b.expired ?? 0) + (b.revoked ?? 0)
      if (granted !== accounted)
        add(7, a.id, `granted ${granted} ≠ available+held+consumed+expired+revoked ${accounted}`)
      if (granted !== n(a.lots_amount))
        add(7, a.id, `journal granted ${granted}, lots were granted ${n(a.lots_amount)}`)
      if ((b.available ?? 0) !== available)
        add(7, a.id, `journal available ${b.available ?? 0}, stored ${available}`)
      if ((b.held ?? 0) !== held) add(7, a.id, `journal held ${b.held ?? 0}, stored ${held}`)
    }

    // 7 (per lot). A reinstatement gives back only what was revoked, from `revoked` to `available`.
    for (const r of await rows<{ lot_id: string; total: unknown }>(
      sql`select lot_id, sum(amount) as total from journal_postings where bucket = 'revoked'
          group by lot_id having sum(amount) < 0`,
    )) {
      add(7, r.lot_id, `${-n(r.total)} credits more reinstated than revoked`)
    }
    for (const r of await rows<{ id: string }>(
      sql`select distinct t.id from journal_transactions t
          join journal_postings p on p.transaction_id = t.id
          where t.kind = 'reinstate'
            and not ((p.bucket = 'revoked' and p.amount < 0) or (p.bucket = 'available' and p.amount > 0))`,
    )) {
      add(7, r.id, 'reinstatement moves credits other than revoked → available')
    }

    // 6. Expired credits are never spent: no hold took from a lot past its expiry; expiries happen
    //    only at or after the lot's expiry.
    for (const r of await rows<{ transaction_id: string; lot_id: string }>(
      sql`select t.id as transaction_id, l.id as lot_id from journal_transactions t
          join journal_postings p on p.transaction_id = t.id
          join lots l on l.id = p.lot_id
          where t.kind = 'hold' and p.bucket = 'held' and l.expires_at is not null and l.expires_at <= t.created_at`,
    )) {
      add(6, r.transaction_id, `held credits of lot ${r.lot_id} after it expired`)
    }
    for (const r of await rows<{ transaction_id: string; lot_id: string }>(
      sql`select t.id as transaction_id, l.id as lot_id from journal_transactions t
          join journal_postings p on p.transaction_id = t.id
          join lots l on l.id = p.lot_id
          where p.bucket = 'expired' and (l.expires_at is null or l.expires_at > t.created_at)`,
    )) {
      add(6, r.transaction_id, `expired credits of lot ${r.lot_id} before its expiry`)
    }

    // 4. Idempotency rows are well formed (uniqueness is the primary key's).
    for (const r of await rows<{ key: string; response: string }>(
      sql`select key, response from idempotency_keys`,
    )) {
      try {
        JSON.parse(r.response)
      } catch {
        add(4, r.key, 'stored answer is not readable')
      }
    }

    const [counts] = await rows<Record<string, unknown>>(
      sql`select (select count(*) from accounts) as accounts, (select count(*) from lots) as lots,
                 (select count(*) from holds) as holds, (select count(*) from journal_transactions) as transactions,
                 (select count(*) from journal_postings) as postings,
                 (select count(*) from lots where remaining > 0 and expires_at is not null and expires_at <= ${now}) as awaiting`,
    )
    return {
      ok: violations.length === 0,
      violations,
      checked: {
        accounts: n(counts?.accounts),
        lots: n(counts?.lots),
        holds: n(counts?.holds),
        transactions: n(counts?.transactions),
        postings: n(counts?.postings),
      },
      awaitingExpirySweep: n(counts?.awaiting),
    }
  })
}
