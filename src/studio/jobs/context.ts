import type { EnginesConfig } from '../../config.ts'
import type { Ledger } from '../../credits/index.ts'
import type { Database } from '../../db/open.ts'
import type { Clock } from '../../util/clock.ts'
import type { ContentPolicy } from '../content-policy.ts'
import type { EngineQueue } from '../engine-queue.ts'
import type { EngineRegistry } from '../engine-registry.ts'
import type { ImageStore } from '../image-store.ts'
import type { JobObserver } from '../job-observer.ts'
import type { Moderation } from '../moderation.ts'
import type { RunnerRegistry } from '../runners.ts'
import type { JobEvents, LiveJob } from './events.ts'
import type { RequestLimits } from './request.ts'
import type { JobView } from './rows.ts'

export interface StudioLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export type EngineLimits = Pick<
  EnginesConfig,
  'timeoutMs' | 'concurrency' | 'queueLimit' | 'queueTimeoutMs' | 'maxJobsPerAccount'
>

/** What this process knows of the jobs it took. */
export interface LocalJobs {
  /** Set by `Studio.stop`: no job is taken, and a queued one is cancelled when its turn comes. */
  stopping: boolean
  /** Aborted when a shutdown's grace period ends: the engines still running are stopped. */
  readonly shutdown: AbortSignal
  /** Jobs queued or running here, until they finish: each one's end, with its final state. */
  readonly running: Map<string, Promise<JobView>>
  /** The same jobs' live state: progress, place in line, and how to cancel them. */
  readonly live: Map<string, LiveJob>
  /** Jobs of each account waiting or running here (and submissions past the cap check). */
  readonly inFlight: Map<string, number>
}

/**
 * What the studio's jobs share, made once by `Studio`. Each job's functions take the part they
 * use (`Pick<JobContext, …>`), so that what a step may touch reads from its signature.
 */
export interface JobContext {
  readonly kysely: Database['kysely']
  /** The database's write layer, for the job's own writes that no ledger operation carries. */
  readonly write: Database['write']
  readonly ledger: Ledger
  readonly clock: Clock
  readonly store: ImageStore
  readonly registry: EngineRegistry
  readonly policy: ContentPolicy
  /** The outside moderation of prompts and images (NO_MODERATION when off). */
  readonly moderation: Moderation
  readonly runners: RunnerRegistry
  readonly engines: EngineLimits
  readonly limits: RequestLimits
  readonly queues: ReadonlyMap<string, EngineQueue>
  readonly events: JobEvents
  readonly local: LocalJobs
  readonly log: StudioLog | undefined
  /** How long a job's hold lives: longer than the longest a job may wait in its queue and then run. */
  readonly holdTtlMs: number
  /**
   * Told after a job's charge committed (billing's auto top-up and low-balance notice). Left
   * running: the job never waits for it, and its failure is logged, never the job's.
   */
  readonly onCharged: ((accountId: string) => unknown) | undefined
  /** Told when a job leaves its queue, its engine's run ends and it settles (metrics); none when left out. */
  readonly observer?: JobObserver | undefined
}
