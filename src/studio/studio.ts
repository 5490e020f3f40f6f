import type { Ledger, Result } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import { EngineError } from '../engines/engine.ts'
import type { Clock } from '../util/clock.ts'
import type { ContentPolicy } from './content-policy.ts'
import { EngineQueue } from './engine-queue.ts'
import type { EngineRegistry } from './engine-registry.ts'
import type { StudioError } from './errors.ts'
import type { ImageStore } from './image-store.ts'
import type { JobObserver } from './job-observer.ts'
import { cancelJob, stopSettledElsewhere } from './jobs/cancel.ts'
import type { EngineLimits, JobContext, LocalJobs, StudioLog } from './jobs/context.ts'
import { type JobCost, jobCost, jobCosts } from './jobs/cost.ts'
import { type DeletionRefusal, deleteImage, deleteJob } from './jobs/deletion.ts'
import { JobEvents, type JobListener, withLiveState } from './jobs/events.ts'
import * as queries from './jobs/queries.ts'
import { recoverOrphans } from './jobs/recovery.ts'
import type { JobInput, RequestLimits } from './jobs/request.ts'
import type { ImageView, JobView } from './jobs/rows.ts'
import { type Submitted, submitJob } from './jobs/submit.ts'
import { type Moderation, NO_MODERATION } from './moderation.ts'
import type { RunnerRegistry } from './runners.ts'

export type { JobCost } from './jobs/cost.ts'
export type { DeletionRefusal } from './jobs/deletion.ts'
export type { JobListener } from './jobs/events.ts'
export type { JobInput } from './jobs/request.ts'
export type { ImageView, JobStatus, JobView } from './jobs/rows.ts'
export type { Submitted } from './jobs/submit.ts'

/**
 * How often this process looks for its jobs settled through another process (a cancel sent to a
 * peer): at most this long after, their engines stop working for nothing.
 */
const SETTLED_ELSEWHERE_EVERY_MS = 1000

export interface StudioOptions extends RequestLimits {
  clock: Clock
  store: ImageStore
  registry: EngineRegistry
  policy: ContentPolicy
  /** Prompts and images checked by an outside service; none when left out. */
  moderation?: Moderation
  runners: RunnerRegistry
  engines: EngineLimits
  log?: StudioLog
  /** Called after each job's charge committed, without waiting for it (see `JobContext.onCharged`). */
  onCharged?: (accountId: string) => unknown
  /** Told of jobs leaving their queue, engine runs and settled jobs (metrics). */
  observer?: JobObserver
}

/**
 * Image jobs, metered the same way whatever the engine: quote → hold → engine → store the images →
 * capture, or release on any failure (engine error, timeout, content refusal, no images, shutdown,
 * a crash found at the next start). The hold lives longer than the longest a job may wait and run,
 * so a job never outlives its hold by design; if it ever did, the images are dropped, not charged.
 *
 * A facade: each job is done in `jobs/` (request checks, submission, running and settling,
 * recovery, queries, events); this class owns the process's state of its jobs and its lifecycle.
 */
export class Studio {
  private readonly ctx: JobContext
  private readonly local: LocalJobs
  private readonly shutdown = new AbortController()
  private readonly submitting = new Set<Promise<unknown>>()
  /** Queues whose line moved, told to their listeners once the current work is done. */
  private readonly moved = new Set<EngineQueue>()
  private watching: NodeJS.Timeout | undefined
  private looking: Promise<unknown> | undefined

