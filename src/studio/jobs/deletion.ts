import type { Result } from '../../credits/index.ts'
import type { SqlTx } from '../../db/writer/index.ts'
import type { JobContext } from './context.ts'

/**
 * Why a deletion was refused, writing nothing: the job or image is not the account's (or is gone
 * already; another account's is "not found" too), or the job is still waiting or running.
 */
export type DeletionRefusal =
  | { code: 'NOT_FOUND'; message: string }
  | { code: 'JOB_IN_FLIGHT'; message: string }

/** What deleting touches: its own transaction, then the image store (and the log when that fails). */
export type Deletes = Pick<JobContext, 'write' | 'clock' | 'store' | 'log'>

const IN_FLIGHT = ['queued', 'running'] as const

/**
 * Deletes one image of the account: its row (and the reports of it nobody has dealt with yet) in
 * one transaction, then its file. The job, its hold and its charge stay as they were: the ledger
 * keeps its record, so `ledger verify` is unaffected.
 *
 * A crash between the commit and the file's removal leaves a file no row points at (named by ids
 * only), never a row without its file.
 *
 * @example
 * await deleteImage(ctx, 'acct_…', 'img_…') // { ok: true, value: undefined }
 */
export async function deleteImage(
  ctx: Deletes,
  accountId: string,
  imageId: string,
): Promise<Result<void, Extract<DeletionRefusal, { code: 'NOT_FOUND' }>>> {
  const deleted = await ctx.write<boolean>(
    {
      name: 'deleteImage',
      locks: {},
      run: async (tx) => {
        const changed = await tx.run(
          `delete from images where id = ? and account_id = ?
             and job_id in (select id from jobs where account_id = ? and deleted_at is null)`,
          [imageId, accountId, accountId],
        )
        if (changed === 0) return false
        if (changed !== 1) throw new Error(`deleting image ${imageId} deleted ${changed} rows`)
        await deleteOpenReports(tx, [imageId])
        return true
      },
    },
    ctx.clock,
  )
  if (!deleted) return { ok: false, error: { code: 'NOT_FOUND', message: `no image ${imageId}` } }
  await removeFiles(ctx, accountId, [imageId])
  return { ok: true, value: undefined }
}

/**
 * Deletes a finished job of the account: its images (rows, then files) go, and the job is marked
 * deleted and so hidden from every read (list, get, events); its prompt and error text are erased.
 * The row itself stays, because its hold and charge in the journal name it: the ledger keeps its
 * record and still verifies. A job still waiting or running is refused (cancel it first), writing
 * nothing; so is one already deleted, like any unknown id.
 *
 * The job is claimed first by one conditional update (not deleted, not in flight), so two
 * deletions at once, or a deletion racing the job's own settlement, cannot both go through.
 *
 * @example
 * await deleteJob(ctx, 'acct_…', 'job_…') // { ok: true, value: { imagesDeleted: 4 } }
 */
export async function deleteJob(
  ctx: Deletes,
  accountId: string,
  jobId: string,
): Promise<Result<{ imagesDeleted: number }, DeletionRefusal>> {
  const marks = IN_FLIGHT.map(() => '?').join(', ')
  const outcome = await ctx.write<Result<string[], DeletionRefusal>>(
    {
      name: 'deleteJob',
      locks: {},
      run: async (tx, now) => {
        const claimed = await tx.run(
          `update jobs set deleted_at = ?, prompt = null, error_message = null
           where id = ? and account_id = ? and deleted_at is null and status not in (${marks})`,
          [now, jobId, accountId, ...IN_FLIGHT],
        )
        if (claimed === 0) {
          // Nothing written: say why.
          const rows = await tx.all<{ status: string }>(
            'select status from jobs where id = ? and account_id = ? and deleted_at is null',
            [jobId, accountId],
          )
          return rows.length === 0
            ? { ok: false, error: { code: 'NOT_FOUND', message: `no job ${jobId}` } }
            : {
                ok: false,
                error: {
                  code: 'JOB_IN_FLIGHT',
                  message: `job ${jobId} is still ${rows[0]!.status === 'queued' ? 'waiting' : 'running'}: cancel it first, then delete it`,
                },
              }
        }
        if (claimed !== 1) throw new Error(`deleting job ${jobId} marked ${claimed} rows`)
        const images = await tx.all<{ id: string }>('select id from images where job_id = ?', [jobId])
        await deleteOpenReports(
          tx,
          images.map((i) => i.id),
        )
        await tx.run('delete from images where job_id = ?', [jobId])
        return { ok: true, value: images.map((i) => i.id) }
      },
    },
    ctx.clock,
  )
  if (!outcome.ok) return outcome
  await removeFiles(ctx, accountId, outcome.value)
  return { ok: true, value: { imagesDeleted: outcome.value.length } }
}

/**
 * Reports of these images that no administrator has dealt with: with the image gone there is
 * nothing left to decide. Reports already resolved stay, as the record of what was done.
 */
async function deleteOpenReports(tx: SqlTx, imageIds: readonly string[]): Promise<void> {
  if (imageIds.length === 0) return
  await tx.run(
    `delete from image_reports where resolved_at is null and image_id in (${imageIds.map(() => '?').join(', ')})`,
    imageIds,
  )
}

/** Removes the files after the commit; one that cannot be is left (no row names it) and logged. */
async function removeFiles(ctx: Deletes, accountId: string, imageIds: readonly string[]): Promise<void> {
  const removed = await Promise.allSettled(imageIds.map((id) => ctx.store.remove(accountId, id)))
  removed.forEach((r, i) => {
    if (r.status === 'rejected') {
      ctx.log?.warn({ err: r.reason, imageId: imageIds[i] }, 'a deleted image’s file could not be removed')
    }
  })
}
