import { createHash } from 'node:crypto'
import type { Ledger, Result } from '../credits/index.ts'
import { packPrice } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import { newId } from '../util/ids.ts'
import { type HostedCheckoutProvider, UnchargeableAmount } from './provider.ts'

export interface CheckoutOpened {
  sessionId: string
  checkoutUrl: string
}

/** A checkout's refusals (a subset of a purchase's). */
export type CheckoutError =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'IDEMPOTENCY_CONFLICT'; message: string }
  /** The book's price cannot be charged exactly by the provider: the operator must change it. */
  | { code: 'UNCHARGEABLE_PRICE'; message: string }

export type CheckoutStatus = 'pending' | 'completed' | 'failed' | 'expired' | 'amount_mismatch'

/**
 * Opens a hosted checkout for packs: prices them with the book in force (volume tiers applied),
 * records the purchase intent (account, pack, quantity, amount and currency) and only then asks the
 * provider for its session, with the intent as the provider's idempotency key, and stores the
 * session on the intent. With an Idempotency-Key, a retry answers the same session (or finishes
 * opening it, which the provider's idempotency makes safe); the same key for another request is
 * refused.
 */
export async function openCheckout(
  deps: { db: Database; ledger: Ledger; provider: HostedCheckoutProvider },
  input: {
    accountId: string
    packId: string
    quantity: number
    /** The studio's address: the buyer comes back to `<base>/credits/buy/return`. */
    returnBase: string
    idempotencyKey?: string
    /**
     * Keep the card for auto top-ups: the provider saves it for payments without the buyer, and
     * the intent says so (`save_card`), so that its grant remembers the card.
     */
    saveCard?: boolean
    /** The account's customer at the provider, when it has one already (a card saved before). */
    customerId?: string | null
  },
): Promise<Result<CheckoutOpened, CheckoutError>> {
  const { db, ledger, provider } = deps
  const now = ledger.clock.now()
  const book = ledger.pricing?.bookAt(now)
  if (!book) throw new Error('checkouts need a price book')
  const price = packPrice(book, input.packId, input.quantity)
  if (!price.ok) {
    return {
      ok: false,
      error: { code: 'VALIDATION', field: price.error.field, message: price.error.message },
    }
  }
  const saveCard = input.saveCard === true
  // Saving the card makes it another request; without, the hash is what it always was.
  const hash = createHash('sha256')
    .update(JSON.stringify(['checkout', input.packId, input.quantity, ...(saveCard ? ['save-card'] : [])]))
    .digest('hex')
  const reference =
    input.idempotencyKey === undefined
      ? newId('pur')
      : `pur_co_${createHash('sha256').update(`${input.accountId}\n${input.idempotencyKey}`).digest('hex').slice(0, 32)}`
  const inserted = await db.kysely
    .insertInto('purchase_intents')
    .values({
      reference,
      account_id: input.accountId,
      request_hash: hash,
      status: 'pending',
      outcome: null,
      created_at: now,
      updated_at: now,
      provider: provider.name,
      pack_id: input.packId,
      quantity: input.quantity,
      amount_minor: price.value.totalMinor,
      currency: price.value.currency,
      kind: 'pack',
      save_card: saveCard ? 1 : 0,
    })
    .onConflict((oc) => oc.column('reference').doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    const seen = await db.kysely
      .selectFrom('purchase_intents')
      .select(['request_hash', 'session_id', 'checkout_url'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow()
    if (seen.request_hash !== hash) {
      return {
        ok: false,
        error: {
          code: 'IDEMPOTENCY_CONFLICT',
          message: 'this Idempotency-Key was already used for a different checkout',
        },
      }
    }
    if (seen.session_id !== null && seen.checkout_url !== null) {
      return { ok: true, value: { sessionId: seen.session_id, checkoutUrl: seen.checkout_url } }
    }
  }
  const pack = book.packs.find((p) => p.id === input.packId)!
  let started: Awaited<ReturnType<typeof provider.startCheckout>>
  try {
    started = await provider.startCheckout({
      accountId: input.accountId,
      reference,
      packId: input.packId,
      description: `${pack.credits} Easel credits`,
      quantity: input.quantity,
      unitAmountMinor: price.value.unitPriceMinor,
      currency: price.value.currency,
      successUrl: `${input.returnBase}/credits/buy/return?session_id={SESSION}`,
      cancelUrl: `${input.returnBase}/credits/buy/return?cancelled=1`,
      ...(saveCard ? { saveCard: true, customerId: input.customerId ?? null } : {}),
    })
  } catch (error) {
    if (!(error instanceof UnchargeableAmount)) throw error
    // Nothing was asked of the buyer: the intent goes, and the operator is told what to change.
    await db.kysely.deleteFrom('purchase_intents').where('reference', '=', reference).execute()
    return {
      ok: false,
      error: { code: 'UNCHARGEABLE_PRICE', message: `this pack cannot be bought here now: ${error.message}` },
    }
  }
  // The session may be stored already: an event about it overtook this answer.
  await db.kysely
    .updateTable('purchase_intents')
    .set({ session_id: started.sessionId, checkout_url: started.url, updated_at: ledger.clock.now() })
    .where('reference', '=', reference)
    .execute()
  return { ok: true, value: { sessionId: started.sessionId, checkoutUrl: started.url } }
}

/** Where the account's checkout session stands, with its purchase's reference; null if not the account's. */
export async function findCheckout(
  db: Database,
  provider: string,
  accountId: string,
  sessionId: string,
): Promise<{ status: CheckoutStatus; reference: string } | null> {
  const row = await db.kysely
    .selectFrom('purchase_intents')
    .select(['status', 'reference'])
    .where('provider', '=', provider)
    .where('session_id', '=', sessionId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  if (!row || row.status === 'declined') return null
  return { status: row.status, reference: row.reference }
}
