import {
  isRetryableConflict,
  type SqlTx,
  UnexpectedRowCount,
  type WritePool,
  type WriteSession,
} from '../db/sql-session.ts'
import type { Clock } from '../util/clock.ts'
import { LedgerInvariantError } from './errors.ts'

/**
 * One unit of ledger work. `locks` names the accounts it will touch, directly or through the holds
 * it settles (a hold's account never changes); `run` does the work inside the transaction and must
 * make all of its checks before its first write, so that a refusal leaves nothing behind.
 */
export interface LedgerOp<T> {
  readonly name: string
  readonly locks: { readonly accounts?: readonly string[]; readonly holds?: readonly string[] }
  run(tx: SqlTx, now: number): Promise<T>
}

/** Errors that mean the books would be wrong: never retried, never hidden. */
const isBug = (error: unknown) => error instanceof LedgerInvariantError || error instanceof UnexpectedRowCount

interface Pending {
  op: LedgerOp<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

export interface GroupCommitOptions {
  /** The most operations that share one transaction. */
  maxBatch?: number
  /** How often one operation is retried alone after lock conflicts or a racing duplicate. */
  maxRetries?: number
}

const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'])

/**
 * Group commit: operations submitted while the database is busy committing wait and then share the
 * next transaction, so many operations cost one durable commit (one fsync) instead of one each.
 * Every operation still runs its own statements, gets its own journal rows and its own answer, and
 * nobody's promise resolves before the commit that makes its work durable has returned.
 *
 * All accounts a batch touches are locked up front in sorted order, so concurrent batches on other
 * connections or processes never deadlock. If anything in a batch throws, the batch is rolled back
 * and each of its operations is run again alone, so one bad operation cannot fail its neighbours.
 */
export class GroupCommitter {
  private readonly queue: Pending[] = []
  private running = 0
  private scheduled = false
  private readonly maxBatch: number
  private readonly maxRetries: number

  constructor(
    private readonly pool: WritePool,
    private readonly clock: Clock,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256
    this.maxRetries = options.maxRetries ?? 8
  }

  execute<T>(op: LedgerOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject })
      this.schedule()
    })
  }

  /** Waits a turn of the event loop before starting, so that operations submitted together batch. */
  private schedule(): void {
    if (this.scheduled || this.running >= this.pool.concurrency || this.queue.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.drain()
    })
  }

  private drain(): void {
    while (this.running < this.pool.concurrency && this.queue.length > 0) {
      // Spread waiting work over the free connections rather than piling it onto the first.
      const free = this.pool.concurrency - this.running
      const size = Math.min(this.maxBatch, Math.ceil(this.queue.length / free))
      const batch = this.queue.splice(0, size)
      this.running++
      void this.runBatch(batch).finally(() => {
        this.running--
        this.schedule()
      })
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    let session: WriteSession
    try {
      session = await this.pool.acquire()
    } catch (error) {
      for (const p of batch) p.reject(error)
      return
    }
    let broken = false
    try {
      const results = await this.transaction(
        session,
        batch.map((p) => p.op),
      )
      for (const [i, p] of batch.entries()) p.resolve(results[i])
    } catch (error) {
      broken = !(await this.tryRollback(session))
      if (broken) {
        for (const p of batch) p.reject(error)
      } else {
        // Each operation again on its own: the one that failed (a conflict, or a bug, which then
        // fails loudly for its own caller) no longer takes its neighbours down with it.
        for (const p of batch) {
          try {
            p.resolve(await this.runAlone(session, p.op))
          } catch (e) {
            p.reject(e)
          }
        }
      }
    } finally {
      session.release(broken)
    }
  }

  private async transaction(session: WriteSession, ops: readonly LedgerOp<unknown>[]): Promise<unknown[]> {
    await session.begin()
    const accounts: string[] = []
    const holds: string[] = []
    for (const op of ops) {
      if (op.locks.accounts) accounts.push(...op.locks.accounts)
      if (op.locks.holds) holds.push(...op.locks.holds)
    }
    await session.tx.lockAccounts(accounts, holds)
    const results: unknown[] = []
    for (const op of ops) results.push(await op.run(session.tx, this.clock.now()))
    await session.commit()
    return results
  }

  private async runAlone(session: WriteSession, op: LedgerOp<unknown>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transaction(session, [op]).then((r) => r[0])
      } catch (error) {
        if (!(await this.tryRollback(session))) throw error
        const code = (error as { code?: string }).code ?? ''
        // A racing duplicate (the same idempotency key committed by another connection) resolves on
        // the next attempt, which finds the committed row and replays its answer.
        const retryable = isRetryableConflict(error) || UNIQUE_VIOLATION.has(code)
        if (!retryable || attempt >= this.maxRetries || isBug(error)) throw error
      }
    }
  }

  private async tryRollback(session: WriteSession): Promise<boolean> {
    try {
      await session.rollback()
      return true
    } catch {
      return false
    }
  }
}
