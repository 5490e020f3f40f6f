import type { JobContext } from './context.ts'
import { fail, type Settles } from './settle.ts'

/**
 * Fails the jobs of processes that are gone (crashed, or stopped without finishing them) and
 * releases their holds; a job whose hold was already captured had stored its images, so it is
 * marked succeeded. Returns how many jobs it settled.
 */
export async function recoverOrphans(ctx: Settles & Pick<JobContext, 'runners'>): Promise<number> {
  const unfinished = await ctx.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('status', 'in', ['queued', 'running'])
    .where((eb) => eb.or([eb('runner_id', 'is', null), eb('runner_id', '!=', ctx.runners.id)]))
    .execute()
  if (unfinished.length === 0) return 0
  const gone = await ctx.runners.gone([...new Set(unfinished.map((j) => j.runner_id ?? ''))])
  let settled = 0
  for (const row of unfinished) {
    if (row.runner_id !== null && !gone.has(row.runner_id)) continue
    const hold = row.hold_id
      ? await ctx.kysely
          .selectFrom('holds')
          .select(['status', 'captured'])
          .where('id', '=', row.hold_id)
          .executeTakeFirst()
      : undefined
    if (hold?.status === 'captured') {
      await ctx.kysely
        .updateTable('jobs')
        .set({ status: 'succeeded', credits_charged: hold.captured, finished_at: ctx.clock.now() })
        .where('id', '=', row.id)
        .where('status', 'in', ['queued', 'running'])
        .execute()
    } else {
      // Image rows commit only with the capture, so an uncaptured job has none to remove.
      await fail(ctx, row, 'INTERRUPTED', 'Easel stopped while the job was running; nothing was charged')
    }
    settled++
  }
  return settled
}