  constructor(
    db: Database,
    readonly ledger: Ledger,
    private readonly options: StudioOptions,
  ) {
    const queues = new Map<string, EngineQueue>()
    for (const engine of options.registry.engines) {
      const queue: EngineQueue = new EngineQueue(options.engines.concurrency, options.engines.queueLimit, {
        onMove: () => this.lineMoved(queue),
      })
      queues.set(engine.name, queue)
    }
    this.local = {
      stopping: false,
      shutdown: this.shutdown.signal,
      running: new Map(),
      live: new Map(),
      inFlight: new Map(),
    }
    this.ctx = {
      kysely: db.kysely,
      write: (op, clock) => db.write(op, clock),
      ledger,
      clock: options.clock,
      store: options.store,
      registry: options.registry,
      policy: options.policy,
      moderation: options.moderation ?? NO_MODERATION,
      runners: options.runners,
      engines: options.engines,
      limits: {
        maxPromptChars: options.maxPromptChars,
        maxUploadBytes: options.maxUploadBytes,
        ...(options.maxUploadPixels === undefined ? {} : { maxUploadPixels: options.maxUploadPixels }),
      },
      queues,
      events: new JobEvents(options.log),
      local: this.local,
      log: options.log,
      holdTtlMs: this.holdTtlMs,
      onCharged: options.onCharged,
      observer: options.observer,
    }
  }

  /** The hold outlives the longest a job may wait in its queue and then run. */
  get holdTtlMs(): number {
    return this.options.engines.queueTimeoutMs + this.options.engines.timeoutMs + 60_000
  }

