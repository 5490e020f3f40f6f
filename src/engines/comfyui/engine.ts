import { randomUUID } from 'node:crypto'
import { BackendPool, type BackendPoolOptions } from '../backend-pool.ts'
import {
  type BackendState,
  type EngineDeps,
  EngineError,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type Operation,
  type RunOptions,
  SIZE_NAMES,
  type SizeName,
} from '../engine.ts'
import { upstreamImage } from '../upstream-image.ts'
import type { Checkpoint } from './checkpoints.ts'
import { ComfyClient } from './client.ts'
import { DEFAULT_WORKFLOWS } from './default-workflows.ts'
import type { HistoryEntry } from './history.ts'
import { type PlanSettings, planRun, type RunPlan } from './plan.ts'
import { WorkflowProgress } from './progress.ts'
import { PromptWatcher } from './watch.ts'
import { fillWorkflow, type Workflow } from './workflow.ts'

/** The model name of an installation whose workflows all load their own checkpoint. */
export const WORKFLOW_CHECKPOINT = 'comfyui'

/** How long taking a cancelled prompt off a backend may take, the run's own signal having ended. */
const WITHDRAW_TIMEOUT_MS = 5_000

export interface ComfyUiEngineOptions {
  /** Base URLs of the ComfyUI servers (`http://user:pass@gpu1:8188` for HTTP basic behind a proxy). */
  readonly urls: readonly string[]
  /** Checkpoints requests may ask for, the first the default; none: the workflows' own. */
  readonly checkpoints?: readonly Checkpoint[]
  /** The operator's workflows, each replacing Easel's default for its operation. */
  readonly workflows?: Readonly<Partial<Record<Operation, Workflow>>>
  readonly negativePrompt?: string
  /** How often `/history` is polled once a run's websocket is gone (default 1 s). */
  readonly pollMs?: number
  /** ComfyUI draws any width and height (multiples of 8): every size Easel names, by default. */
  readonly sizes?: readonly SizeName[]
  /** The backend pool's tuning, for tests: failures before out, retry time, clock. */
  readonly pool?: Partial<
    Pick<BackendPoolOptions, 'failuresBeforeOut' | 'retryAfterMs' | 'healthTimeoutMs' | 'now'>
  >
  readonly log?: EngineDeps['log']
}

/**
 * Images from ComfyUI through its workflow API: each run uploads its inputs, queues a workflow
 * (Easel's defaults or the operator's) with the request's values written in, follows it on the
 * websocket, and fetches the images it saved. Runs go to the least busy healthy backend. A
 * cancelled or timed-out run takes its prompt off that backend — off the queue if it waits, an
 * interrupt of that prompt alone if it runs. ComfyUI has no content policy, so this engine never
 * fails with `CONTENT_POLICY`.
 */
export class ComfyUiEngine implements ImageEngine {
  readonly name = 'comfyui'
  readonly procedural = false
  readonly models: readonly string[]
  readonly sizes: readonly SizeName[]
  readonly #pool: BackendPool
  readonly #workflows: Readonly<Record<Operation, Workflow>>
  readonly #plan: PlanSettings
  readonly #pollMs: number
  readonly #log: EngineDeps['log']
  readonly #watchers = new Set<PromptWatcher>()

  constructor(options: ComfyUiEngineOptions) {
    const checkpoints = options.checkpoints ?? []
    this.models = checkpoints.length > 0 ? checkpoints.map((c) => c.name) : [WORKFLOW_CHECKPOINT]
    this.sizes = options.sizes ?? SIZE_NAMES
    this.#workflows = { ...DEFAULT_WORKFLOWS, ...options.workflows }
    this.#plan = { checkpoints, negativePrompt: options.negativePrompt ?? '' }
    this.#pollMs = options.pollMs ?? 1_000
    this.#log = options.log
    this.#pool = new BackendPool({
      label: 'ComfyUI',
      urls: options.urls,
      health: (backend, signal) => new ComfyClient(backend).health(signal),
      ...options.pool,
      ...(options.log ? { log: options.log } : {}),
    })
  }

  supports(_operation: Operation): boolean {
    return true
  }

  async run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    const plan = planRun(request, this.#plan)
    return this.#pool.run(options.signal, (backend) =>
      this.#runOn(new ComfyClient(backend), plan, request, options),
    )
  }

  backends(): readonly BackendState[] {
    return this.#pool.states()
  }

  async close(): Promise<void> {
    this.#pool.close()
    for (const watcher of this.#watchers) watcher.close()
    this.#watchers.clear()
  }

  async #runOn(
    client: ComfyClient,
    plan: RunPlan,
    request: EngineRequest,
    options: RunOptions,
  ): Promise<EngineResult> {
    const { signal } = options
    const promptId = randomUUID()
    const watcher = await PromptWatcher.open(client, `easel-${promptId}`, signal, this.#log)
    this.#watchers.add(watcher)
    let queued: string | null = null
    try {
      const values = { ...plan.values }
      if (plan.image) values.image = await client.upload(`easel-${promptId}-image.png`, plan.image, signal)
      if (plan.mask) values.mask = await client.upload(`easel-${promptId}-mask.png`, plan.mask, signal)
      const prompt = fillWorkflow(this.#workflows[plan.workflow], values)
      const { onProgress } = options
      const tally = new WorkflowProgress(prompt)
      // Until ComfyUI answers, the prompt may be queued under the id Easel gave it.
      queued = promptId
      queued = await client.queuePrompt(prompt, { clientId: `easel-${promptId}`, promptId }, signal)
      const entry = await watcher.finished(queued, {
        signal,
        onStep: onProgress
          ? (node, value, max) => {
              const progress = tally.step(node, value, max)
              if (progress) onProgress(progress)
            }
          : undefined,
        pollMs: this.#pollMs,
      })
      queued = null
      return { images: await this.#images(client, entry, request, signal) }
    } catch (error) {
      if (queued !== null && signal.aborted) await this.#withdraw(client, queued)
      throw error
    } finally {
      watcher.close()
      this.#watchers.delete(watcher)
    }
  }

  async #images(client: ComfyClient, entry: HistoryEntry, request: EngineRequest, signal: AbortSignal) {
    const where = client.backend.where
    // A workflow may save more than asked for (a second output node): the first n are the answer.
    const wanted = entry.images.slice(0, request.n)
    if (wanted.length === 0) {
      throw new EngineError(
        'NO_IMAGES',
        `${where} ran the workflow, but it saved no images (does it end in SaveImage?)`,
      )
    }
    return Promise.all(
      wanted.map(async (image) =>
        upstreamImage(
          await client.view(image, signal),
          request,
          where,
          ' (save with SaveImage, which writes PNG)',
        ),
      ),
    )
  }

  /**
   * Takes a stopped run's prompt off its backend: off the queue if it is waiting; interrupted if it
   * is the one running. Asked in that order, a prompt that starts in between is still caught, and
   * the interrupt names the prompt, so that another job running there is never stopped.
   */
  async #withdraw(client: ComfyClient, promptId: string): Promise<void> {
    const signal = AbortSignal.timeout(WITHDRAW_TIMEOUT_MS)
    try {
      await client.deleteQueued(promptId, signal)
      const queue = await client.queue(signal)
      if (queue.running.includes(promptId)) await client.interrupt(promptId, signal)
    } catch (error) {
      this.#log?.warn(
        { backend: client.backend.where, promptId, reason: (error as Error).message },
        `${client.backend.where}: could not take a stopped prompt off the server`,
      )
    }
  }
}
