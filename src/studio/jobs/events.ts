import type { JobView } from './rows.ts'

export type JobListener = (job: JobView) => void

/** Listeners of jobs this process runs, told each change of a job's status. */
export class JobEvents {
  private readonly listeners = new Map<string, Set<JobListener>>()

  constructor(private readonly log?: { warn(obj: object, msg: string): void }) {}

  /** Tells `listener` each change of the job's status until it finishes; returns the unsubscribe. */
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
}
