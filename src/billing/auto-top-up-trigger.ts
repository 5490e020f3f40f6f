import { createHash } from 'node:crypto'
import type { Ledger } from '../credits/index.ts'
import { packPrice } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'
import { declineTopUp } from './auto-top-up-events.ts'
import { clearBelow, markBelow, readTopUp, type TopUpRow, turnOff, utcDayStart } from './auto-top-up-store.ts'
import type { HostedCheckoutProvider } from './provider.ts'

/** What the trigger works with. */
export interface TopUpDeps {
  db: Database
  ledger: Ledger
  /** The hosted provider that keeps cards; null: no auto top-up here (the notice still works). */
  provider: HostedCheckoutProvider | null
  linkBase: string
  maxPerDay: number
}

/**
 * How long a claimed top-up may go without an answer from the provider before the next trigger
 * asks again. A claim with no payment after this long means the process stopped (or the request
 * hung) between the claim and the provider's answer: asking again with the same idempotency key
 * is the same payment, never a second one (Stripe keeps keys for 24 hours). A claim whose payment
 * is known (processing) is not asked again: its event settles it, or `billing reconcile` does.
 */
export const STALE_CLAIM_MS = 60 * 60 * 1000

/** What one trigger did: the top-up it started (with what the provider answered) and the mail. */
export interface TriggerOutcome {
  topUp: { reference: string; status: 'succeeded' | 'processing' | 'declined' } | null
  mailed: boolean
}

/** The top-up a trigger claimed: a new intent, or a stale one asked again. */
interface Claimed {
  reference: string
  packId: string
  amountMinor: number
  currency: string
  customerId: string
  paymentMethodId: string
  description: string
}

/**
 * Runs after a charge committed (a job's capture): if the account's available credits are below
 * its threshold, the low-balance flag is set once per crossing (mailing the notice), and — with
 * auto top-up on and a card saved — one off-session payment buys its pack. At most one top-up is
 * in flight per account: the slot is claimed by one conditional UPDATE on the account's row, in
 * the transaction that records the intent and checks today's count against the cap; 20 charges
 * at once claim it once. One attempt per trigger, and triggers come only after charges: a
 * declined card is never retried in a loop. The credits land only with the provider's event.
 */
export async function triggerTopUp(deps: TopUpDeps, accountId: string): Promise<TriggerOutcome> {
  const none: TriggerOutcome = { topUp: null, mailed: false }
  const row = await readTopUp(deps.db, accountId)
  if (!row || row.threshold === null) return none
  const threshold = row.threshold
  // The row was read before the balance: a top-up that lands after this read changes the row's
  // `settled_at`, which the claim checks, so a balance read before those credits never claims.
  const balance = await deps.ledger.balance(accountId)
  if (!balance.ok) return none
  const { available } = balance.value
  if (available >= threshold) {
    if (row.below_threshold === 1) {
      await deps.db.write(
        { name: 'lowBalanceCleared', locks: {}, run: (tx, now) => clearBelow(tx, now, accountId, threshold) },
        deps.ledger.clock,
      )
    }
    return none
  }
  const tryTopUp = topUpWanted(deps, row, deps.ledger.clock.now())
  if (row.below_threshold === 1 && !tryTopUp) return none
  // A free slot starts a new top-up, priced now; a stale claim is asked again as it was.
  const priced = tryTopUp && row.in_flight === null ? priceOf(deps, row.pack_id!) : null
  const { mailed, claimed } = await deps.db.write(
    {
      name: 'autoTopUpClaim',
      locks: { accounts: [accountId] },
      run: async (tx, now) => {
        const settledAt = row.settled_at === null ? null : Number(row.settled_at)
        const mailed = await markBelow(tx, now, accountId, { available, threshold, settledAt }, deps.linkBase)
        if (!tryTopUp) return { mailed, claimed: null }
        if (priced && !priced.ok) {
          await turnOff(tx, now, accountId, priced.message)
          return { mailed, claimed: null }
        }
        const claimed = priced
          ? await claim(tx, now, deps, accountId, row, priced)
          : await reclaim(tx, now, accountId, row)
        return { mailed, claimed }
      },
    },
    deps.ledger.clock,
  )
  if (!claimed) return { topUp: null, mailed }
  const answer = await pay(deps, accountId, claimed)
  return { topUp: { reference: claimed.reference, status: answer.status }, mailed: mailed || answer.mailed }
}

/** Whether a top-up may start (its slot free or stale): a cheap look before the transaction. */
function topUpWanted(deps: TopUpDeps, row: TopUpRow, now: number): boolean {
  if (!deps.provider || row.enabled !== 1 || !row.payment_method_id || !row.customer_id || !row.pack_id) {
    return false
  }
  if (row.in_flight === null) return true
  return Number(row.in_flight_since) < now - STALE_CLAIM_MS
}

type Priced =
  | { ok: true; amountMinor: number; currency: string; credits: number }
  | { ok: false; message: string }

/** One pack, priced by the book in force; a pack the book no longer sells turns auto top-up off. */
function priceOf(deps: TopUpDeps, packId: string): Priced {
  const book = deps.ledger.pricing?.bookAt(deps.ledger.clock.now())
  if (!book) throw new Error('auto top-ups need a price book')
  const price = packPrice(book, packId, 1)
  if (!price.ok) return { ok: false, message: `the pack "${packId}" is no longer sold: choose another one` }
  return {
    ok: true,
    amountMinor: price.value.totalMinor,
    currency: price.value.currency,
    credits: price.value.credits,
  }
}

