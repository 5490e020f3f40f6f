import { type Clock, systemClock } from '../../util/clock.ts'
import {
  InvariantViolation,
  isRetryableConflict,
  type SqlTx,
  type WritePool,
  type WriteSession,
} from './sql-session.ts'

/**
 * One unit of write work. `locks` names the credit accounts it will touch, directly or through the
 * holds it settles (a hold's account never changes); work that touches no account names none.
 * `run` does the work inside the transaction and must make all of its checks before its first
 * write, so that a refusal it returns leaves nothing behind; to refuse after writing it throws,
 * which rolls the whole transaction back.
 */
export interface WriteOp<T> {
  readonly name: string
  readonly locks: { readonly accounts?: readonly string[]; readonly holds?: readonly string[] }
  run(tx: SqlTx, now: number): Promise<T>
}

/** Something that runs write operations through group commit (a database handle, a committer). */
export interface Writes {
  /**
   * Runs `op` in a transaction it may share with operations submitted meanwhile, and resolves once
   * that transaction has committed. `now` is read from `clock` (default: the system's) inside the
   * transaction, after its locks are taken.
   */
  write<T>(op: WriteOp<T>, clock?: Clock): Promise<T>
}

/** Errors that mean the data would be wrong: never retried, never hidden. */
const isBug = (error: unknown) => error instanceof InvariantViolation

interface Pending {
  op: WriteOp<unknown>
  clock: Clock
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * Told of each transaction the committer runs (metrics): `begin` once it has begun on `tx`,
 * `committed` once it has committed, with how many operations shared it and how long it took from
 * begin to the end of its commit. A transaction that rolled back is never reported as committed.
 * Called synchronously; an observer must not throw.
 */
export interface CommitObserver {
  begin?(tx: SqlTx): void
  committed?(tx: SqlTx, operations: number, ms: number): void
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
 * Every operation still runs its own statements and gets its own answer, and nobody's promise
 * resolves before the commit that makes its work durable has returned.
 *
 * All accounts a batch touches are locked up front in sorted order, so concurrent batches on other
 * connections or processes never deadlock. If anything in a batch throws, the batch is rolled back
 * and each of its operations is run again alone, so one bad operation cannot fail its neighbours.
 *
 * Each opened database has one (`Database.write`), shared by everyone who writes: on SQLite there is
 * one writer connection, and two committers would only queue behind each other for it.
 */
export class GroupCommitter implements Writes {
  private readonly queue: Pending[] = []
  private running = 0
  private scheduled = false
  private readonly maxBatch: number
  private readonly maxRetries: number
  /** Told of each transaction (see {@link CommitObserver}); none by default. */
  observer: CommitObserver | undefined

  constructor(
    private readonly pool: WritePool,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256
    this.maxRetries = options.maxRetries ?? 8
  }

  write<T>(op: WriteOp<T>, clock: Clock = systemClock): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, clock, resolve: resolve as (v: unknown) => void, reject })
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
      const results = await transaction(session, batch, this.observer)
      for (const [i, p] of batch.entries()) p.resolve(results[i])
    } catch (error) {
      broken = !(await tryRollback(session))
      if (broken) {
        for (const p of batch) p.reject(error)
      } else {
        // Each operation again on its own: the one that failed (a conflict, or a bug, which then
        // fails loudly for its own caller) no longer takes its neighbours down with it.
        for (const p of batch) {
          try {
            p.resolve(await this.runAlone(session, p))
          } catch (e) {
            p.reject(e)
          }
        }
      }
    } finally {
      session.release(broken)
    }
  }

  private async runAlone(session: WriteSession, pending: Pending): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await transaction(session, [pending], this.observer).then((r) => r[0])
      } catch (error) {
        if (!(await tryRollback(session))) throw error
        const code = (error as { code?: string }).code ?? ''
        // A racing duplicate (the same idempotency key committed by another connection) resolves on
        // the next attempt, which finds the committed row and replays its answer.
        const retryable = isRetryableConflict(error) || UNIQUE_VIOLATION.has(code)
        if (!retryable || attempt >= this.maxRetries || isBug(error)) throw error
      }
    }
  }
}

async function transaction(
  session: WriteSession,
  batch: readonly Pick<Pending, 'op' | 'clock'>[],
  observer?: CommitObserver,
): Promise<unknown[]> {
  const started = performance.now()
  await session.begin()
  observer?.begin?.(session.tx)
  const accounts: string[] = []
  const holds: string[] = []
  for (const { op } of batch) {
    if (op.locks.accounts) accounts.push(...op.locks.accounts)
    if (op.locks.holds) holds.push(...op.locks.holds)
  }
  await session.tx.lockAccounts(accounts, holds)
  const results: unknown[] = []
  for (const { op, clock } of batch) results.push(await op.run(session.tx, clock.now()))
  await session.commit()
  observer?.committed?.(session.tx, batch.length, performance.now() - started)
  return results
}

async function tryRollback(session: WriteSession): Promise<boolean> {
  try {
    await session.rollback()
    return true
  } catch {
    return false
  }
}

/**
 * Runs one operation in a transaction of its own on a connection of `pool`, outside group commit
 * and without retries: for short work that must never wait behind a batch (or hold one up), such
 * as the sign-in throttle's decisions on PostgreSQL.
 */
export async function writeAlone<T>(pool: WritePool, op: WriteOp<T>, clock: Clock = systemClock): Promise<T> {
  const session = await pool.acquire()
  let broken = false
  try {
    const [result] = await transaction(session, [{ op, clock }])
    return result as T
  } catch (error) {
    broken = !(await tryRollback(session))
    throw error
  } finally {
    session.release(broken)
  }
}
