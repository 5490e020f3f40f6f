import type { ImagesTable, JobsTable } from '../../db/schema.ts'
import type { SqlTx } from '../../db/writer/index.ts'
import { dimensionsOf, type EngineResult, type ImageEngine, type SizeName } from '../../engines/engine.ts'
import { pngInfo } from '../../images/png.ts'
import { newId } from '../../util/ids.ts'
import { flagText, type ModerationFlag, ModerationUnavailable } from '../moderation.ts'
import type { JobContext } from './context.ts'
import { getJob } from './queries.ts'
import { pricingOf } from './request.ts'
import { insertRow, type JobView, readParameters, toImageView, toJobView } from './rows.ts'

/** How long the moderation of a job's images may take; past it the job fails, nothing charged. */
const IMAGE_MODERATION_TIMEOUT_MS = 30_000

/** What settling a job touches: the ledger, the image store, the job's row and its listeners. */
export type Settles = Pick<
  JobContext,
  | 'kysely'
  | 'write'
  | 'registry'
  | 'ledger'
  | 'clock'
  | 'store'
  | 'events'
  | 'log'
  | 'onCharged'
  | 'moderation'
  | 'observer'
>

/**
 * Stores the images, then captures what they cost; anything short of that releases the hold.
 * Files first (in parallel, each durable), then one transaction: capture, the image rows and the
 * job's success. A crash before it leaves files no row points at, and nothing charged.
 */
export async function finish(
  ctx: Settles,
  row: JobsTable,
  engine: ImageEngine,
  images: EngineResult['images'],
  size: SizeName,
): Promise<JobView> {
  if (images.length === 0)
    return fail(ctx, row, 'NO_IMAGES', 'the engine returned no images; nothing was charged')
  const { width, height } = dimensionsOf(size)
  for (const image of images) {
    const info = pngInfo(image.png)
    if (!info || info.width !== width || info.height !== height) {
      return fail(
        ctx,
        row,
        'UPSTREAM_ERROR',
        `the ${engine.name} engine returned an image that is not a ${size} PNG`,
      )
    }
  }
  // Withheld images are never stored: the owner is told why, and nothing is charged.
  let flag: ModerationFlag | null
  try {
    flag = await ctx.moderation.checkImages(
      images.map((i) => i.png),
      AbortSignal.timeout(IMAGE_MODERATION_TIMEOUT_MS),
    )
  } catch (error) {
    if (!(error instanceof ModerationUnavailable)) throw error
    // Fails closed: images nobody could check are not kept.
    return fail(
      ctx,
      row,
      'MODERATION_UNAVAILABLE',
      `this installation's moderation could not check the images (${error.message}); they were not kept and nothing was charged`,
    )
  }
  if (flag !== null) {
    return fail(
      ctx,
      row,
      'CONTENT_POLICY',
      `the images were withheld by this installation's moderation (${flagText(flag)}); nothing was charged`,
    )
  }
  const now = ctx.clock.now()
  const rows = await storeImages(ctx, row, engine, images, { width, height }, now)
  const amount = await priceOfReturned(ctx, row, images.length)
  let finishedAt = now
  const captured = await ctx.ledger.capture(
    { holdId: row.hold_id!, amount },
    {
      alsoWrite: (tx, receipt, at) => {
        finishedAt = at
        for (const image of rows) insertRow(tx, 'images', { ...image })
        tx.write(
          "update jobs set status = 'succeeded', credits_charged = ?, finished_at = ? where id = ?",
          [receipt.captured, at, row.id],
          1,
        )
      },
    },
  )
  if (!captured.ok) {
    // The hold ran out (or was released by a recovery) before the images arrived: they are
    // dropped, not given away and not charged.
    // A store that fails to remove one (S3 unreachable) leaves an orphan named by ids, never the
    // job unfailed and its hold's end unrecorded.
    await Promise.all(
      rows.map((r) =>
        ctx.store.remove(row.account_id, r.id).catch((error: unknown) => {
          ctx.log?.warn({ err: error, imageId: r.id }, 'a dropped image’s file could not be removed')
        }),
      ),
    )
    return fail(
      ctx,
      row,
      'TIMEOUT',
      `the job outlived its hold (${captured.error.code}); nothing was charged`,
    )
  }
  const job = toJobView(
    { ...row, status: 'succeeded', credits_charged: captured.value.captured, finished_at: finishedAt },
    rows.map(toImageView),
    engine.procedural,
  )
  charged(ctx, row.account_id)
  ctx.observer?.settled(row.engine, 'succeeded')
  ctx.events.emit(job)
  return job
}

