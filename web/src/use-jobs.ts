import { useCallback, useEffect, useRef, useState } from 'react'
import type { ImageBody, JobBody, JobRequest } from '../../src/contracts/index.ts'
import { api } from './api.ts'
import { followJob, isFinished } from './follow-job.ts'
import { useSession } from './session.tsx'

export interface Jobs {
  jobs: JobBody[]
  /** Replaces the list (a page of history), following those still running. */
  show(jobs: JobBody[]): void
  /** Starts a job and follows it; the balance is refreshed as it starts and as it settles. */
  start(body: JobRequest | FormData): Promise<JobBody>
  /** An image changed (a favourite): updates it, and re-reads its job's cost per image kept. */
  imageChanged(image: ImageBody): void
}

/** A list of jobs on a page, kept current while they run. */
export function useJobs(): Jobs {
  const { refreshCredits } = useSession()
  const [jobs, setJobs] = useState<JobBody[]>([])
  const current = useRef<JobBody[]>([])
  const following = useRef(new Map<string, () => void>())
  current.current = jobs

  const upsert = useCallback((job: JobBody) => {
    setJobs((list) =>
      list.some((j) => j.id === job.id) ? list.map((j) => (j.id === job.id ? job : j)) : [job, ...list],
    )
  }, [])

  const follow = useCallback(
    (job: JobBody) => {
      if (isFinished(job) || following.current.has(job.id)) return
      const stop = followJob(job.id, (next) => {
        upsert(next)
        if (isFinished(next)) {
          following.current.delete(job.id)
          void refreshCredits()
        }
      })
      following.current.set(job.id, stop)
    },
    [upsert, refreshCredits],
  )

  useEffect(() => {
    const map = following.current
    for (const job of current.current) follow(job)
    return () => {
      for (const stop of map.values()) stop()
      map.clear()
    }
  }, [follow])

  const show = useCallback(
    (list: JobBody[]) => {
      setJobs(list)
      for (const job of list) follow(job)
    },
    [follow],
  )

  const start = useCallback(
    async (body: JobRequest | FormData) => {
      const job = await api.startJob(body)
      upsert(job)
      follow(job)
      void refreshCredits()
      return job
    },
    [upsert, follow, refreshCredits],
  )

  const imageChanged = useCallback(
    (image: ImageBody) => {
      setJobs((list) =>
        list.map((j) =>
          j.id === image.jobId ? { ...j, images: j.images.map((i) => (i.id === image.id ? image : i)) } : j,
        ),
      )
      // Favourites change what a kept image cost; the server works that out.
      api
        .job(image.jobId)
        .then(upsert)
        .catch(() => {})
    },
    [upsert],
  )

  return { jobs, show, start, imageChanged }
}