  /**
   * Registers this process and settles what crashed processes left running. Looking again later,
   * for peers that crash meanwhile, is the app lifecycle's periodic {@link recoverOrphans}.
   */
  async start(): Promise<{ recovered: number }> {
    await this.options.runners.register()
    this.watching = setInterval(() => this.lookForSettledElsewhere(), SETTLED_ELSEWHERE_EVERY_MS)
    this.watching.unref()
    return { recovered: await this.recoverOrphans() }
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then stops the rest (their holds
   * are released) and marks this process stopped.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.local.stopping = true
    clearInterval(this.watching)
    await Promise.allSettled([...this.submitting])
    const inFlight = [...this.local.running.values()]
    if (inFlight.length > 0) {
      let timer: NodeJS.Timeout | undefined
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs)
      })
      await Promise.race([Promise.allSettled(inFlight), grace])
      clearTimeout(timer)
      this.shutdown.abort(new EngineError('CANCELLED', 'Easel is shutting down; the job was stopped'))
      await Promise.allSettled([...this.local.running.values()])
    }
    await this.looking
    await Promise.allSettled(this.options.registry.engines.map((e) => e.close?.()))
    await this.options.runners.stop()
  }

  /**
   * Checks a request, holds its price and queues it. Refusals (bad input, a blocked prompt, not
   * enough credits, too many jobs of the account in flight, a full queue) hold nothing and write
   * nothing.
   */
  async submit(input: JobInput): Promise<Result<Submitted, StudioError>> {
    // Counted until queued, so that a shutdown waits for submissions past the `stopping` check.
    const submitting = submitJob(this.ctx, input)
    this.submitting.add(submitting)
    try {
      return await submitting
    } finally {
      this.submitting.delete(submitting)
    }
  }

  /** See {@link recoverOrphans}: settles the jobs of processes that are gone; returns how many. */
  recoverOrphans(): Promise<number> {
    return recoverOrphans(this.ctx)
  }

  /** One job of the account (null for another's or an unknown id), with its progress or place in line. */
  async getJob(accountId: string, jobId: string): Promise<JobView | null> {
    const job = await queries.getJob(this.ctx, accountId, jobId)
    return job && withLiveState(job, this.local.live.get(job.id))
  }

  /**
   * Cancels a job of the account (see {@link cancelJob}): its hold released, nothing charged. A job
   * that finished meanwhile is answered as it is; null for another account's job or an unknown id.
   */
  cancel(accountId: string, jobId: string): Promise<JobView | null> {
    return cancelJob(this.ctx, accountId, jobId)
  }

  /**
   * Jobs of an account, newest first, with their images; `before` is the last id of the page
   * before; `q` keeps those whose prompt contains it.
   */
  async listJobs(
    accountId: string,
    options: { limit?: number; before?: string; favourites?: boolean; q?: string } = {},
  ): Promise<{ jobs: JobView[]; nextBefore: string | null }> {
    const page = await queries.listJobs(this.ctx, accountId, options)
    return { ...page, jobs: page.jobs.map((job) => withLiveState(job, this.local.live.get(job.id))) }
  }

  /** An account's images, newest first. */
  listImages(
    accountId: string,
    options: { limit?: number; before?: string; favourites?: boolean } = {},
  ): Promise<{ images: ImageView[]; nextBefore: string | null }> {
    return queries.listImages(this.ctx, accountId, options)
  }

  /** One image of the account; null for another account's image or an unknown id. */
  getImage(accountId: string, imageId: string): Promise<ImageView | null> {
    return queries.getImage(this.ctx, accountId, imageId)
  }

  /** The image and its owner's account, for a signed URL (which carries no account). */
  findImage(imageId: string): Promise<{ image: ImageView; accountId: string } | null> {
    return queries.findImage(this.ctx, imageId)
  }

  setFavourite(accountId: string, imageId: string, favourite: boolean): Promise<ImageView | null> {
    return queries.setFavourite(this.ctx, accountId, imageId, favourite)
  }

  readImage(accountId: string, imageId: string): Promise<Buffer> {
    return this.options.store.read(accountId, imageId)
  }

  /** Where the images are kept: an account's export reads them, its deletion removes them. */
  get imageStore(): ImageStore {
    return this.options.store
  }

  /** What a succeeded job cost in credits and money (null before it succeeded). */
  jobCost(job: JobView): Promise<JobCost | null> {
    return jobCost(this.ledger, this.ledger.pricing, job)
  }

  /** The costs of a page of jobs, read together (by job id; null before a job succeeded). */
  jobCosts(jobs: readonly JobView[]): Promise<Map<string, JobCost | null>> {
    return jobCosts(this.ledger, this.ledger.pricing, jobs)
  }

  /**
   * Tells `listener` each change of the job until it finishes (status, progress by whole percents,
   * place in line), for jobs this process runs; returns the unsubscribe.
   */
  subscribe(jobId: string, listener: JobListener): () => void {
    return this.ctx.events.subscribe(jobId, listener)
  }

  /** Whether this process runs the job (so its events come from here, not from polling). */
  isLocal(jobId: string): boolean {
    return this.local.running.has(jobId)
  }

  /** Resolves with the job once it has finished, wherever it runs. */
  waitForJob(accountId: string, jobId: string): Promise<JobView> {
    return queries.waitForJob(this.ctx, accountId, jobId)
  }

  /** Tells the listeners of the queue's waiting jobs their new places, once per burst of moves. */
  private lineMoved(queue: EngineQueue): void {
    if (this.moved.has(queue)) return
    this.moved.add(queue)
    queueMicrotask(() => {
      this.moved.delete(queue)
      this.ctx.events.tellPositions(queue, this.local.live)
    })
  }

  /** One look for jobs settled through another process (see {@link stopSettledElsewhere}); never overlapping. */
  private lookForSettledElsewhere(): void {
    if (this.looking || this.local.live.size === 0) return
    this.looking = stopSettledElsewhere(this.ctx)
      .catch((error: unknown) =>
        this.options.log?.warn({ err: error }, 'looking for jobs settled by another process failed'),
      )
      .finally(() => {
        this.looking = undefined
      })
  }

  /** Queue lengths per engine, for /healthz. */
  queueSizes(): Record<string, { running: number; waiting: number }> {
    return Object.fromEntries([...this.ctx.queues].map(([name, q]) => [name, q.size]))
  }

  /**
   * Deletes an image of the account: its row, then its file; its job and the ledger's record stay.
   * Another account's image, or one already gone, is NOT_FOUND.
   */
  deleteImage(
    accountId: string,
    imageId: string,
  ): Promise<Result<void, Extract<DeletionRefusal, { code: 'NOT_FOUND' }>>> {
    return deleteImage(this.ctx, accountId, imageId)
  }

  /**
   * Deletes a finished job of the account: its images go, the job is hidden from every read, and
   * its row stays for the ledger's record. A job waiting or running is JOB_IN_FLIGHT (cancel it
   * first); another account's, or one already deleted, is NOT_FOUND.
   */
  deleteJob(accountId: string, jobId: string): Promise<Result<{ imagesDeleted: number }, DeletionRefusal>> {
    return deleteJob(this.ctx, accountId, jobId)
  }
}
