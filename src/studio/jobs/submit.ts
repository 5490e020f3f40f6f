import type { Ledger, Result } from '../../credits/index.ts'
import type { JobsTable } from '../../db/schema.ts'
import { EngineError } from '../../engines/engine.ts'
import { newId } from '../../util/ids.ts'
import type { EngineQueue } from '../engine-queue.ts'
import { fromCreditError, refuse, type StudioError } from '../errors.ts'
import { flagText, type ModerationFlag, ModerationUnavailable } from '../moderation.ts'
import type { JobContext } from './context.ts'
import type { LiveJob } from './events.ts'
import { getJob, waitForJob } from './queries.ts'
import { type CheckedRequest, checkRequest, type JobInput, pricingOf } from './request.ts'
import { insertRow, type JobView, toJobView, writeParameters } from './rows.ts'
import { runJob } from './run.ts'
import { fail } from './settle.ts'

export interface Submitted {
  job: JobView
  /** Resolves when the job has finished (succeeded or failed). */
  done: Promise<JobView>
  /** True when the idempotency key named a job made earlier: nothing new was held. */
  replayed: boolean
}

type Answer = Result<Submitted, StudioError>

/** How long a prompt's moderation may take before the request fails (nothing held yet). */
const MODERATION_TIMEOUT_MS = 15_000
/** A step of a submission: go on with `next`, or answer the caller now (a refusal or a replay). */
type Step<T> = { next: T } | { answer: Answer }

/**
 * Checks a request, holds its price and queues it. Refusals (bad input, a blocked prompt, not
 * enough credits, too many jobs of the account in flight, a full queue) hold nothing and write
 * nothing.
 */
export async function submitJob(ctx: JobContext, input: JobInput): Promise<Answer> {
  if (ctx.local.stopping)
    return refuse({ code: 'SHUTTING_DOWN', message: 'Easel is shutting down; try again shortly' })
  const admitted = await admit(ctx, input)
  if ('answer' in admitted) return admitted.answer
  const checked = admitted.next

  // The cap is checked and the job counted with nothing awaited in between, so that an account's
  // concurrent submissions cannot all pass the check; uncounted on any refusal below, else when
  // the job ends.
  const slot = claimSlot(ctx, input.accountId, checked)
  if (!slot.ok) return slot
  const queue = slot.value
  let queued = false
  try {
    const held = await holdJob(ctx, input, checked)
    if ('answer' in held) return held.answer
    const row = held.next
    const job = toJobView(row, [], checked.engine.procedural)
    // Known before it is offered: a job that starts at once tells its listeners from within `offer`.
    const live: LiveJob = { view: job, queue, cancelled: new AbortController() }
    ctx.local.live.set(row.id, live)
    const offered = queue.offer(
      input.accountId,
      () =>
        runJob(ctx, row, checked.engine, checked.inputs, live).finally(() =>
          countJob(ctx.local.inFlight, input.accountId, -1),
        ),
      row.id,
    )
    if (!offered) {
      ctx.local.live.delete(row.id)
      // The queue filled between the check and now (a burst): this job is failed, its hold released.
      const failed = await fail(
        ctx,
        row,
        'QUEUE_FULL',
        `the ${checked.engine.name} engine's queue is full; try again shortly`,
      )
      return { ok: true, value: { job: failed, done: Promise.resolve(failed), replayed: false } }
    }
    queued = true
    const done = offered.then(undefined, (error: unknown) => {
      // Taken out of line before it started (see cancel.ts): it never ran, and is settled here.
      if (!(error instanceof EngineError && error.code === 'CANCELLED')) throw error
      countJob(ctx.local.inFlight, input.accountId, -1)
      return fail(ctx, row, error.code, error.message, 'cancelled')
    })
    ctx.local.running.set(row.id, done)
    done
      .finally(() => {
        ctx.local.running.delete(row.id)
        ctx.local.live.delete(row.id)
      })
      .catch(() => {})
    const queuePosition = queue.positionOf(row.id)
    if (live.view.status === 'queued') live.view = { ...live.view, queuePosition }
    return { ok: true, value: { job: { ...job, queuePosition }, done, replayed: false } }
  } finally {
    if (!queued) countJob(ctx.local.inFlight, input.accountId, -1)
  }
}

/** The request checked, its prompt past the content policy, and not a retry of an earlier job. */
async function admit(ctx: JobContext, input: JobInput): Promise<Step<CheckedRequest>> {
  const checked = await checkRequest(input, {
    registry: ctx.registry,
    pricing: ctx.ledger.pricing,
    clock: ctx.clock,
    limits: ctx.limits,
  })
  if (!checked.ok) return { answer: checked }
  const blocked = ctx.policy.check(checked.value.prompt)
  if (blocked !== null) {
    return {
      answer: refuse({
        code: 'CONTENT_POLICY',
        message: `the prompt was refused by this installation's content policy ("${blocked}"); nothing was charged`,
      }),
    }
  }
  if (input.idempotencyKey !== undefined) {
    const earlier = await findByIdempotencyKey(
      ctx,
      input.accountId,
      input.idempotencyKey,
      checked.value.requestHash,
    )
    if (earlier) return { answer: earlier }
  }
  if (checked.value.prompt !== null) {
    let flag: ModerationFlag | null
    try {
      flag = await ctx.moderation.checkPrompt(
        checked.value.prompt,
        AbortSignal.timeout(MODERATION_TIMEOUT_MS),
      )
    } catch (error) {
      if (!(error instanceof ModerationUnavailable)) throw error
      // Fails closed: an unchecked prompt does not go ahead.
      return {
        answer: refuse({
          code: 'MODERATION_UNAVAILABLE',
          message: `this installation's moderation could not check the prompt (${error.message}); nothing was charged, try again later`,
        }),
      }
    }
    if (flag !== null) {
      return {
        answer: refuse({
          code: 'CONTENT_POLICY',
          message: `the prompt was flagged by this installation's moderation (${flagText(flag)}); nothing was charged`,
        }),
      }
    }
  }
  return { next: checked.value }
}

