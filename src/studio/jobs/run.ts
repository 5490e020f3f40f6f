import type { JobsTable } from '../../db/schema.ts'
import {
  EngineError,
  type EngineProgress,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
} from '../../engines/engine.ts'
import type { JobContext } from './context.ts'
import { engineRequest } from './engine-request.ts'
import type { LiveJob } from './events.ts'
import { getJob } from './queries.ts'
import type { Inputs } from './request.ts'
import { type JobView, toJobView } from './rows.ts'
import { fail, finish, type Settles } from './settle.ts'

type Runs = Settles & Pick<JobContext, 'engines' | 'local' | 'observer'>

type Outcome = { ok: true; result: EngineResult } | { ok: false; error: unknown }

/**
 * Runs the job; anything unexpected on the way (a full disk, a lost database connection) fails
 * it and releases its hold rather than leaving credits held and the job running. `live` is what its
 * listeners hear (its status and progress) and how a cancel reaches its run.
 */
export async function runJob(
  ctx: Runs,
  row: JobsTable,
  engine: ImageEngine,
  inputs: Inputs,
  live: LiveJob,
): Promise<JobView> {
  try {
    return await execute(ctx, row, engine, inputs, live)
  } catch (error) {
    ctx.log?.error({ err: error, jobId: row.id }, 'job failed unexpectedly')
    return fail(
      ctx,
      row,
      'INTERNAL',
      'Easel could not finish the job (an internal error); nothing was charged',
    )
  }
}

async function execute(
  ctx: Runs,
  row: JobsTable,
  engine: ImageEngine,
  inputs: Inputs,
  live: LiveJob,
): Promise<JobView> {
  if (live.cancelled.signal.aborted) return cancelled(ctx, row, live)
  if (ctx.local.stopping) return fail(ctx, row, 'CANCELLED', 'Easel was shutting down before the job started')
  const startedAt = ctx.clock.now()
  ctx.observer?.dequeued(row.engine, startedAt - row.created_at)
  if (startedAt - row.created_at > ctx.engines.queueTimeoutMs) {
    return fail(ctx, row, 'QUEUE_TIMEOUT', `the job waited longer than ${row.engine}'s queue allows`)
  }
  // Through the database's group commit (sharing a durable commit with other operations), and not
  // waited for before the engine starts: only settling the job needs it done.
  const startedWrite = ctx.write(
    {
      name: 'job-started',
      locks: {},
      run: (tx) =>
        tx.run("update jobs set status = 'running', started_at = ? where id = ? and status = 'queued'", [
          startedAt,
          row.id,
        ]),
    },
    ctx.clock,
  )
  row = { ...row, status: 'running', started_at: startedAt }
  live.view = toJobView(row, [], engine.procedural)
  ctx.events.emit(live.view)

  const request = engineRequest(row, inputs)
  const ranFrom = performance.now()
  const outcome = await callEngine(ctx, engine, request, live)
  ctx.observer?.ran(row.engine, performance.now() - ranFrom, outcome.ok ? null : outcome.error)
  // Settled meanwhile (cancelled through another process, or a peer took this process for crashed
  // and released the hold): nothing to settle.
  if ((await startedWrite) === 0) return (await getJob(ctx, row.account_id, row.id))!
  if (live.cancelled.signal.aborted) return cancelled(ctx, row, live)
  if (!outcome.ok) return failedByEngine(ctx, row, engine, outcome.error)
  return finish(ctx, row, engine, outcome.result.images.slice(0, request.n), request.size)
}

/**
 * The engine's answer, or what it threw; bounded by the engine timeout, a shutdown and a cancel.
 * Once the signal aborts the job no longer waits for the engine (which should stop at its backend
 * too): an engine that ignores the signal cannot keep the hold, or a cancel's answer, waiting.
 */
async function callEngine(
  ctx: Runs,
  engine: ImageEngine,
  request: EngineRequest,
  live: LiveJob,
): Promise<Outcome> {
  const signal = AbortSignal.any([
    AbortSignal.timeout(ctx.engines.timeoutMs),
    ctx.local.shutdown,
    live.cancelled.signal,
  ])
  const reason = () =>
    signal.reason instanceof EngineError ? signal.reason : timeoutError(ctx.engines.timeoutMs)
  let stop = () => {}
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = () => reject(reason())
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
  })
  let open = true
  const onProgress = (progress: EngineProgress) => {
    // An engine still drawing after the job stopped waiting for it is not heard.
    if (open) tellProgress(ctx, live, progress)
  }
  try {
    const result = await Promise.race([engine.run(request, { signal, onProgress }), stopped])
    if (signal.aborted) throw reason()
    return { ok: true, result }
  } catch (error) {
    return { ok: false, error }
  } finally {
    open = false
    signal.removeEventListener('abort', stop)
  }
}

/**
 * Keeps the run's progress (done / total, 0 to 1) for its listeners and readers, telling the
 * listeners only when the whole percent changes: an engine may report every sampling step.
 */
function tellProgress(ctx: Pick<Runs, 'events'>, live: LiveJob, progress: EngineProgress): void {
  const { done, total } = progress
  if (!(total > 0) || !Number.isFinite(done) || !Number.isFinite(total)) return
  const fraction = Math.min(1, Math.max(0, done / total))
  const told = live.view.progress
  if (told !== null && Math.floor(told * 100) === Math.floor(fraction * 100)) return
  live.view = { ...live.view, progress: fraction }
  ctx.events.emit(live.view)
}

/** Settles a job cancelled while it ran: status `cancelled`, its hold released. */
function cancelled(ctx: Runs, row: JobsTable, live: LiveJob): Promise<JobView> {
  const why = live.cancelled.signal.reason
  const message = why instanceof Error ? why.message : 'the job was cancelled; nothing was charged'
  return fail(ctx, row, 'CANCELLED', message, 'cancelled')
}

/** Fails the job with the engine's own code, a timeout, or ENGINE_ERROR for anything else. */
function failedByEngine(ctx: Runs, row: JobsTable, engine: ImageEngine, error: unknown): Promise<JobView> {
  if (error instanceof EngineError) {
    const e = error.code === 'TIMEOUT' ? timeoutError(ctx.engines.timeoutMs) : error
    return fail(ctx, row, e.code, e.message)
  }
  if ((error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError') {
    const e = timeoutError(ctx.engines.timeoutMs)
    return fail(ctx, row, e.code, e.message)
  }
  ctx.log?.error({ err: error, jobId: row.id, engine: engine.name }, 'engine failed unexpectedly')
  return fail(ctx, row, 'ENGINE_ERROR', `the ${engine.name} engine failed unexpectedly`)
}

function timeoutError(timeoutMs: number): EngineError {
  return new EngineError(
    'TIMEOUT',
    `the engine did not finish within ${Math.round(timeoutMs / 1000)} s; nothing was charged`,
  )
}
