import type { SqlTx } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'
import { isLive } from './burn-order.ts'
import { invariant } from './errors.ts'
import { noteMovement } from './movements.ts'
import { toSafeInteger } from './safe-integer.ts'
import type { LotAmounts } from './settlement.ts'
import type { Bucket, TransactionKind } from './types.ts'

/** One leg of a journal transaction: `amount` credits of `lotId` into (or, negative, out of) `bucket`. */
export interface Posting {
  lotId: string
  bucket: Bucket
  amount: number
}

export interface JournalEntry {
  kind: TransactionKind
  accountId: string
  now: number
  /** The size of the movement, for reading the history (postings carry the detail). */
  amount: number
  holdId?: string | null
  lotId?: string | null
  memo?: string | null
  postings: readonly Posting[]
}

/** `n` credits of each lot moved from one bucket to another: the postings for it. */
export function movePostings(entries: LotAmounts, from: Bucket, to: Bucket): Posting[] {
  const out: Posting[] = []
  for (const [lotId, amount] of entries) {
    out.push({ lotId, bucket: from, amount: -amount }, { lotId, bucket: to, amount })
  }
  return out
}

/**
 * Appends one balanced transaction to the journal. An unbalanced one is a bug in the caller and
 * crashes rather than being written.
 */
export function postTransaction(tx: SqlTx, entry: JournalEntry): string {
  invariant(entry.postings.length > 0, `${entry.kind} transaction without postings`)
  const perLot = new Map<string, number>()
  for (const p of entry.postings) {
    invariant(Number.isSafeInteger(p.amount) && p.amount !== 0, `posting amount ${p.amount} in ${entry.kind}`)
    perLot.set(p.lotId, (perLot.get(p.lotId) ?? 0) + p.amount)
  }
  // Credits move between buckets but never between lots, so every lot's legs balance on their own.
  for (const [lotId, sum] of perLot) invariant(sum === 0, `${entry.kind} postings of ${lotId} sum to ${sum}`)

  const id = newId('txn', entry.now)
  tx.write(
    'insert into journal_transactions (id, account_id, kind, created_at, amount, hold_id, lot_id, memo) values (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      id,
      entry.accountId,
      entry.kind,
      entry.now,
      entry.amount,
      entry.holdId ?? null,
      entry.lotId ?? null,
      entry.memo ?? null,
    ],
    1,
  )
  const values: unknown[] = []
  for (const [seq, p] of entry.postings.entries())
    values.push(id, seq, entry.accountId, p.lotId, p.bucket, p.amount)
  const rows = entry.postings.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')
  tx.write(
    `insert into journal_postings (transaction_id, seq, account_id, lot_id, bucket, amount) values ${rows}`,
    values,
    entry.postings.length,
  )
  noteMovement(tx, { kind: entry.kind, amount: entry.amount })
  return id
}

/**
 * Moves lots' remaining credits by the given amounts in one statement. Each lot must stay within
 * 0…amount; the database's checks and the expected row count catch any bug that would break that.
 */
export function adjustLots(tx: SqlTx, deltas: ReadonlyArray<readonly [lotId: string, delta: number]>): void {
  const net = new Map<string, number>()
  for (const [lotId, delta] of deltas) net.set(lotId, (net.get(lotId) ?? 0) + delta)
  const moves = [...net].filter(([, d]) => d !== 0)
  if (moves.length === 0) return
  const values = moves.map(() => '(cast(? as text), cast(? as bigint))').join(', ')
  // VALUES columns are called column1, column2 on both SQLite and PostgreSQL.
  tx.write(
    `update lots set remaining = lots.remaining + v.column2
     from (values ${values}) as v
     where lots.id = v.column1 and lots.remaining + v.column2 >= 0 and lots.remaining + v.column2 <= lots.amount`,
    moves.flat(),
    moves.length,
  )
}

/** Moves an account's projections; going below zero is a bug (the checks come before the writes). */
export function adjustAccount(tx: SqlTx, accountId: string, availableDelta: number, heldDelta: number): void {
  if (availableDelta === 0 && heldDelta === 0) return
  tx.write(
    'update accounts set available = available + ?, held = held + ? where id = ? and available + ? >= 0 and held + ? >= 0',
    [availableDelta, heldDelta, accountId, availableDelta, heldDelta],
    1,
  )
}

/**
 * Gives credits back to the lots they came from (out of `from`: a hold's `held`, or a capture's
 * `consumed`) in one transaction of `kind`. Credits whose lot has expired meanwhile expire at once,
 * in an `expire` transaction of their own, so that the breakage is on the record. Credits a
 * revocation is owed (`owed`) or whose purchase was refunded (`revokedLots`) leave at once, in a
 * `revoke` transaction: they were taken back while they were away from the lot.
 * @returns how many of the returned credits are spendable (their lot is still live), expired, and revoked.
 */