/** Counts the job against its account's cap and finds its engine's queue room, or refuses; synchronous. */
function claimSlot(
  ctx: Pick<JobContext, 'engines' | 'queues' | 'local'>,
  accountId: string,
  checked: CheckedRequest,
): Result<EngineQueue, StudioError> {
  const limit = ctx.engines.maxJobsPerAccount
  const inFlight = ctx.local.inFlight.get(accountId) ?? 0
  if (inFlight >= limit) {
    return refuse({
      code: 'TOO_MANY_JOBS',
      message: `this account already has ${inFlight} jobs waiting or running and may have at most ${limit} at once; try again when one finishes (nothing was charged)`,
      inFlight,
      limit,
    })
  }
  const queue = ctx.queues.get(checked.engine.name)!
  if (!queue.hasRoom()) {
    return refuse({
      code: 'QUEUE_FULL',
      message: `the ${checked.engine.name} engine has ${queue.size.waiting} jobs waiting; try again shortly`,
    })
  }
  countJob(ctx.local.inFlight, accountId, 1)
  return { ok: true, value: queue }
}

/** Jobs of each account in flight in this process; the count is what the per-account cap reads. */
function countJob(inFlight: Map<string, number>, accountId: string, change: 1 | -1): void {
  const count = (inFlight.get(accountId) ?? 0) + change
  // A bug (a job uncounted twice), not an outcome: the cap would stop holding.
  if (count < 0) throw new Error(`jobs in flight of ${accountId} went below zero`)
  if (count === 0) inFlight.delete(accountId)
  else inFlight.set(accountId, count)
}

/** Quotes the job and holds its price; the job's row is written in the hold's transaction. */
async function holdJob(ctx: JobContext, input: JobInput, checked: CheckedRequest): Promise<Step<JobsTable>> {
  const parameters = pricingOf(checked)
  const quoted = await ctx.ledger.quote({ operation: input.kind, parameters })
  if (!quoted.ok) return { answer: refuse(fromCreditError(quoted.error)) }
  const quote = quoted.value
  const row = jobRow(ctx, input, checked, quote)
  let held: Awaited<ReturnType<Ledger['hold']>>
  try {
    // A hold never exists without its job.
    held = await ctx.ledger.hold(
      {
        accountId: input.accountId,
        amount: quote.credits,
        ttlMs: ctx.holdTtlMs,
        reference: row.id,
        pricedBy: { bookVersion: quote.bookVersion, ruleId: quote.ruleId, operation: input.kind, parameters },
      },
      {
        alsoWrite: (tx, receipt) => {
          row.hold_id = receipt.holdId
          row.created_at = receipt.createdAt
          insertRow(tx, 'jobs', { ...row })
        },
      },
    )
  } catch (error) {
    // Two requests with one idempotency key raced and the other's job was written first: this
    // one's hold rolled back with its row; answer with that job.
    if (input.idempotencyKey !== undefined) {
      const earlier = await findByIdempotencyKey(
        ctx,
        input.accountId,
        input.idempotencyKey,
        checked.requestHash,
      )
      if (earlier) return { answer: earlier }
    }
    throw error
  }
  if (!held.ok) return { answer: refuse(fromCreditError(held.error)) }
  return { next: row }
}

function jobRow(
  ctx: Pick<JobContext, 'clock' | 'runners'>,
  input: JobInput,
  checked: CheckedRequest,
  quote: { credits: number; bookVersion: string },
): JobsTable {
  const { engine, model, prompt, requestHash } = checked
  return {
    id: newId('job'),
    account_id: input.accountId,
    user_id: input.userId,
    api_key_id: input.apiKeyId ?? null,
    kind: input.kind,
    engine: engine.name,
    model,
    prompt,
    // The job's `parameters` column (see `JobParameters` in rows.ts).
    parameters: writeParameters(checked),
    status: 'queued',
    hold_id: null,
    credits_quoted: quote.credits,
    credits_charged: 0,
    book_version: quote.bookVersion,
    error_code: null,
    error_message: null,
    idempotency_key: input.idempotencyKey ?? null,
    request_hash: input.idempotencyKey === undefined ? null : requestHash,
    runner_id: ctx.runners.id,
    created_at: ctx.clock.now(),
    started_at: null,
    finished_at: null,
    deleted_at: null,
  }
}

/** The job an idempotency key already named, as a replay; a conflict when the request differs. */
async function findByIdempotencyKey(
  ctx: JobContext,
  accountId: string,
  key: string,
  requestHash: string,
): Promise<Answer | null> {
  const row = await ctx.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst()
  if (!row) return null
  if (row.request_hash !== requestHash) {
    return refuse({
      code: 'IDEMPOTENCY_CONFLICT',
      message: `Idempotency-Key "${key}" was already used for a different request`,
    })
  }
  const job = (await getJob(ctx, accountId, row.id))!
  return { ok: true, value: { job, done: waitForJob(ctx, accountId, row.id), replayed: true } }
}