/**
 * Claims the free slot and records the top-up's intent, in one transaction: the UPDATE's WHERE
 * holds every condition (on, a card, the pack as read, nothing in flight, no top-up landed since
 * the row — and so the balance after it — was read, fewer than the cap today), so of concurrent
 * triggers one changes the row and the rest change nothing (they wait on the account's lock, and
 * PostgreSQL re-checks the WHERE on the row the winner committed).
 */
async function claim(
  tx: SqlTx,
  now: number,
  deps: TopUpDeps,
  accountId: string,
  row: TopUpRow,
  price: Extract<Priced, { ok: true }>,
): Promise<Claimed | null> {
  const reference = newId('pur', now)
  const [won] = await tx.all<{ customer_id: string; payment_method_id: string }>(
    `update auto_top_ups set in_flight = ?, in_flight_since = ?, updated_at = ?
     where account_id = ? and enabled = 1 and payment_method_id is not null and customer_id is not null
       and pack_id = ? and in_flight is null and coalesce(settled_at, -1) = ?
       and (select count(*) from purchase_intents
            where account_id = ? and kind = 'auto_top_up' and created_at >= ?) < ?
     returning customer_id, payment_method_id`,
    [
      reference,
      now,
      now,
      accountId,
      row.pack_id,
      row.settled_at === null ? -1 : Number(row.settled_at),
      accountId,
      utcDayStart(now),
      deps.maxPerDay,
    ],
  )
  if (!won) return null
  const hash = createHash('sha256')
    .update(JSON.stringify(['auto_top_up', row.pack_id, 1]))
    .digest('hex')
  tx.write(
    `insert into purchase_intents (reference, account_id, request_hash, status, outcome, created_at, updated_at,
       provider, pack_id, quantity, amount_minor, currency, kind)
     values (?, ?, ?, 'pending', null, ?, ?, ?, ?, 1, ?, ?, 'auto_top_up')`,
    [
      reference,
      accountId,
      hash,
      now,
      now,
      deps.provider!.name,
      row.pack_id,
      price.amountMinor,
      price.currency,
    ],
    1,
  )
  return {
    reference,
    packId: row.pack_id!,
    amountMinor: price.amountMinor,
    currency: price.currency,
    customerId: won.customer_id,
    paymentMethodId: won.payment_method_id,
    description: `Easel auto top-up: ${price.credits} credits`,
  }
}

/** Takes over a stale claim whose payment is unknown, to ask the provider again with its key. */
async function reclaim(tx: SqlTx, now: number, accountId: string, row: TopUpRow): Promise<Claimed | null> {
  const [intent] = await tx.all<{
    reference: string
    pack_id: string
    amount_minor: number
    currency: string
    quantity: number
  }>(
    `select reference, pack_id, amount_minor, currency, quantity from purchase_intents
     where reference = ? and kind = 'auto_top_up' and status = 'pending' and payment_id is null`,
    [row.in_flight],
  )
  if (!intent) return null
  const [won] = await tx.all<{ customer_id: string; payment_method_id: string }>(
    `update auto_top_ups set in_flight_since = ?, updated_at = ?
     where account_id = ? and in_flight = ? and in_flight_since = ? and enabled = 1
       and payment_method_id is not null and customer_id is not null
     returning customer_id, payment_method_id`,
    [now, now, accountId, intent.reference, row.in_flight_since],
  )
  if (!won) return null
  return {
    reference: intent.reference,
    packId: intent.pack_id,
    amountMinor: Number(intent.amount_minor),
    currency: intent.currency,
    customerId: won.customer_id,
    paymentMethodId: won.payment_method_id,
    description: 'Easel auto top-up',
  }
}

/**
 * Asks the provider for the payment, once per trigger. The answer's payment is stored on the
 * intent; a decline is counted here (or by its event, whichever comes first: once). A thrown
 * error (the provider unreachable) leaves the claim in flight: a later trigger asks again with
 * the same key once it is stale, and meanwhile no second payment can start.
 */
async function pay(
  deps: TopUpDeps,
  accountId: string,
  claimed: Claimed,
): Promise<{ status: 'succeeded' | 'processing' | 'declined'; mailed: boolean }> {
  const answer = await deps.provider!.chargeSavedCard({
    accountId,
    reference: claimed.reference,
    packId: claimed.packId,
    customerId: claimed.customerId,
    paymentMethodId: claimed.paymentMethodId,
    amountMinor: claimed.amountMinor,
    currency: claimed.currency,
    description: claimed.description,
    idempotencyKey: `easel-auto-top-up-${claimed.reference}`,
  })
  if (answer.status !== 'declined') {
    await deps.db.kysely
      .updateTable('purchase_intents')
      .set({ payment_id: answer.paymentId, updated_at: deps.ledger.clock.now() })
      .where('reference', '=', claimed.reference)
      .where('payment_id', 'is', null)
      .execute()
    return { status: answer.status, mailed: false }
  }
  const mailed = await deps.db.write(
    {
      name: 'autoTopUpDeclined',
      locks: { accounts: [accountId] },
      run: (tx, now) =>
        declineTopUp(
          tx,
          now,
          deps.linkBase,
          { reference: claimed.reference, account_id: accountId },
          answer.paymentId,
          inPlainWords(answer.reason),
        ),
    },
    deps.ledger.clock,
  )
  return { status: 'declined', mailed }
}

/**
 * A decline's reason as its person reads it (it is mailed and shown): Stripe's SDK puts the
 * request's id before the bank's words in its errors' messages (`[req_…] Your card was declined.`).
 */
function inPlainWords(reason: string): string {
  return reason.replace(/^\[req_[^\]]*\]\s*/, '') || reason
}
