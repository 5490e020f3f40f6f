import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import { bookLotTerms } from './allowances.ts'
import { ok, type Result, validation } from './errors.ts'
import type { PricingCatalog } from './ops/allowances.ts'
import type { GrantInput } from './ops/grant.ts'
import { readAccountCreatedAt } from './queries.ts'
import type { GrantRequest } from './requests.ts'
import { DEFAULT_PRIORITY } from './types.ts'

/**
 * A checked grant request as the grant operation takes it, at `now`: a relative expiry made
 * absolute, and terms left out taken from the book in force for the source (with `pricing`), else
 * the source's default priority and no expiry. Refused only for an expiry past what can be stored.
 *
 * @example
 * await grantInput(db, pricing, { accountId, amount: 500, source: 'purchase' }, now)
 * // → { ok: true, value: { …, priority: 100, expiresAt: now + 12 months } } under labs-2022
 */
export async function grantInput(
  db: Kysely<DB>,
  pricing: PricingCatalog | undefined,
  req: GrantRequest,
  now: number,
): Promise<Result<GrantInput>> {
  // The account's creation never changes, so it is read before the transaction. An account that
  // does not exist gets no terms here; the operation then refuses it.
  const createdAt =
    pricing && (req.priority === undefined || (req.expiresAt === undefined && req.expiresInMs === undefined))
      ? await readAccountCreatedAt(db, req.accountId)
      : null
  const terms =
    pricing && createdAt !== null ? bookLotTerms(pricing.bookAt(now), req.source, now, createdAt) : null
  const expiresAt =
    req.expiresInMs !== undefined
      ? now + req.expiresInMs
      : req.expiresAt !== undefined
        ? req.expiresAt
        : (terms?.expiresAt ?? null)
  if (expiresAt !== null && !Number.isSafeInteger(expiresAt)) {
    return validation('expiresInMs', 'puts the expiry past the latest time the ledger can store')
  }
  // Whether the expiry is still in the future is checked inside the operation, after the
  // idempotency lookup: a replay after that time must still get its stored answer.
  return ok({
    accountId: req.accountId,
    amount: req.amount,
    source: req.source,
    priority: req.priority ?? terms?.priority ?? DEFAULT_PRIORITY[req.source],
    expiresAt,
    costBasis: req.costBasis ?? { amountMinor: 0, currency: 'USD' },
    reference: req.reference ?? null,
    ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
    // The request as given: a replay a moment later with `expiresInMs` is the same request.
    fingerprint: { ...req, idempotencyKey: undefined },
  })
}
