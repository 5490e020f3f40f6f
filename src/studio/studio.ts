import { createHash, randomInt } from 'node:crypto'
import type { EnginesConfig } from '../config.ts'
import type { Ledger, Result } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { ImagesTable, JobsTable } from '../db/schema.ts'
import type { SqlTx } from '../db/sql-session.ts'
import {
  EngineError,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type ImageSize,
  type Operation,
} from '../engines/engine.ts'
import { pngInfo } from '../images/png.ts'
import { checkUploadHeader, DEFAULT_MAX_UPLOAD_PIXELS, normaliseUpload } from '../images/upload.ts'
import type { Clock } from '../util/clock.ts'
import { newId } from '../util/ids.ts'
import type { ContentPolicy } from './content-policy.ts'
import { EngineQueue } from './engine-queue.ts'
import type { EngineRegistry } from './engine-registry.ts'
import { fromCreditError, type StudioError, studioValidation } from './errors.ts'
import type { ImageStore } from './image-store.ts'
import type { RunnerRegistry } from './runners.ts'

/** What a caller asks the studio to do; checked here as well as at the HTTP edge. */
export interface JobInput {
  accountId: string
  userId: string
  apiKeyId?: string | null
  kind: Operation
  prompt?: string | null
  /** A model one of the engines offers; the default engine's when left out. */
  model?: string | null
  /** Images wanted; the price book's count for the operation when left out (4 for a generation). */
  n?: number
  size?: number
  seed?: number
  /** The image to edit or vary as uploaded (PNG, JPEG or WebP); engines get it as a square PNG. */
  image?: Buffer
  /** PNG bytes, OpenAI's convention (transparent = change); cut and scaled like the image. */
  mask?: Buffer | null
  idempotencyKey?: string
}

export interface ImageView {
  id: string
  jobId: string
  position: number
  width: number
  height: number
  bytes: number
  sha256: string
  procedural: boolean
  favourite: boolean
  favouritedAt: number | null
  createdAt: number
}

export type JobStatus = JobsTable['status']

export interface JobView {
  id: string
  accountId: string
  kind: Operation
  status: JobStatus
  engine: string
  model: string
  prompt: string | null
  n: number
  size: number
  seed: number
  creditsQuoted: number
  creditsCharged: number
  bookVersion: string | null
  holdId: string | null
  error: { code: string; message: string } | null
  procedural: boolean
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  images: ImageView[]
}

export interface Submitted {
  job: JobView
  /** Resolves when the job has finished (succeeded or failed). */
  done: Promise<JobView>
  /** True when the idempotency key named a job made earlier: nothing new was held. */
  replayed: boolean
}

export type JobListener = (job: JobView) => void

export interface StudioOptions {
  clock: Clock
  store: ImageStore
  registry: EngineRegistry
  policy: ContentPolicy
  runners: RunnerRegistry
  engines: Pick<
    EnginesConfig,
    'timeoutMs' | 'concurrency' | 'queueLimit' | 'queueTimeoutMs' | 'maxJobsPerAccount'
  >
  maxPromptChars: number
  maxUploadBytes: number
  /** Largest upload in pixels, read from its header before decoding; 4096×4096 when left out. */
  maxUploadPixels?: number
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void }
}

/** Jobs the engines may be asked for at once: OpenAI's own limit on `n`. */
export const MAX_IMAGES_PER_JOB = 10
const MAX_SEED = 2 ** 31 - 1
/** How often a peer's crashed jobs are looked for, and how often a job on another process is polled. */
const RECOVER_EVERY_MS = 30_000
const POLL_OTHER_PROCESS_MS = 250

interface Inputs {
  image: Buffer | null
  mask: Buffer | null
}

/**
 * Image jobs, metered the same way whatever the engine: quote → hold → engine → store the images →
 * capture, or release on any failure (engine error, timeout, content refusal, no images, shutdown,
 * a crash found at the next start). The hold lives longer than the longest a job may wait and run,
 * so a job never outlives its hold by design; if it ever did, the images are dropped, not charged.
 */