export function returnToLots(
  tx: SqlTx,
  args: {
    accountId: string
    entries: LotAmounts
    from: Bucket
    kind: TransactionKind
    holdId: string
    now: number
    memo?: string | null
    /** Lots whose purchase was refunded: credits coming back to them are revoked at once. */
    revokedLots?: ReadonlySet<string>
    /**
     * `lots.revoke_owed` of the lots (absent: none owed): up to that many of the credits coming back
     * to a lot are revoked at once, and the lot's debt (here and in the database) shrinks by them.
     * Updated in place, so that one map can follow several returns in one operation.
     */
    owed?: Map<string, number>
  },
): { live: number; expired: number; revoked: number } {
  const { accountId, now } = args
  const revoked = args.revokedLots ?? new Set<string>()
  if (args.entries.length === 0) return { live: 0, expired: 0, revoked: 0 }
  const entries = args.entries
  const total = entries.reduce((sum, [, amount]) => sum + amount, 0)
  postTransaction(tx, {
    kind: args.kind,
    accountId,
    now,
    amount: total,
    holdId: args.holdId,
    memo: args.memo ?? null,
    postings: movePostings(entries, args.from, 'available'),
  })
  const gone: LotAmounts = []
  const dead: LotAmounts = []
  const live: LotAmounts = []
  const paid: Array<readonly [lotId: string, credits: number]> = []
  for (const [lotId, amount, expiresAt] of entries) {
    if (revoked.has(lotId)) {
      gone.push([lotId, amount, expiresAt])
      continue
    }
    const owed = args.owed?.get(lotId) ?? 0
    const due = Math.min(amount, owed)
    if (due > 0) {
      gone.push([lotId, due, expiresAt])
      paid.push([lotId, due])
      args.owed!.set(lotId, owed - due)
    }
    const rest = amount - due
    if (rest > 0) (isLive({ expiresAt }, now) ? live : dead).push([lotId, rest, expiresAt])
  }
  const expired = recordExpiry(tx, accountId, dead, now, args.holdId)
  const left = recordRevocation(tx, accountId, gone, now, args.holdId)
  for (const [lotId, credits] of paid) reduceOwed(tx, lotId, credits)
  // Credits that came back to a dead or revoked lot left it again at once: only the live ones move it.
  adjustLots(
    tx,
    live.map(([lotId, amount]) => [lotId, amount] as const),
  )
  const back = live.reduce((sum, [, amount]) => sum + amount, 0)
  invariant(
    back + expired + left === total,
    `${args.kind}: ${back} + ${expired} + ${left} ≠ ${total} returned`,
  )
  return { live: back, expired, revoked: left }
}

/**
 * Lowers a lot's `revoke_owed` by `credits` (paid by credits coming back, cancelled by a
 * reinstatement, or forgiven because a capture spent them); below zero is a bug.
 */
export function reduceOwed(tx: SqlTx, lotId: string, credits: number): void {
  invariant(
    Number.isSafeInteger(credits) && credits > 0,
    `reducing the revoke_owed of ${lotId} by ${credits}`,
  )
  tx.write(
    'update lots set revoke_owed = revoke_owed - ? where id = ? and revoke_owed >= ?',
    [credits, lotId, credits],
    1,
  )
}

/**
 * What revocation says of these lots, for credits coming back to them: those whose purchase was
 * refunded in full (`revoked_at`), and what is owed to a revocation (`revoke_owed`, when > 0). One
 * read by primary key; lots with neither are absent.
 */
export async function readRevocations(
  tx: SqlTx,
  lotIds: readonly string[],
): Promise<{ revokedLots: Set<string>; owed: Map<string, number> }> {
  const ids = [...new Set(lotIds)]
  const revokedLots = new Set<string>()
  const owed = new Map<string, number>()
  if (ids.length === 0) return { revokedLots, owed }
  for (const r of await tx.all<{ id: string; revoked_at: unknown; revoke_owed: unknown }>(
    `select id, revoked_at, revoke_owed from lots
     where id in (${ids.map(() => '?').join(', ')}) and (revoked_at is not null or revoke_owed > 0)`,
    ids,
  )) {
    if (r.revoked_at !== null) revokedLots.add(r.id)
    const o = toSafeInteger(r.revoke_owed, `the revoke_owed of ${r.id}`)
    invariant(o >= 0, `lot ${r.id} owes ${o} credits to a revocation`)
    if (o > 0) owed.set(r.id, o)
  }
  return { revokedLots, owed }
}

/**
 * Records in the journal the expiry of these credits, whose lots are past their expiry. The caller
 * moves the lots (or, for credits that were only passing back through, does not).
 */
export function recordExpiry(
  tx: SqlTx,
  accountId: string,
  entries: LotAmounts,
  now: number,
  holdId: string | null,
): number {
  if (entries.length === 0) return 0
  const total = entries.reduce((sum, [, amount]) => sum + amount, 0)
  postTransaction(tx, {
    kind: 'expire',
    accountId,
    now,
    amount: total,
    holdId,
    lotId: entries.length === 1 ? entries[0]![0] : null,
    postings: movePostings(entries, 'available', 'expired'),
  })
  return total
}

/** Records in the journal that these credits left the account with their refunded purchase. */
export function recordRevocation(
  tx: SqlTx,
  accountId: string,
  entries: LotAmounts,
  now: number,
  holdId: string | null,
  memo: string | null = null,
): number {
  if (entries.length === 0) return 0
  const total = entries.reduce((sum, [, amount]) => sum + amount, 0)
  postTransaction(tx, {
    kind: 'revoke',
    accountId,
    now,
    amount: total,
    holdId,
    lotId: entries.length === 1 ? entries[0]![0] : null,
    memo,
    postings: movePostings(entries, 'available', 'revoked'),
  })
  return total
}

/** Expires these credits of lots past their expiry: on the record, and out of the lots. */
export function expireCredits(tx: SqlTx, accountId: string, entries: LotAmounts, now: number): number {
  const expired = recordExpiry(tx, accountId, entries, now, null)
  adjustLots(
    tx,
    entries.map(([lotId, amount]) => [lotId, -amount] as const),
  )
  return expired
}
