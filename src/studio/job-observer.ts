import type { JobStatus } from './jobs/rows.ts'

/**
 * Told of the moments of this process's jobs that metrics count: a job leaving its engine's queue
 * (after how long in line), its engine's run ending (after how long, and with what, if it threw),
 * and the job settling here (its final status). Called synchronously; an observer must not throw.
 */
export interface JobObserver {
  /** The job's turn came after `waitedMs` since it was accepted (by the studio's clock). */
  dequeued(engine: string, waitedMs: number): void
  /** The engine's run ended after `ms`: `error` is what it threw or was stopped with, null when it answered. */
  ran(engine: string, ms: number, error: unknown): void
  /** This process settled the job with `status` (succeeded, failed or cancelled). */
  settled(engine: string, status: JobStatus): void
}