export class Studio {
  private readonly queues = new Map<string, EngineQueue>()
  private readonly listeners = new Map<string, Set<JobListener>>()
  private readonly running = new Map<string, Promise<JobView>>()
  /** Jobs of each account waiting or running in this process (and submissions past the cap check). */
  private readonly jobsInFlight = new Map<string, number>()
  private readonly shutdown = new AbortController()
  private readonly submitting = new Set<Promise<unknown>>()
  private stopping = false
  private recoverTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Database,
    readonly ledger: Ledger,
    private readonly options: StudioOptions,
  ) {
    for (const engine of options.registry.engines) {
      this.queues.set(engine.name, new EngineQueue(options.engines.concurrency, options.engines.queueLimit))
    }
  }

  private get kysely() {
    return this.db.kysely
  }

  private get clock() {
    return this.options.clock
  }

  /** The hold outlives the longest a job may wait in its queue and then run. */
  get holdTtlMs(): number {
    return this.options.engines.queueTimeoutMs + this.options.engines.timeoutMs + 60_000
  }

  /** Registers this process, fails what crashed processes left running, and keeps doing so for peers. */
  async start(): Promise<{ recovered: number }> {
    await this.options.runners.register()
    const recovered = await this.recoverOrphans()
    this.recoverTimer = setInterval(() => {
      this.recoverOrphans().catch((error) =>
        this.options.log?.error({ err: error }, 'recovering jobs failed'),
      )
    }, RECOVER_EVERY_MS)
    this.recoverTimer.unref()
    return { recovered }
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then stops the rest (their holds
   * are released) and marks this process stopped.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true
    clearInterval(this.recoverTimer)
    await Promise.allSettled([...this.submitting])
    const inFlight = [...this.running.values()]
    if (inFlight.length > 0) {
      let timer: NodeJS.Timeout | undefined
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs)
      })
      await Promise.race([Promise.allSettled(inFlight), grace])
      clearTimeout(timer)
      this.shutdown.abort(new EngineError('CANCELLED', 'Easel is shutting down; the job was stopped'))
      await Promise.allSettled([...this.running.values()])
    }
    await Promise.allSettled(this.options.registry.engines.map((e) => e.close?.()))
    await this.options.runners.stop()
  }

  /**
   * Checks a request, holds its price and queues it. Refusals (bad input, a blocked prompt, not
   * enough credits, too many jobs of the account in flight, a full queue) hold nothing and write
   * nothing.
   */
  async submit(input: JobInput): Promise<Result<Submitted, StudioError>> {
    // Counted until queued, so that a shutdown waits for submissions past the `stopping` check.
    const submitting = this.submitJob(input)
    this.submitting.add(submitting)
    try {
      return await submitting
    } finally {
      this.submitting.delete(submitting)
    }
  }

  private async submitJob(input: JobInput): Promise<Result<Submitted, StudioError>> {
    if (this.stopping)
      return refuse({ code: 'SHUTTING_DOWN', message: 'Easel is shutting down; try again shortly' })
    const checked = await this.check(input)
    if (!checked.ok) return checked
    const { engine, model, n, size, seed, prompt, inputs, requestHash } = checked.value

    const blocked = this.options.policy.check(prompt)
    if (blocked !== null) {
      return refuse({
        code: 'CONTENT_POLICY',
        message: `the prompt was refused by this installation's content policy ("${blocked}"); nothing was charged`,
      })
    }

    if (input.idempotencyKey !== undefined) {
      const earlier = await this.findByIdempotencyKey(input.accountId, input.idempotencyKey, requestHash)
      if (earlier) return earlier
    }

    const limit = this.options.engines.maxJobsPerAccount
    const inFlight = this.jobsInFlight.get(input.accountId) ?? 0
    if (inFlight >= limit) {
      return refuse({
        code: 'TOO_MANY_JOBS',
        message: `this account already has ${inFlight} jobs waiting or running and may have at most ${limit} at once; try again when one finishes (nothing was charged)`,
        inFlight,
        limit,
      })
    }
    const queue = this.queues.get(engine.name)!
    if (!queue.hasRoom()) {
      return refuse({
        code: 'QUEUE_FULL',
        message: `the ${engine.name} engine has ${queue.size.waiting} jobs waiting; try again shortly`,
      })
    }

    // Counted before anything is awaited, so that an account's concurrent submissions cannot all
    // pass the check; uncounted on any refusal below, else when the job ends.
    this.countJob(input.accountId, 1)
    let queued = false
    try {
      const parameters = { n, size: `${size}x${size}`, model }
      const quoted = await this.ledger.quote({ operation: input.kind, parameters })
      if (!quoted.ok) return refuse(fromCreditError(quoted.error))
      const quote = quoted.value

      const jobId = newId('job')
      const now = this.clock.now()
      const row: JobsTable = {
        id: jobId,
        account_id: input.accountId,
        user_id: input.userId,
        api_key_id: input.apiKeyId ?? null,
        kind: input.kind,
        engine: engine.name,
        model,
        prompt,
        parameters: JSON.stringify({ n, size, seed }),
        status: 'queued',
        hold_id: null,
        credits_quoted: quote.credits,
        credits_charged: 0,
        book_version: quote.bookVersion,
        error_code: null,
        error_message: null,
        idempotency_key: input.idempotencyKey ?? null,
        request_hash: input.idempotencyKey === undefined ? null : requestHash,
        runner_id: this.options.runners.id,
        created_at: now,
        started_at: null,
        finished_at: null,
      }
      let held: Awaited<ReturnType<Ledger['hold']>>
      try {
        // The job's row is written in the hold's transaction: a hold never exists without its job.
        held = await this.ledger.hold(
          {
            accountId: input.accountId,
            amount: quote.credits,
            ttlMs: this.holdTtlMs,
            reference: jobId,
            pricedBy: {
              bookVersion: quote.bookVersion,
              ruleId: quote.ruleId,
              operation: input.kind,
              parameters,
            },
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
          const earlier = await this.findByIdempotencyKey(input.accountId, input.idempotencyKey, requestHash)
          if (earlier) return earlier
        }
        throw error
      }
      if (!held.ok) return refuse(fromCreditError(held.error))

      const job = toJobView(row, [], engine.procedural)
      const done = queue.offer(input.accountId, () =>
        this.executeSafely(row, engine, inputs).finally(() => this.countJob(input.accountId, -1)),
      )
      if (!done) {
        // The queue filled between the check and now (a burst): this job is failed, its hold released.
        const failed = await this.fail(
          row,
          'QUEUE_FULL',
          `the ${engine.name} engine's queue is full; try again shortly`,
        )
        return { ok: true, value: { job: failed, done: Promise.resolve(failed), replayed: false } }
      }
      queued = true
      this.running.set(jobId, done)
      done.finally(() => this.running.delete(jobId)).catch(() => {})
      return { ok: true, value: { job, done, replayed: false } }
    } finally {
      if (!queued) this.countJob(input.accountId, -1)
    }
  }

  private countJob(accountId: string, change: 1 | -1): void {
    const count = (this.jobsInFlight.get(accountId) ?? 0) + change
    // A bug (a job uncounted twice), not an outcome: the cap would stop holding.
    if (count < 0) throw new Error(`jobs in flight of ${accountId} went below zero`)
    if (count === 0) this.jobsInFlight.delete(accountId)
    else this.jobsInFlight.set(accountId, count)
  }

  private async check(input: JobInput): Promise<
    Result<
      {
        engine: ImageEngine
        model: string
        n: number
        size: ImageSize
        seed: number
        prompt: string | null
        inputs: Inputs
        requestHash: string
      },
      StudioError
    >
  > {
    const { kind } = input
    if (kind !== 'generate' && kind !== 'edit' && kind !== 'variation') {
      return refuse(studioValidation('kind', 'must be generate, edit or variation'))
    }
    const choice = this.options.registry.resolve(input.model)
    if (!choice) {
      return refuse(
        studioValidation(
          'model',
          `"${input.model}" is not a model of this installation (${this.options.registry.modelNames().join(', ')})`,
        ),
      )
    }
    const { engine, model } = choice
    if (!engine.supports(kind)) {
      return refuse(studioValidation('model', `${model} cannot do ${kind === 'edit' ? 'edits' : `${kind}s`}`))
    }

    let prompt: string | null = null
    if (input.prompt !== undefined && input.prompt !== null) {
      if (typeof input.prompt !== 'string') return refuse(studioValidation('prompt', 'must be text'))
      prompt = input.prompt.trim()
      if (prompt.length > this.options.maxPromptChars) {
        return refuse(
          studioValidation(
            'prompt',
            `must be at most ${this.options.maxPromptChars} characters (it has ${prompt.length})`,
          ),
        )
      }
      if (prompt.length === 0) prompt = null
    }
    if (prompt === null && kind !== 'variation') return refuse(studioValidation('prompt', 'is required'))

    const n = input.n ?? this.defaultCount(kind)
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_IMAGES_PER_JOB) {
      return refuse(studioValidation('n', `must be a whole number from 1 to ${MAX_IMAGES_PER_JOB}`))
    }
    const size = (input.size ?? 1024) as ImageSize
    if (!engine.sizes.includes(size)) {
      return refuse(
        studioValidation(
          'size',
          `must be one of ${engine.sizes.map((s) => `${s}x${s}`).join(', ')} for ${model}`,
        ),
      )
    }
    const seed = input.seed ?? randomInt(0, MAX_SEED)
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
      return refuse(studioValidation('seed', `must be a whole number from 0 to ${MAX_SEED}`))
    }

    let inputs: Inputs = { image: null, mask: null }
    if (kind === 'edit' || kind === 'variation') {
      const checkedUploads = await this.checkUploads(
        input.image,
        kind === 'edit' ? (input.mask ?? null) : null,
      )
      if (!checkedUploads.ok) return checkedUploads
      inputs = checkedUploads.value
    } else if (input.image !== undefined) {
      return refuse(studioValidation('image', 'is only for edits and variations'))
    }

    // The hash covers the files as uploaded, not as normalised: a retry matches whatever sharp's
    // version or settings make of them, and a PNG kept byte for byte hashes as it always did.
    const sha = (b: Buffer | undefined | null) => (b ? createHash('sha256').update(b).digest('hex') : null)
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify({
          kind,
          prompt,
          model,
          n,
          size,
          seed: input.seed ?? null,
          image: inputs.image ? sha(input.image) : null,
          mask: inputs.mask ? sha(input.mask) : null,
        }),
      )
      .digest('hex')
    return { ok: true, value: { engine, model, n, size, seed, prompt, inputs, requestHash } }
  }

  /**
   * The uploads of an edit or variation: both headers are checked first (length, format, the pixel
   * budget), so that nothing is decoded for a request refused anyway; then each is decoded and
   * normalised off the event loop into what the engines take, a square PNG of at most 1024 pixels,
   * the mask cut and scaled exactly like the image (`images/upload.ts` has the rule).
   */
  private async checkUploads(
    image: Buffer | undefined,
    mask: Buffer | null,
  ): Promise<Result<Inputs, StudioError>> {
    const limits = {
      maxBytes: this.options.maxUploadBytes,
      maxPixels: this.options.maxUploadPixels ?? DEFAULT_MAX_UPLOAD_PIXELS,
    }
    const imageHeader = checkUploadHeader(image, 'image', limits)
    if (!imageHeader.ok) return refuse(studioValidation('image', imageHeader.message))
    const maskHeader = mask ? checkUploadHeader(mask, 'mask', limits) : null
    if (maskHeader && !maskHeader.ok) return refuse(studioValidation('mask', maskHeader.message))

    const normalImage = await normaliseUpload(image!, imageHeader.value, { role: 'image', limits })
    if (!normalImage.ok) return refuse(studioValidation('image', normalImage.message))
    if (!maskHeader) return { ok: true, value: { image: normalImage.value.png, mask: null } }

    const { width, height, side } = normalImage.value
    const normalMask = await normaliseUpload(mask!, maskHeader.value, {
      role: 'mask',
      limits,
      sameSizeAs: { width, height },
    })
    if (!normalMask.ok) return refuse(studioValidation('mask', normalMask.message))
    if (!normalMask.value.hasTransparentPixel) {
      const scaled = side < Math.min(width, height) ? ` (at ${side}x${side}, the size it is scaled to)` : ''
      return refuse(
        studioValidation(
          'mask',
          `must have transparency: its fully transparent pixels mark the area to change${scaled}`,
        ),
      )
    }
    return { ok: true, value: { image: normalImage.value.png, mask: normalMask.value.png } }
  }

  private defaultCount(kind: Operation): number {
    const book = this.ledger.pricing?.bookAt(this.clock.now())
    return book?.operations[kind]?.imagesReturned ?? (kind === 'generate' ? 4 : 3)
  }

  private async findByIdempotencyKey(
    accountId: string,
    key: string,
    requestHash: string,
  ): Promise<Result<Submitted, StudioError> | null> {
    const row = await this.kysely
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
    const job = (await this.getJob(accountId, row.id))!
    return { ok: true, value: { job, done: this.waitForJob(accountId, row.id), replayed: true } }
  }

  /**
   * Runs the job; anything unexpected on the way (a full disk, a lost database connection) fails
   * it and releases its hold rather than leaving credits held and the job running.
   */
  private async executeSafely(row: JobsTable, engine: ImageEngine, inputs: Inputs): Promise<JobView> {
    try {
      return await this.execute(row, engine, inputs)
    } catch (error) {
      this.options.log?.error({ err: error, jobId: row.id }, 'job failed unexpectedly')
      return this.fail(
        row,
        'INTERNAL',
        'Easel could not finish the job (an internal error); nothing was charged',
      )
    }
  }

  private async execute(row: JobsTable, engine: ImageEngine, inputs: Inputs): Promise<JobView> {
    if (this.stopping) return this.fail(row, 'CANCELLED', 'Easel was shutting down before the job started')
    const startedAt = this.clock.now()
    if (startedAt - row.created_at > this.options.engines.queueTimeoutMs) {
      return this.fail(row, 'QUEUE_TIMEOUT', `the job waited longer than ${row.engine}'s queue allows`)
    }
    // Through the ledger's group commit (sharing a durable commit with other operations), and not
    // waited for before the engine starts: only settling the job needs it done.
    const startedWrite = this.ledger.execute({
      name: 'job-started',
      locks: {},
      run: (tx) =>
        tx.run("update jobs set status = 'running', started_at = ? where id = ? and status = 'queued'", [
          startedAt,
          row.id,
        ]),
    })
    row = { ...row, status: 'running', started_at: startedAt }
    this.emit(toJobView(row, [], engine.procedural))

    const { n, size, seed } = JSON.parse(row.parameters) as { n: number; size: ImageSize; seed: number }
    const request = engineRequest(row, n, size, seed, inputs)
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.options.engines.timeoutMs),
      this.shutdown.signal,
    ])
    let outcome: { ok: true; result: EngineResult } | { ok: false; error: unknown }
    try {
      const result = await engine.run(request, signal)
      if (signal.aborted) {
        throw signal.reason instanceof EngineError
          ? signal.reason
          : timeoutError(this.options.engines.timeoutMs)
      }
      outcome = { ok: true, result }
    } catch (error) {
      outcome = { ok: false, error }
    }
    // Failed meanwhile (a peer took this process for crashed and released the hold): nothing to settle.
    if ((await startedWrite) === 0) return (await this.getJob(row.account_id, row.id))!
    if (!outcome.ok) {
      const error = outcome.error
      if (error instanceof EngineError) {
        const e = error.code === 'TIMEOUT' ? timeoutError(this.options.engines.timeoutMs) : error
        return this.fail(row, e.code, e.message)
      }
      if ((error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError') {
        const e = timeoutError(this.options.engines.timeoutMs)
        return this.fail(row, e.code, e.message)
      }
      this.options.log?.error(
        { err: error, jobId: row.id, engine: engine.name },
        'engine failed unexpectedly',
      )
      return this.fail(row, 'ENGINE_ERROR', `the ${engine.name} engine failed unexpectedly`)
    }
    return this.finish(row, engine, outcome.result.images.slice(0, n), size)
  }

  /** Stores the images, then captures what they cost; anything short of that releases the hold. */
  private async finish(
    row: JobsTable,
    engine: ImageEngine,
    images: EngineResult['images'],
    size: number,
  ): Promise<JobView> {
    if (images.length === 0)
      return this.fail(row, 'NO_IMAGES', 'the engine returned no images; nothing was charged')
    for (const image of images) {
      const info = pngInfo(image.png)
      if (!info || info.width !== size || info.height !== size) {
        return this.fail(
          row,
          'UPSTREAM_ERROR',
          `the ${engine.name} engine returned an image that is not a ${size}x${size} PNG`,
        )
      }
    }
    const now = this.clock.now()
    // Files first (in parallel, each durable), then one transaction: capture, the image rows and
    // the job's success. A crash before it leaves files no row points at, and nothing charged.
    const ids = images.map(() => newId('img'))
    const written = await Promise.allSettled(
      images.map((image, i) => this.options.store.write(row.account_id, ids[i]!, image.png)),
    )
    const failed = written.find((w) => w.status === 'rejected')
    if (failed) {
      await Promise.all(ids.map((id) => this.options.store.remove(row.account_id, id).catch(() => {})))
      throw (failed as PromiseRejectedResult).reason
    }
    const rows: ImagesTable[] = images.map((_, position) => {
      const { bytes, sha256 } = (
        written[position] as PromiseFulfilledResult<{ bytes: number; sha256: string }>
      ).value
      return {
        id: ids[position]!,
        job_id: row.id,
        account_id: row.account_id,
        position,
        width: size,
        height: size,
        bytes,
        sha256,
        procedural: engine.procedural ? 1 : 0,
        favourited_at: null,
        created_at: now,
      }
    })

    // Fewer images than asked for cost what that many would have, at the price of the job's time.
    const requoted = await this.ledger.quote({
      operation: row.kind,
      parameters: {
        ...JSON.parse(row.parameters),
        n: images.length,
        size: `${size}x${size}`,
        model: row.model,
      },
      at: row.created_at,
    })
    const amount = requoted.ok ? Math.min(requoted.value.credits, row.credits_quoted) : row.credits_quoted
    let finishedAt = now
    const captured = await this.ledger.capture(
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
      await Promise.all(rows.map((r) => this.options.store.remove(row.account_id, r.id)))
      return this.fail(
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
    this.emit(job)
    return job
  }

  /** Releases the job's hold and records why it failed. */
  private async fail(row: JobsTable, code: string, message: string): Promise<JobView> {
    const markFailed = (tx: SqlTx, at: number) =>
      tx.run(
        "update jobs set status = 'failed', error_code = ?, error_message = ?, finished_at = ? where id = ? and status in ('queued', 'running')",
        [code, message, at, row.id],
      )
    // The release and the job's failure commit together.
    const released = row.hold_id
      ? await this.ledger.release(
          { holdId: row.hold_id },
          { alsoWrite: (tx, _r, at) => markFailed(tx, at).then(() => {}) },
        )
      : null
    if (!released?.ok) {
      if (
        released &&
        released.error.code !== 'HOLD_ALREADY_SETTLED' &&
        released.error.code !== 'HOLD_EXPIRED'
      ) {
        this.options.log?.error(
          { jobId: row.id, error: released.error },
          'could not release a failed job’s hold',
        )
      }
      await this.ledger.execute({ name: 'job-failed', locks: {}, run: (tx, now) => markFailed(tx, now) })
    }
    const job = (await this.getJob(row.account_id, row.id))!
    this.emit(job)
    return job
  }

  /**
   * Fails the jobs of processes that are gone (crashed, or stopped without finishing them) and
   * releases their holds; a job whose hold was already captured had stored its images, so it is
   * marked succeeded. Returns how many jobs it settled.
   */
  async recoverOrphans(): Promise<number> {
    const unfinished = await this.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('runner_id', 'is', null), eb('runner_id', '!=', this.options.runners.id)]))
      .execute()
    if (unfinished.length === 0) return 0
    const gone = await this.options.runners.gone([...new Set(unfinished.map((j) => j.runner_id ?? ''))])
    let settled = 0
    for (const row of unfinished) {
      if (row.runner_id !== null && !gone.has(row.runner_id)) continue
      const hold = row.hold_id
        ? await this.kysely
            .selectFrom('holds')
            .select(['status', 'captured'])
            .where('id', '=', row.hold_id)
            .executeTakeFirst()
        : undefined
      if (hold?.status === 'captured') {
        await this.kysely
          .updateTable('jobs')
          .set({ status: 'succeeded', credits_charged: hold.captured, finished_at: this.clock.now() })
          .where('id', '=', row.id)
          .where('status', 'in', ['queued', 'running'])
          .execute()
      } else {
        // Image rows commit only with the capture, so an uncaptured job has none to remove.
        await this.fail(row, 'INTERRUPTED', 'Easel stopped while the job was running; nothing was charged')
      }
      settled++
    }
    return settled
  }

  async getJob(accountId: string, jobId: string): Promise<JobView | null> {
    const row = await this.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .where('account_id', '=', accountId)
      .executeTakeFirst()
    if (!row) return null
    const images = await this.kysely
      .selectFrom('images')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('position')
      .execute()
    return toJobView(row, images.map(toImageView), this.isProcedural(row.engine))
  }

  /** Jobs of an account, newest first, with their images; `before` is the last id of the page before. */
  async listJobs(
    accountId: string,
    options: { limit?: number; before?: string; favourites?: boolean } = {},
  ): Promise<{ jobs: JobView[]; nextBefore: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 100)
    let query = this.kysely.selectFrom('jobs').selectAll().where('account_id', '=', accountId)
    if (options.before) query = query.where('id', '<', options.before)
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
        : await this.kysely
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
        this.isProcedural(r.engine),
      ),
    )
    return { jobs, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null }
  }

  /** An account's images, newest first. */
  async listImages(
    accountId: string,
    options: { limit?: number; before?: string; favourites?: boolean } = {},
  ): Promise<{ images: ImageView[]; nextBefore: string | null }> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 200)
    let query = this.kysely.selectFrom('images').selectAll().where('account_id', '=', accountId)
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
  async getImage(accountId: string, imageId: string): Promise<ImageView | null> {
    const row = await this.kysely
      .selectFrom('images')
      .selectAll()
      .where('id', '=', imageId)
      .where('account_id', '=', accountId)
      .executeTakeFirst()
    return row ? toImageView(row) : null
  }

  /** The image and its owner's account, for a signed URL (which carries no account). */
  async findImage(imageId: string): Promise<{ image: ImageView; accountId: string } | null> {
    const row = await this.kysely
      .selectFrom('images')
      .selectAll()
      .where('id', '=', imageId)
      .executeTakeFirst()
    return row ? { image: toImageView(row), accountId: row.account_id } : null
  }

  async setFavourite(accountId: string, imageId: string, favourite: boolean): Promise<ImageView | null> {
    await this.kysely
      .updateTable('images')
      .set({ favourited_at: favourite ? this.clock.now() : null })
      .where('id', '=', imageId)
      .where('account_id', '=', accountId)
      // Favouriting again keeps the first time.
      .$if(favourite, (q) => q.where('favourited_at', 'is', null))
      .execute()
    return this.getImage(accountId, imageId)
  }

  readImage(accountId: string, imageId: string): Promise<Buffer> {
    return this.options.store.read(accountId, imageId)
  }

  /** Tells `listener` each change of the job's status until it finishes; returns the unsubscribe. */
  subscribe(jobId: string, listener: JobListener): () => void {
    let set = this.listeners.get(jobId)
    if (!set) {
      set = new Set()
      this.listeners.set(jobId, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(jobId)
    }
  }

  /** Whether this process runs the job (so its events come from here, not from polling). */
  isLocal(jobId: string): boolean {
    return this.running.has(jobId)
  }

  /** Resolves with the job once it has finished, wherever it runs. */
  async waitForJob(accountId: string, jobId: string): Promise<JobView> {
    const local = this.running.get(jobId)
    if (local) return local
    for (;;) {
      const job = await this.getJob(accountId, jobId)
      if (!job) throw new Error(`job ${jobId} vanished`)
      if (job.status !== 'queued' && job.status !== 'running') return job
      const again = this.running.get(jobId)
      if (again) return again
      // Another process runs it: look again shortly.
      await new Promise((resolve) => setTimeout(resolve, POLL_OTHER_PROCESS_MS))
    }
  }

  /** Queue lengths per engine, for /healthz. */
  queueSizes(): Record<string, { running: number; waiting: number }> {
    return Object.fromEntries([...this.queues].map(([name, q]) => [name, q.size]))
  }

  private isProcedural(engineName: string): boolean {
    return this.options.registry.engines.find((e) => e.name === engineName)?.procedural ?? false
  }

  private emit(job: JobView): void {
    for (const listener of this.listeners.get(job.id) ?? []) {
      try {
        listener(job)
      } catch (error) {
        this.options.log?.warn({ err: error }, 'a job listener threw')
      }
    }
  }
}

