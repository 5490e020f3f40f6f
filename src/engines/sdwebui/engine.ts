import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { type Backend, BackendPool } from '../backend-pool.ts'
import {
  abortError,
  type BackendState,
  EngineError,
  type EngineImage,
  type EngineProgress,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type Operation,
  type RunOptions,
  SIZE_NAMES,
  type SizeName,
} from '../engine.ts'
import { upstreamImage } from '../upstream-image.ts'
import { LOADED_CHECKPOINT, type PayloadSettings, webUiCall } from './payload.ts'

export interface SdWebUiEngineOptions {
  /**
   * Where each WebUI (AUTOMATIC1111 or Forge, started with `--api`) listens, e.g.
   * `http://127.0.0.1:7860`; a run goes to the least busy one (engines/backend-pool.ts).
   */
  urls: readonly string[]
  /**
   * Model names requests may ask for; the first is the default. `stable-diffusion` means the
   * checkpoint the WebUI has loaded; any other name is asked for as `sd_model_checkpoint`.
   */
  models?: readonly string[]
  steps?: number
  cfgScale?: number
  sampler?: string | null
  /** For WebUIs started with `--api-auth user:password` (HTTP basic); a URL's own credentials win. */
  auth?: { username: string; password: string } | null
  /** The WebUI draws any width and height (multiples of 8): every size Easel names, by default. */
  sizes?: readonly SizeName[]
  /** How often a run in flight asks its WebUI how far it has got (default 1 s). */
  progressIntervalMs?: number
  /** The backend pool's tuning (tests set a clock); defaults as BackendPoolOptions. */
  pool?: { failuresBeforeOut?: number; retryAfterMs?: number; now?: () => number }
  log?: { warn(details: object, message: string): void }
}

/** Cheap, behind `--api-auth` like txt2img, and answered while a job runs: the health check too. */
const PROGRESS_PATH = 'sdapi/v1/progress?skip_current_image=true'
/** How long a cancelled run keeps watching for its job to start there, to interrupt it. */
const FOLLOW_UP_MS = 10 * 60_000
/** Each call of the follow-up after a cancel (the run's own signal has aborted by then). */
const FOLLOW_UP_CALL_MS = 5_000

/**
 * Images from Stable Diffusion WebUIs over their `/sdapi/v1` API: generate is txt2img; edit and
 * variation are img2img (an edit with a mask inpaints it). The WebUI has no content policy, so
 * this engine never fails with `CONTENT_POLICY`.
 */
export class SdWebUiEngine implements ImageEngine {
  readonly name = 'sdwebui'
  readonly procedural = false
  readonly models: readonly string[]
  readonly sizes: readonly SizeName[]
  readonly #settings: PayloadSettings
  readonly #pool: BackendPool
  readonly #auth: Record<string, string>
  readonly #progressIntervalMs: number
  readonly #log: SdWebUiEngineOptions['log']
  /** Stops the follow-ups of cancelled runs when Easel stops. */
  readonly #closing = new AbortController()

