import type { JobBody } from '../../src/contracts/index.ts'
import { api, call } from './api.ts'

export const isFinished = (job: Pick<JobBody, 'status'>) =>
  job.status !== 'queued' && job.status !== 'running'

/**
 * Cancels a job (waiting or running): its held credits go back. Answers with the job as it ended:
 * `cancelled`, or its final state when it finished first.
 */
export const cancelJob = (id: string) => call<JobBody>('POST', `/api/jobs/${id}/cancel`)

/**
 * Follows a job until it finishes: Server-Sent Events from /api/jobs/:id/events (each change of
 * status, progress and place in line), falling back to polling the job when the event stream cannot
 * be used. Returns a function that stops following.
 */
export function followJob(id: string, onUpdate: (job: JobBody) => void): () => void {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let source: EventSource | null = null

  const stop = () => {
    stopped = true
    source?.close()
    source = null
    clearTimeout(timer)
  }
  const seen = (job: JobBody) => {
    if (stopped) return
    onUpdate(job)
    if (isFinished(job)) stop()
  }
  const poll = async () => {
    if (stopped) return
    try {
      seen(await api.job(id))
    } catch {
      // A blip: try again a little later.
    }
    if (!stopped) timer = setTimeout(poll, 1000)
  }

  if (typeof EventSource === 'undefined') {
    void poll()
    return stop
  }
  source = new EventSource(`/api/jobs/${id}/events`)
  source.addEventListener('job', (event) => {
    seen(JSON.parse((event as MessageEvent<string>).data) as JobBody)
  })
  source.onerror = () => {
    if (stopped) return
    // The stream broke before the job finished (a proxy, a restart): poll instead.
    source?.close()
    source = null
    void poll()
  }
  return stop
}
