/**
 * The narrow SQL interface the write path runs on. Statements are written once with `?`
 * placeholders and run on either backend; each backend caches prepared statements, because the hot
 * path runs the same dozen statements millions of times.
 */
export interface SqlTx {
  readonly dialect: 'sqlite' | 'postgres'
  /** Rows of a query (or of a statement with `returning`). */
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>
  /** Runs a statement now; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>
  /**
   * Queues a write (an `insert` or `update` without `returning`) that must change exactly `expect`
   * rows. Queued writes run before the next read and before commit; PostgreSQL sends runs of them
   * as one statement, so a whole operation's writes cost one round trip. A different row count is
   * a bug and fails the transaction with {@link UnexpectedRowCount}.
   */
  write(sql: string, params: readonly unknown[], expect: number): void
  /**
   * Locks the rows of these accounts, and of the accounts owning these holds, until the transaction
   * ends, in one fixed (sorted) order so that two transactions can never wait on each other.
   * SQLite needs nothing: `begin immediate` already holds the database's single write lock.
   */
  lockAccounts(accountIds: readonly string[], holdIds: readonly string[]): Promise<void>
}

/**
 * A broken invariant: the data would be wrong if the transaction went on. Group commit rolls it
 * back and never retries it (a retry could only hide the bug); the caller gets it as it was thrown.
 * Each domain subclasses it for its own rules (the credit engine's `LedgerInvariantError`).
 */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvariantViolation'
  }
}

/** A queued write changed a different number of rows than its caller said it must. */
export class UnexpectedRowCount extends InvariantViolation {
  constructor(sql: string, expected: number, actual: number) {
    super(`expected ${expected} rows changed, got ${actual}: ${sql.replace(/\s+/g, ' ').slice(0, 160)}`)
    this.name = 'UnexpectedRowCount'
  }
}

/** One connection reserved for writing, used for one transaction at a time. */
export interface WriteSession {
  readonly tx: SqlTx
  begin(): Promise<void>
  commit(): Promise<void>
  rollback(): Promise<void>
  /** Gives the connection back; `broken` drops it instead (after an error that may have left it unusable). */
  release(broken?: boolean): void
}

export interface WritePool {
  /** How many write transactions may run at once. */
  readonly concurrency: number
  acquire(): Promise<WriteSession>
}

/** Errors a whole transaction can be retried after: lock conflicts and deadlocks. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    code === '40001' || // serialization_failure
    code === '40P01' || // deadlock_detected
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_BUSY_SNAPSHOT' ||
    code === 'SQLITE_LOCKED'
  )
}
