// The write layer: SQL transaction sessions, the write pool of each backend, and group commit.
// Every domain writes through it (the credit engine, accounts, the studio); it knows none of them.

export {
  type CommitObserver,
  type GroupCommitOptions,
  GroupCommitter,
  type WriteOp,
  type Writes,
  writeAlone,
} from './group-commit.ts'
export { PostgresWritePool } from './postgres-pool.ts'
export {
  InvariantViolation,
  isRetryableConflict,
  type SqlTx,
  UnexpectedRowCount,
  type WritePool,
  type WriteSession,
} from './sql-session.ts'
export { SqliteWritePool } from './sqlite-pool.ts'