function engineRequest(
  row: JobsTable,
  n: number,
  size: ImageSize,
  seed: number,
  inputs: Inputs,
): EngineRequest {
  const common = { n, size, seed, model: row.model }
  switch (row.kind) {
    case 'generate':
      return { ...common, operation: 'generate', prompt: row.prompt ?? '' }
    case 'edit':
      return {
        ...common,
        operation: 'edit',
        prompt: row.prompt ?? '',
        image: inputs.image!,
        mask: inputs.mask,
      }
    case 'variation':
      return { ...common, operation: 'variation', image: inputs.image!, prompt: row.prompt }
  }
}

function timeoutError(timeoutMs: number): EngineError {
  return new EngineError(
    'TIMEOUT',
    `the engine did not finish within ${Math.round(timeoutMs / 1000)} s; nothing was charged`,
  )
}

function toImageView(r: ImagesTable): ImageView {
  return {
    id: r.id,
    jobId: r.job_id,
    position: r.position,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    sha256: r.sha256,
    procedural: Number(r.procedural) === 1,
    favourite: r.favourited_at !== null,
    favouritedAt: r.favourited_at,
    createdAt: r.created_at,
  }
}

function toJobView(r: JobsTable, images: ImageView[], procedural: boolean): JobView {
  const p = JSON.parse(r.parameters) as { n: number; size: number; seed: number }
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind,
    status: r.status,
    engine: r.engine,
    model: r.model,
    prompt: r.prompt,
    n: p.n,
    size: p.size,
    seed: p.seed,
    creditsQuoted: r.credits_quoted,
    creditsCharged: Number(r.credits_charged ?? 0),
    bookVersion: r.book_version,
    holdId: r.hold_id,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    procedural,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    images,
  }
}

const refuse = (error: StudioError): { ok: false; error: StudioError } => ({ ok: false, error })

/** Queues `insert into table (…) values (…)` of one row, which must insert exactly that row. */
function insertRow(tx: SqlTx, table: 'jobs' | 'images', row: Record<string, string | number | null>): void {
  const columns = Object.keys(row)
  tx.write(
    `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    columns.map((c) => row[c] ?? null),
    1,
  )
}
