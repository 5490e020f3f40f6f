import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { newId } from '../../util/ids.ts'
import { invariant, ok, type Result, validation } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'
import { adjustAccount, postTransaction } from '../journal.ts'
import type { LotSource, Money } from '../types.ts'
import { accountNotFound } from './account.ts'

export interface GrantInput {
  accountId: string
  amount: number
  source: LotSource
  /** Burn priority; lower burns first. Defaults to the source's (see `DEFAULT_PRIORITY`). */
  priority: number
  /** When the credits stop being spendable (ms since epoch); never when null. */
  expiresAt: number | null
  /** What was paid for the whole lot; zero for free credits. */
  costBasis: Money
  /** What created the lot: a period key, a purchase id, an operator's note. */
  reference: string | null
  idempotencyKey?: string
  /** The request as the caller gave it (a relative expiry stays relative), for idempotency. */
  fingerprint: unknown
}

export interface GrantReceipt {
  lotId: string
  transactionId: string
  accountId: string
  amount: number
  source: LotSource
  priority: number
  grantedAt: number
  expiresAt: number | null
  costBasis: Money
  reference: string | null
}

export function grantOp(input: GrantInput): WriteOp<Result<GrantReceipt>> {
  return {
    name: 'grant',
    locks: { accounts: [input.accountId] },
    run: (tx, now) =>
      withIdempotency(tx, input.idempotencyKey, 'grant', input.fingerprint, now, async () => {
        const [account] = await tx.all<{ available: number; held: number }>(
          'select available, held from accounts where id = ?',
          [input.accountId],
        )
        if (!account) return accountNotFound(input.accountId)
        if (input.expiresAt !== null && input.expiresAt <= now)
          return validation('expiresAt', 'must be in the future')
        if (!Number.isSafeInteger(account.available + account.held + input.amount)) {
          return {
            ok: false,
            error: {
              code: 'VALIDATION',
              field: 'amount',
              message: `amount: the account's balance would exceed ${Number.MAX_SAFE_INTEGER} credits`,
            },
          }
        }
        return ok(writeGrant(tx, input, now))
      }),
  }
}

/** The terms of a new lot, as `writeGrant` records them. */
export type LotTerms = Pick<
  GrantInput,
  'accountId' | 'amount' | 'source' | 'priority' | 'expiresAt' | 'costBasis' | 'reference'
>

/**
 * Writes a grant: the lot, its journal transaction (issued → available) and the account's
 * projection. The caller has checked the account and the terms.
 */
export function writeGrant(tx: SqlTx, terms: LotTerms, now: number): GrantReceipt {
  invariant(Number.isSafeInteger(terms.amount) && terms.amount > 0, `grant of ${terms.amount} credits`)
  invariant(
    Number.isSafeInteger(terms.costBasis.amountMinor) && terms.costBasis.amountMinor >= 0,
    `grant costing ${terms.costBasis.amountMinor} minor units`,
  )
  const lotId = newId('lot', now)
  const transactionId = postTransaction(tx, {
    kind: 'grant',
    accountId: terms.accountId,
    now,
    amount: terms.amount,
    lotId,
    memo: terms.reference,
    postings: [
      { lotId, bucket: 'issued', amount: -terms.amount },
      { lotId, bucket: 'available', amount: terms.amount },
    ],
  })
  tx.write(
    `insert into lots (id, account_id, source, amount, remaining, priority, granted_at, expires_at,
       cost_basis_minor, currency, reference, transaction_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      lotId,
      terms.accountId,
      terms.source,
      terms.amount,
      terms.amount,
      terms.priority,
      now,
      terms.expiresAt,
      terms.costBasis.amountMinor,
      terms.costBasis.currency,
      terms.reference,
      transactionId,
    ],
    1,
  )
  adjustAccount(tx, terms.accountId, terms.amount, 0)
  return {
    lotId,
    transactionId,
    accountId: terms.accountId,
    amount: terms.amount,
    source: terms.source,
    priority: terms.priority,
    grantedAt: now,
    expiresAt: terms.expiresAt,
    costBasis: terms.costBasis,
    reference: terms.reference,
  }
}
