import type { Kysely } from 'kysely'
import type { DB, ImagesTable, JobsTable } from '../db/schema.ts'

/** A page of an account's jobs, newest first, each with its images in their order. */
export interface JobPage {
  jobs: Array<{ job: JobsTable; images: ImagesTable[] }>
}

/** Jobs read at a time: a person with thousands of jobs is exported a page at a time. */
export const JOB_PAGE_SIZE = 200

/**
 * Every job of the account with its images, newest first, `pageSize` at a time (keyset paging on
 * the id, so each page costs two indexed reads however far in), for exports that must not hold a
 * whole account in memory.
 *
 * @example
 * for await (const page of jobPages(kysely, 'acct_…')) for (const { job, images } of page.jobs) …
 */
export async function* jobPages(
  kysely: Kysely<DB>,
  accountId: string,
  pageSize = JOB_PAGE_SIZE,
): AsyncGenerator<JobPage> {
  let before: string | null = null
  for (;;) {
    let query = kysely.selectFrom('jobs').selectAll().where('account_id', '=', accountId)
    if (before !== null) query = query.where('id', '<', before)
    const jobs = await query.orderBy('id', 'desc').limit(pageSize).execute()
    if (jobs.length === 0) return
    const images = await kysely
      .selectFrom('images')
      .selectAll()
      .where(
        'job_id',
        'in',
        jobs.map((j) => j.id),
      )
      .orderBy('job_id')
      .orderBy('position')
      .execute()
    const byJob = new Map<string, ImagesTable[]>()
    for (const image of images) {
      const list = byJob.get(image.job_id)
      if (list) list.push(image)
      else byJob.set(image.job_id, [image])
    }
    yield { jobs: jobs.map((job) => ({ job, images: byJob.get(job.id) ?? [] })) }
    if (jobs.length < pageSize) return
    before = jobs[jobs.length - 1]!.id
  }
}

/** An image's file in the export: `images/<job id>/<n>.png`, n counting the job's images from 1. */
export const imageFileName = (jobId: string, index: number): string => `images/${jobId}/${index + 1}.png`
