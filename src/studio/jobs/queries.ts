import { sql } from 'kysely'
import type { JobContext } from './context.ts'
import { type ImageView, type JobView, toImageView, toJobView } from './rows.ts'

type Reads = Pick<JobContext, 'kysely' | 'registry'>

/** How often a job another process runs is looked at by `waitForJob`. */
const POLL_OTHER_PROCESS_MS = 250

export async function getJob(ctx: Reads, accountId: string, jobId: string): Promise<JobView | null> {
  const row = await ctx.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', jobId)
    .where('account_id', '=', accountId)
    // A job its owner deleted is gone for every reader; its row stays for the ledger's record.
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (!row) return null
  const images = await ctx.kysely
    .selectFrom('images')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('position')
    .execute()
  return toJobView(row, images.map(toImageView), isProcedural(ctx, row.engine))
}

/**
 * Jobs of an account, newest first, with their images; `before` is the last id of the page before;
 * `q` keeps those whose prompt contains it, in any case (on SQLite, case is folded for ASCII
 * letters only: its `lower()` knows no others). Deleted jobs are never listed.
 */
export async function listJobs(
  ctx: Reads,
  accountId: string,
  options: { limit?: number; before?: string; favourites?: boolean; q?: string } = {},
): Promise<{ jobs: JobView[]; nextBefore: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 20, 1), 100)
  let query = ctx.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null)
  if (options.before) query = query.where('id', '<', options.before)
  if (options.q) {
    // The text is matched as it is: a % or _ in it is a character to find, not a wildcard.
    query = query.where(sql<boolean>`lower(prompt) like lower(${containing(options.q)}) escape '!'`)
  }
  if (options.favourites) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('images')
          .select('images.id')
          .whereRef('images.job_id', '=', 'jobs.id')
          .where('images.favourited_at', 'is not', null),
      ),
    )
  }
  const rows = await query
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  const images =
    page.length === 0
      ? []
      : await ctx.kysely
          .selectFrom('images')
          .selectAll()
          .where(
            'job_id',
            'in',
            page.map((r) => r.id),
          )
          .orderBy('position')
          .execute()
  const jobs = page.map((r) =>
    toJobView(
      r,
      images
        .filter((i) => i.job_id === r.id && (!options.favourites || i.favourited_at !== null))
        .map(toImageView),
      isProcedural(ctx, r.engine),
    ),
  )
  return { jobs, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null }
}

/** An account's images, newest first. */
export async function listImages(
  ctx: Pick<JobContext, 'kysely'>,
  accountId: string,
  options: { limit?: number; before?: string; favourites?: boolean } = {},
): Promise<{ images: ImageView[]; nextBefore: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200)
  let query = ctx.kysely.selectFrom('images').selectAll().where('account_id', '=', accountId)
  if (options.before) query = query.where('id', '<', options.before)
  if (options.favourites) query = query.where('favourited_at', 'is not', null)
  const rows = await query
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  return {
    images: page.map(toImageView),
    nextBefore: rows.length > limit ? page[page.length - 1]!.id : null,
  }
}

/** One image of the account; null for another account's image or an unknown id. */
export async function getImage(
  ctx: Pick<JobContext, 'kysely'>,
  accountId: string,
  imageId: string,
): Promise<ImageView | null> {
  const row = await ctx.kysely
    .selectFrom('images')
    .selectAll()
    .where('id', '=', imageId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return row ? toImageView(row) : null
}

/** The image and its owner's account, for a signed URL (which carries no account). */
export async function findImage(
  ctx: Pick<JobContext, 'kysely'>,
  imageId: string,
): Promise<{ image: ImageView; accountId: string } | null> {
  const row = await ctx.kysely.selectFrom('images').selectAll().where('id', '=', imageId).executeTakeFirst()
  return row ? { image: toImageView(row), accountId: row.account_id } : null
}

export async function setFavourite(
  ctx: Pick<JobContext, 'kysely' | 'clock'>,
  accountId: string,
  imageId: string,
  favourite: boolean,
): Promise<ImageView | null> {
  await ctx.kysely
    .updateTable('images')
    .set({ favourited_at: favourite ? ctx.clock.now() : null })
    .where('id', '=', imageId)
    .where('account_id', '=', accountId)
    // Favouriting again keeps the first time.
    .$if(favourite, (q) => q.where('favourited_at', 'is', null))
    .execute()
  return getImage(ctx, accountId, imageId)
}

/** Resolves with the job once it has finished, wherever it runs. */
export async function waitForJob(
  ctx: Pick<JobContext, 'kysely' | 'registry' | 'local'>,
  accountId: string,
  jobId: string,
): Promise<JobView> {
  const local = ctx.local.running.get(jobId)
  if (local) return local
  for (;;) {
    const job = await getJob(ctx, accountId, jobId)
    if (!job) throw new Error(`job ${jobId} vanished`)
    if (job.status !== 'queued' && job.status !== 'running') return job
    const again = ctx.local.running.get(jobId)
    if (again) return again
    // Another process runs it: look again shortly.
    await new Promise((resolve) => setTimeout(resolve, POLL_OTHER_PROCESS_MS))
  }
}

/**
 * A LIKE pattern matching text that contains `text`, its wildcards (and the escape character, `!`:
 * a backslash would mean different things to the two databases' string literals) escaped.
 *
 * @example containing('50%_off!') // '%50!%!_off!!%'
 */
export function containing(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`
}

function isProcedural(ctx: Pick<JobContext, 'registry'>, engineName: string): boolean {
  return ctx.registry.engines.find((e) => e.name === engineName)?.procedural ?? false
}