/** Tells the hook a charge committed; the job neither waits for it nor fails with it. */
function charged(ctx: Pick<Settles, 'onCharged' | 'log'>, accountId: string): void {
  if (!ctx.onCharged) return
  const logged = (error: unknown) =>
    ctx.log?.error({ accountId, err: error }, 'the hook after a job’s charge failed; the job stands')
  try {
    const running = ctx.onCharged(accountId)
    if (running instanceof Promise) running.catch(logged)
  } catch (error) {
    logged(error)
  }
}

/** Writes every image or none: when one write fails, those written are removed and it throws. */
async function storeImages(
  ctx: Pick<JobContext, 'store'>,
  row: JobsTable,
  engine: ImageEngine,
  images: EngineResult['images'],
  size: { width: number; height: number },
  now: number,
): Promise<ImagesTable[]> {
  const ids = images.map(() => newId('img'))
  const written = await Promise.allSettled(
    images.map((image, i) => ctx.store.write(row.account_id, ids[i]!, image.png)),
  )
  const failed = written.find((w) => w.status === 'rejected')
  if (failed) {
    await Promise.all(ids.map((id) => ctx.store.remove(row.account_id, id).catch(() => {})))
    throw (failed as PromiseRejectedResult).reason
  }
  return images.map((_, position) => {
    const { bytes, sha256 } = (written[position] as PromiseFulfilledResult<{ bytes: number; sha256: string }>)
      .value
    return {
      id: ids[position]!,
      job_id: row.id,
      account_id: row.account_id,
      position,
      width: size.width,
      height: size.height,
      bytes,
      sha256,
      procedural: engine.procedural ? 1 : 0,
      favourited_at: null,
      created_at: now,
      removed_at: null,
      removed_reason: null,
      removed_by: null,
    }
  })
}

/**
 * Fewer images than asked for cost what that many would have, at the price of the job's time: the
 * same parameters (size, resolved quality, model) as its quote, `n` aside.
 */
async function priceOfReturned(
  ctx: Pick<JobContext, 'ledger'>,
  row: JobsTable,
  returned: number,
): Promise<number> {
  const { size, quality } = readParameters(row.parameters)
  const requoted = await ctx.ledger.quote({
    operation: row.kind,
    parameters: pricingOf({ n: returned, size, quality, model: row.model }),
    at: row.created_at,
  })
  return requoted.ok ? Math.min(requoted.value.credits, row.credits_quoted) : row.credits_quoted
}

/** Releases the job's hold and records why it failed. */
export async function fail(
  ctx: Settles,
  row: JobsTable,
  code: string,
  message: string,
  /** `cancelled` when its owner cancelled it; either way the hold is released. */
  status: 'failed' | 'cancelled' = 'failed',
): Promise<JobView> {
  const markFailed = (tx: SqlTx, at: number) =>
    tx.run(
      "update jobs set status = ?, error_code = ?, error_message = ?, finished_at = ? where id = ? and status in ('queued', 'running')",
      [status, code, message, at, row.id],
    )
  // The release and the job's failure commit together.
  const released = row.hold_id
    ? await ctx.ledger.release(
        { holdId: row.hold_id },
        { alsoWrite: (tx, _r, at) => markFailed(tx, at).then(() => {}) },
      )
    : null
  // Counted once, by the process whose release or update settled it (not one that found it settled).
  let settledHere = released?.ok === true
  if (!released?.ok) {
    if (
      released &&
      released.error.code !== 'HOLD_ALREADY_SETTLED' &&
      released.error.code !== 'HOLD_EXPIRED'
    ) {
      ctx.log?.error({ jobId: row.id, error: released.error }, 'could not release a failed job’s hold')
    }
    // No hold to release with it: the failure alone, through the database's group commit.
    settledHere = (await ctx.write({ name: 'job-failed', locks: {}, run: markFailed }, ctx.clock)) > 0
  }
  const job = (await getJob(ctx, row.account_id, row.id))!
  if (settledHere) ctx.observer?.settled(row.engine, job.status)
  ctx.events.emit(job)
  return job
}