  constructor(options: SdWebUiEngineOptions) {
    this.models = options.models?.length ? [...options.models] : [LOADED_CHECKPOINT]
    this.sizes = options.sizes ?? SIZE_NAMES
    this.#settings = {
      steps: options.steps ?? 20,
      cfgScale: options.cfgScale ?? 7,
      sampler: options.sampler ?? null,
    }
    const { auth } = options
    this.#auth = auth
      ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
      : {}
    this.#progressIntervalMs = options.progressIntervalMs ?? 1_000
    this.#log = options.log
    this.#pool = new BackendPool({
      label: 'Stable Diffusion WebUI',
      urls: options.urls,
      health: async (backend, signal) => {
        await this.#send(backend, 'GET', PROGRESS_PATH, null, signal)
      },
      ...options.pool,
      ...(options.log ? { log: options.log } : {}),
    })
  }

  supports(_operation: Operation): boolean {
    return true
  }

  async run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    const { signal, onProgress } = options
    const { path, body } = webUiCall(request, this.#settings)
    // Names this run at the WebUI (A1111 ≥ 1.6 takes `force_task_id`; ≥ 1.9 reports the task it is
    // running as `current_task`), so that progress and a cancel only ever touch this run's job.
    const taskId = `easel-${randomUUID()}`
    return this.#pool.run(signal, async (backend) => {
      const watching = new AbortController()
      const onAbort = () => void this.#interruptWhenOurs(backend, taskId)
      signal.addEventListener('abort', onAbort, { once: true })
      if (onProgress) void this.#followProgress(backend, taskId, onProgress, watching.signal)
      try {
        const answer = await this.#send(
          backend,
          'POST',
          path,
          { ...body, width: request.width, height: request.height, force_task_id: taskId } /*TEMP-H4*/,
          signal,
        )
        return { images: this.#images(answer, request, backend) }
      } finally {
        watching.abort()
        signal.removeEventListener('abort', onAbort)
      }
    })
  }

  /**
   * The checkpoints a WebUI offers (`model_name`s, as a model name here may give them), asked of
   * the least busy one. The caller's signal is the only deadline, as for `run`.
   */
  async checkpoints(signal: AbortSignal): Promise<string[]> {
    return this.#pool.run(signal, async (backend) => {
      const answer = await this.#send(backend, 'GET', 'sdapi/v1/sd-models', null, signal)
      if (!Array.isArray(answer))
        throw new EngineError('UPSTREAM_ERROR', `${who(backend)} listed no checkpoints`)
      return answer
        .map((item: { model_name?: unknown }) => item?.model_name)
        .filter((name): name is string => typeof name === 'string')
    })
  }

  backends(): readonly BackendState[] {
    return this.#pool.states()
  }

  async close(): Promise<void> {
    this.#closing.abort()
    this.#pool.close()
  }

  #images(answer: unknown, request: EngineRequest, backend: Backend): EngineImage[] {
    const encoded = (answer as { images?: unknown } | null)?.images
    if (encoded !== undefined && encoded !== null && !Array.isArray(encoded)) {
      throw new EngineError('UPSTREAM_ERROR', `${who(backend)} answered without an image list`)
    }
    // Extensions (ControlNet and others) append their own maps after the images asked for.
    const images = (encoded ?? [])
      .slice(0, request.n)
      .filter((item): item is string => typeof item === 'string' && item.length > 0)
      // The WebUI sends bare base64; a data: URL prefix is tolerated all the same.
      .map((item) => Buffer.from(item.replace(/^data:[^,]*,/, ''), 'base64'))
      .map((bytes) => upstreamImage(bytes, request, who(backend), ' (set its image file format to png)'))
    if (images.length === 0) throw new EngineError('NO_IMAGES', `${who(backend)} answered without any images`)
    return images
  }

  /**
   * Asks the WebUI how far the run's job has got, every interval until the run ends. A failed or
   * strange answer is skipped: progress is a nicety, never a reason to fail the run.
   */
  async #followProgress(
    backend: Backend,
    taskId: string,
    onProgress: (progress: EngineProgress) => void,
    stop: AbortSignal,
  ): Promise<void> {
    let shown = 0
    while (!stop.aborted) {
      try {
        await delay(this.#progressIntervalMs, undefined, { signal: stop })
        const step = progressOf(await this.#send(backend, 'GET', PROGRESS_PATH, null, stop), taskId)
        // Reported only forward: the WebUI's steps restart at a hires pass.
        if (step && !stop.aborted && step.done / step.total > shown) {
          shown = step.done / step.total
          onProgress(step)
        }
      } catch {
        // Stopped, or this answer failed: the next one may do.
      }
    }
  }

  /**
   * After a cancel or timeout: `/sdapi/v1/interrupt` stops whatever the WebUI is running, whoever
   * asked for it, so it is sent only while the WebUI reports this run's task as its `current_task`.
   * Aborting the request alone does not stop the WebUI's job: a job waiting for the WebUI's lock
   * still starts once the job before it ends, so the follow-up watches until this task runs (and
   * interrupts it) or the WebUI has none left (it ran already or never will). A WebUI too old to
   * report `current_task` is never interrupted: its job finishes and is thrown away.
   */
  async #interruptWhenOurs(backend: Backend, taskId: string): Promise<void> {
    const until = Date.now() + FOLLOW_UP_MS
    try {
      while (!this.#closing.signal.aborted && Date.now() < until) {
        const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(FOLLOW_UP_CALL_MS)])
        const running = runningTask(await this.#send(backend, 'GET', PROGRESS_PATH, null, signal))
        if (running === taskId) {
          await this.#send(backend, 'POST', 'sdapi/v1/interrupt', null, signal)
          return
        }
        // Another's job, with this one perhaps waiting behind it; or none, or a WebUI that cannot say.
        if (running === undefined || running === null) return
        await delay(this.#progressIntervalMs, undefined, { signal: this.#closing.signal })
      }
    } catch (error) {
      if (this.#closing.signal.aborted) return
      this.#log?.warn(
        { backend: backend.base.href, err: error instanceof Error ? error.message : String(error) },
        `could not interrupt a stopped job at ${who(backend)}`,
      )
    }
  }

  async #send(
    backend: Backend,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    let response: Response
    let text: string
    try {
      response = await fetch(new URL(path, backend.base), {
        method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...this.#auth,
          ...backend.headers,
        },
        ...(body === null ? {} : { body: JSON.stringify(body) }),
        signal,
      })
      text = await response.text()
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      throw new EngineError('UPSTREAM_ERROR', `${who(backend)} could not be reached${networkReason(error)}`, {
        cause: error,
      })
    }
    const json = parseJson(text)
    if (response.ok) {
      if (json === undefined)
        throw new EngineError('UPSTREAM_ERROR', `${who(backend)} answered with something not JSON`)
      return json
    }
    throw httpError(who(backend), response.status, json, path)
  }
}

