import type { SqlTx, WriteOp } from '../db/writer/index.ts'
import type { Result } from './errors.ts'

/**
 * The one way to compose a write of the caller's own with a ledger operation, so that both commit
 * in one transaction or neither does: a user and their credit account (`createAccount`), a user's
 * role beside their plan (`setAccountProfile`), a job's row beside its hold, its images beside the
 * capture, its failure beside the release (`hold`, `capture`, `release`).
 *
 * `alsoWrite(tx, value, now)` runs inside the operation's transaction, after the operation has
 * succeeded (`value` is its answer: the new account's id, the hold's id…) and before the commit;
 * it is not called for a refusal. It writes through `tx` to the caller's own tables; the ledger's
 * tables are the ledger's to write.
 *
 * To refuse after all, throw: the whole transaction rolls back, the ledger's writes with it, and
 * the ledger method rejects with what was thrown — throw a class of your own and turn it back into
 * your refusal (`accounts/` does, with `RolledBack`). Never throw an `InvariantViolation` for an
 * everyday refusal: those are bugs, and fail loudly.
 *
 * It may run more than once: when a batch of group commit fails, each of its operations runs again
 * alone. So it must depend only on its arguments and what it reads through `tx`, and record what
 * it learns by assignment (the last run is the one that committed), never by accumulating.
 *
 * Not with an idempotency key: a replay has no effect to attach writes to, so it is refused.
 *
 * @example
 * let user: User | undefined
 * await ledger.createAccount({ reference: userId }, {
 *   alsoWrite: async (tx, account) => {
 *     user = await insertUser(tx, userId, account.accountId) // throws RolledBack if the email is taken
 *   },
 * })
 */
export interface SameTransaction<T> {
  alsoWrite?: (tx: SqlTx, value: T, now: number) => void | Promise<void>
}

/** `op`, followed in its transaction by the caller's `alsoWrite` when it succeeds. */
export function withWrites<T>(
  op: WriteOp<Result<T>>,
  idempotencyKey: string | undefined,
  alsoWrite: SameTransaction<T>['alsoWrite'],
): WriteOp<Result<T>> {
  if (!alsoWrite) return op
  if (idempotencyKey !== undefined) throw new Error('alsoWrite cannot be combined with an idempotency key')
  return {
    ...op,
    run: async (tx, now) => {
      const result = await op.run(tx, now)
      if (result.ok) await alsoWrite(tx, result.value, now)
      return result
    },
  }
}
