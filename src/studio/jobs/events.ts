import type { EngineQueue } from '../engine-queue.ts'
import type { JobView } from './rows.ts'

export type JobListener = (job: JobView) => void

/**
 * A job queued or running in this process: what its listeners last heard of it, the queue it waits
 * in, and how to stop it while it runs.
 */
export interface LiveJob {
  /** The job as last told to its listeners: its status, progress, place in line. */
  view: JobView
  readonly queue: EngineQueue
  /**
   * Aborted, with the `EngineError('CANCELLED', …)` the run fails with, when the job is cancelled
   * once it has left the line (by its owner, or settled meanwhile by another process).
   */
  readonly cancelled: AbortController
}

/**
 * The job with what only this process knows of it: that it is running (its row says so a moment
 * later: the start is written through the group commit and not waited for), its progress while
 * running, its place in line. A job the row says finished is as the row says.
 */
export function withLiveState(job: JobView, live: LiveJob | undefined): JobView {
  if (!live || (job.status !== 'queued' && job.status !== 'running')) return job
  if (live.view.status === 'running') {
    return {
      ...job,
      status: 'running',
      startedAt: job.startedAt ?? live.view.startedAt,
      progress: live.view.progress,
      queuePosition: null,
    }
  }
  return { ...job, queuePosition: live.queue.positionOf(job.id) }
}

/**
 * Listeners of jobs this process runs, told each change of a job's status, of its progress (each
 * whole percent) and of its place in line.
 */
export class JobEvents {
  private readonly listeners = new Map<string, Set<JobListener>>()

  constructor(private readonly log?: { warn(obj: object, msg: string): void }) {}

  /** Tells `listener` each change of the job until it finishes; returns the unsubscribe. */
  subscribe(jobId: string, listener: JobListener): () => void {
    let set = this.listeners.get(jobId)
    if (!set) {
      set = new Set()
      this.listeners.set(jobId, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(jobId)
    }
  }

  /** A listener that throws is logged and does not keep the others from hearing. */
  emit(job: JobView): void {
    for (const listener of this.listeners.get(job.id) ?? []) {
      try {
        listener(job)
      } catch (error) {
        this.log?.warn({ err: error }, 'a job listener threw')
      }
    }
  }

  /**
   * Tells the listened jobs waiting in `queue` their new place in line, each only when it changed.
   * Only jobs someone listens to are looked at: each place costs O(accounts waiting), or all of
   * them O(waiting) at once, whichever is less for this many.
   */
  tellPositions(queue: EngineQueue, live: ReadonlyMap<string, LiveJob>): void {
    const waiting: LiveJob[] = []
    for (const id of this.listeners.keys()) {
      const job = live.get(id)
      if (job && job.queue === queue && job.view.status === 'queued') waiting.push(job)
    }
    if (waiting.length === 0) return
    const all = waiting.length * queue.accountsWaiting > queue.size.waiting ? queue.positions() : null
    for (const job of waiting) {
      const place = all ? (all.get(job.view.id) ?? null) : queue.positionOf(job.view.id)
      // Null: it has just started (its run tells that) or left the line (its settling tells that).
      if (place === null || place === job.view.queuePosition) continue
      job.view = { ...job.view, queuePosition: place }
      this.emit(job.view)
    }
  }
}