/** How messages name a WebUI: `the Stable Diffusion WebUI at http://gpu1:7860`. */
function who(backend: Backend): string {
  return `the ${backend.where}`
}

/**
 * The task a `/sdapi/v1/progress` answer says the WebUI is running: its id, null when it runs
 * none, undefined when the WebUI does not say (older than 1.9, or not a progress answer).
 */
export function runningTask(answer: unknown): string | null | undefined {
  if (typeof answer !== 'object' || answer === null || !('current_task' in answer)) return undefined
  const task = (answer as { current_task: unknown }).current_task
  return typeof task === 'string' && task !== '' ? task : null
}

/**
 * This run's progress from a `/sdapi/v1/progress` answer, in sampling steps over every batch
 * (`job_no` of `job_count`, `sampling_step` of `sampling_steps`); `progress` (0 to 1) on a
 * thousand when the state lacks the steps; null when the WebUI is running another task or none.
 *
 * @example
 * progressOf({ progress: 0.41, current_task: 'easel-1',
 *   state: { job_no: 0, job_count: 1, sampling_step: 8, sampling_steps: 20 } }, 'easel-1')
 * // → { done: 8, total: 20 }
 */
export function progressOf(answer: unknown, taskId: string): EngineProgress | null {
  if (runningTask(answer) !== taskId) return null
  const { progress, state } = answer as { progress?: unknown; state?: Record<string, unknown> }
  const { job_no: job, job_count: jobs, sampling_step: step, sampling_steps: steps } = state ?? {}
  if (isCount(job) && isCount(jobs) && isCount(step) && isCount(steps) && jobs > 0 && steps > 0) {
    const total = jobs * steps
    return { done: Math.min(total, job * steps + step), total }
  }
  if (typeof progress === 'number' && progress >= 0 && progress <= 1) {
    return { done: Math.round(progress * 1000), total: 1000 }
  }
  return null
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function httpError(who: string, status: number, body: unknown, path: string): EngineError {
  const detail = describeError(body)
  if (status === 401 || status === 403) {
    return new EngineError('UPSTREAM_ERROR', `${who} refused Easel's credentials (HTTP ${status})`)
  }
  if (status === 404) {
    return new EngineError(
      'UPSTREAM_ERROR',
      `${who} has no /${path.replace(/\?.*$/, '')} (HTTP 404${detail ? `: ${detail}` : ''}); is it started with --api?`,
    )
  }
  if (status >= 400 && status < 500) {
    return new EngineError('UPSTREAM_REJECTED', `${who} rejected the request: ${detail || `HTTP ${status}`}`)
  }
  return new EngineError('UPSTREAM_ERROR', `${who} failed (HTTP ${status})${detail ? `: ${detail}` : ''}`)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * The WebUI's error bodies: FastAPI validation (422) is `{detail: [{loc, msg, type}]}`; everything
 * else goes through its handler as `{error, detail, body, errors}` (`errors` is `str(exception)`).
 */
export function describeError(body: unknown): string {
  if (typeof body !== 'object' || body === null) return ''
  const { detail, error, errors } = body as Record<string, unknown>
  let text = ''
  if (Array.isArray(detail)) {
    text = detail
      .map((item: { loc?: unknown; msg?: unknown }) => {
        const loc = Array.isArray(item?.loc) ? item.loc.filter((part) => part !== 'body').join('.') : ''
        const msg = typeof item?.msg === 'string' ? item.msg : JSON.stringify(item)
        return loc ? `${loc}: ${msg}` : msg
      })
      .join('; ')
  } else {
    const message = (typeof detail === 'string' && detail) || (typeof errors === 'string' && errors) || ''
    const kind = typeof error === 'string' && error !== 'HTTPException' ? error : ''
    text = kind && message ? `${kind}: ${message}` : kind || message
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

/** `fetch failed` says nothing; its cause has the code (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause
  return typeof cause?.code === 'string' ? ` (${cause.code})` : ''
}
