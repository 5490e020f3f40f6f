import type { JobsTable } from '../../db/schema.ts'
import { EngineError, type EngineRequest, type EngineResult, type ImageEngine } from '../../engines/engine.ts'
import type { JobContext } from './context.ts'
import { engineRequest } from './engine-request.ts'
import { getJob } from './queries.ts'
import type { Inputs } from './request.ts'
import { type JobView, toJobView } from './rows.ts'
import { fail, finish, type Settles } from './settle.ts'

type Runs = Settles & Pick<JobContext, 'engines' | 'local'>

type Outcome = { ok: true; result: EngineResult } | { ok: false; error: unknown }

/**
 * Runs the job; anything unexpected on the way (a full disk, a lost database connection) fails
 * it and releases its hold rather than leaving credits held and the job running.
 */
export async function runJob(
  ctx: Runs,
  row: JobsTable,
  engine: ImageEngine,
  inputs: Inputs,
): Promise<JobView> {
  try {
    return await execute(ctx, row, engine, inputs)
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

async function execute(ctx: Runs, row: JobsTable, engine: ImageEngine, inputs: Inputs): Promise<JobView> {
  if (ctx.local.stopping) return fail(ctx, row, 'CANCELLED', 'Easel was shutting down before the job started')
  const startedAt = ctx.clock.now()
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
  ctx.events.emit(toJobView(row, [], engine.procedural))

  const request = engineRequest(row, inputs)
  const outcome = await callEngine(ctx, engine, request)
  // Failed meanwhile (a peer took this process for crashed and released the hold): nothing to settle.
  if ((await startedWrite) === 0) return (await getJob(ctx, row.account_id, row.id))!
  if (!outcome.ok) return failedByEngine(ctx, row, engine, outcome.error)
  return finish(ctx, row, engine, outcome.result.images.slice(0, request.n), request.size)
}

/** The engine's answer, or what it threw; bounded by the engine timeout and a shutdown. */
async function callEngine(ctx: Runs, engine: ImageEngine, request: EngineRequest): Promise<Outcome> {
  const signal = AbortSignal.any([AbortSignal.timeout(ctx.engines.timeoutMs), ctx.local.shutdown])
  try {
    const result = await engine.run(request, { signal })
    if (signal.aborted) {
      throw signal.reason instanceof EngineError ? signal.reason : timeoutError(ctx.engines.timeoutMs)
    }
    return { ok: true, result }
  } catch (error) {
    return { ok: false, error }
  }
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
