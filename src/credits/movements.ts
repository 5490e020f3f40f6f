import type { CommitObserver, SqlTx } from '../db/writer/index.ts'
import type { TransactionKind } from './types.ts'

/** One journal transaction as metrics see it: its kind and how many credits it moved. */
export interface CreditMovement {
  readonly kind: TransactionKind
  readonly amount: number
}

/** Each open transaction's movements so far, by the connection's `SqlTx` (one transaction at a time). */
const open = new WeakMap<SqlTx, CreditMovement[]>()

/** Notes a journal transaction posted on `tx` (called by `postTransaction`); nothing when unobserved. */
export function noteMovement(tx: SqlTx, movement: CreditMovement): void {
  open.get(tx)?.push(movement)
}

/**
 * A commit observer (`Database.observeCommits`) that tells `onCommitted` the credit movements of
 * each transaction once it has committed, and never those of one that rolled back. Counting after
 * the commit, from the journal itself, makes the figures exact whatever wrote them (a job's
 * capture, a purchase, an allowance granted by a hold, the expiry sweep) and whatever group commit
 * did (a failed batch's operations run again alone: only the runs that committed are told).
 *
 * @example
 * db.observeCommits(creditMovements((moved) => {
 *   for (const m of moved) if (m.kind === 'capture') consumed.inc(m.amount)
 * }))
 */
export function creditMovements(
  onCommitted: (movements: readonly CreditMovement[]) => void,
): Required<CommitObserver> {
  return {
    // A transaction begins with nothing noted: whatever a rolled-back one on the same connection noted is dropped.
    begin: (tx) => {
      open.set(tx, [])
    },
    committed: (tx) => {
      const moved = open.get(tx)
      open.delete(tx)
      if (moved && moved.length > 0) onCommitted(moved)
    },
  }
}
