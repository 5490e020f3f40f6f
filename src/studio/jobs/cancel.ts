import { EngineError } from '../../engines/engine.ts'
import type { JobContext } from './context.ts'
import type { LiveJob } from './events.ts'
import { getJob } from './queries.ts'
import type { JobView } from './rows.ts'
import { fail, type Settles } from './settle.ts'

type Cancels = Settles & Pick<JobContext, 'local'>

/** How many job ids one look at the database for jobs settled elsewhere names at most. */
const IDS_PER_QUERY = 500

const finished = (status: string) => status !== 'queued' && status !== 'running'

/**
 * Cancels a job of the account: one waiting is taken out of line (its engine never sees it), one
 * running has its run aborted with `EngineError('CANCELLED')` (the engine stops it at its backend).
 * Either way its hold is released, nothing is charged and its status becomes `cancelled`. A job
 * that finished meanwhile is answered as it is, and so is one cancelled before: cancelling twice
 * is harmless. Null for another account's job or an unknown id.
 *
 * A job another process runs (several processes on one PostgreSQL) is cancelled through the
 * database: its row is marked and its hold released in one transaction, guarded as every settling
 * is (`… where status in ('queued', 'running')`), so that its runner's capture then fails and its
 * images are dropped; that process sees it within a second ({@link stopSettledElsewhere}) and stops
 * its engine. The ledger never charges a cancelled job.
 *
 * @example
 *   const job = await cancelJob(ctx, 'acct_…', 'job_…')
 *   job?.status // 'cancelled', or 'succeeded' when it finished first
 */
export async function cancelJob(ctx: Cancels, accountId: string, jobId: string): Promise<JobView | null> {
  const live = ctx.local.live.get(jobId)
  if (live && live.view.accountId === accountId) {
    const before = live.view.status === 'queued' ? 'before it started' : 'while it ran'
    stop(live, new EngineError('CANCELLED', `the job was cancelled ${before}; nothing was charged`))
    const done = ctx.local.running.get(jobId)
    if (done) return done
  }
  const row = await ctx.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', jobId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  if (!row) return null
  if (finished(row.status)) return getJob(ctx, accountId, jobId)
  const before = row.status === 'queued' ? 'before it started' : 'while it ran'
  return fail(ctx, row, 'CANCELLED', `the job was cancelled ${before}; nothing was charged`, 'cancelled')
}

/**
 * Stops, in this process, the jobs queued or running here that the database says are settled: a
 * cancel through another process, or a peer's recovery that took this process for gone. Their
 * settling is already done (the guard makes this process's own a no-op); what is left is to keep
 * the engine from working for nothing. Returns how many it stopped.
 */
export async function stopSettledElsewhere(ctx: Pick<JobContext, 'kysely' | 'local'>): Promise<number> {
  const ids = [...ctx.local.live.keys()]
  let stopped = 0
  for (let from = 0; from < ids.length; from += IDS_PER_QUERY) {
    const settled = await ctx.kysely
      .selectFrom('jobs')
      .select(['id', 'error_message'])
      .where('id', 'in', ids.slice(from, from + IDS_PER_QUERY))
      .where('status', 'not in', ['queued', 'running'])
      .execute()
    for (const { id, error_message } of settled) {
      const live = ctx.local.live.get(id)
      if (!live) continue
      stop(live, new EngineError('CANCELLED', error_message ?? 'the job was settled by another process'))
      stopped++
    }
  }
  return stopped
}

/** Takes the job out of its line, or, once it has left it, aborts its run. */
function stop(live: LiveJob, reason: EngineError): void {
  if (!live.queue.remove(live.view.id, reason)) live.cancelled.abort(reason)
}
