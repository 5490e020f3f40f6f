import type { z } from 'zod'
import {
  type Operation,
  QUALITIES,
  type Quality,
  RESOLVED_QUALITIES,
  type ResolvedQuality,
  type SizeName,
} from '../contracts/index.ts'

/**
 * The one interface every image engine implements (`engines/<name>/engine.ts`), and the shape each
 * `engines/<name>/index.ts` exports for `engines/registry.ts`. The studio's job runner calls `run`
 * with a validated request; input images are PNG bytes the HTTP layer already checked (square,
 * the size of each other), and every image an engine returns is a PNG of exactly the requested
 * `width` × `height`.
 */

// What a job does, the sizes (by name) and the qualities Easel asks engines for are the API's.
export {
  DEFAULT_SIZE,
  dimensionsOf,
  IMAGE_SIZES,
  type ImageSize,
  imageSizeOf,
  OPERATIONS,
  type Operation,
  QUALITIES,
  type Quality,
  RESOLVED_QUALITIES,
  type ResolvedQuality,
  SIZE_NAMES,
  type SizeName,
  SQUARE_SIZE_NAMES,
  sizeName,
} from '../contracts/index.ts'

interface Common {
  /** Images wanted, 1 to MAX_IMAGES_PER_JOB (contracts/limits.ts). */
  n: number
  /** The size by name (`1536x1024`), one the engine declared for the model (`sizesOf`). */
  size: SizeName
  /** The size in pixels of every image returned: `size`'s width and height. */
  width: number
  height: number
  /**
   * What the request asked for, `auto` already resolved (`qualitiesOf`): one the model takes.
   * Engines without a notion of quality map it as they can (SD WebUI: more or fewer steps).
   */
  quality: ResolvedQuality
  /** Makes a deterministic engine (sketch) repeatable; upstream engines pass it on where they can. */
  seed: number
  /** The model the request named, or the engine's default model. */
  model: string
}

export type EngineRequest =
  | (Common & { operation: 'generate'; prompt: string })
  /** `mask` is OpenAI's convention: fully transparent pixels are the area to change. */
  | (Common & { operation: 'edit'; prompt: string; image: Buffer; mask: Buffer | null })
  | (Common & { operation: 'variation'; image: Buffer; prompt: string | null })

export interface EngineImage {
  /** PNG bytes. */
  png: Buffer
  width: number
  height: number
}

export interface EngineResult {
  images: EngineImage[]
  /** The prompt the upstream actually used, when it rewrote it. */
  revisedPrompt?: string
}

/** How far a run has got, in whatever the engine counts (images drawn, sampling steps). */
export interface EngineProgress {
  readonly done: number
  readonly total: number
}

export interface RunOptions {
  /**
   * Aborts when the studio's runner stops the job: its timeout (EASEL_ENGINE_TIMEOUT), a cancel,
   * or shutdown. The runner alone owns the deadline: engines set no timeout of their own.
   */
  readonly signal: AbortSignal
  /** Called as the run makes progress; engines that cannot tell never call it. */
  readonly onProgress?: (progress: EngineProgress) => void
}

export interface ImageEngine {
  /** The engine's name in configuration (`sketch`, `openai`, `sdwebui`). */
  readonly name: string
  /** Model names a request may ask for to reach this engine; the first is its default. */
  readonly models: readonly string[]
  /** True for engines that draw procedurally (no model): their images are labelled as such. */
  readonly procedural: boolean
  /** Every size the engine makes, for one model or another. */
  readonly sizes: readonly SizeName[]
  /** The sizes `model` makes, for an engine whose models differ (OpenAI's); `sizes` when left out. */
  sizesFor?(model: string): readonly SizeName[]
  /**
   * The qualities `model` takes and what `auto` means for it. Left out: every quality is taken
   * (the engine maps it as it can) and `auto` is `standard`.
   */
  qualitiesFor?(model: string): ModelQualities
  supports(operation: Operation): boolean
  /**
   * Makes the images. Must stop promptly (rejecting with `EngineError` code `TIMEOUT` or
   * `CANCELLED`) once the signal aborts. Never resolves with zero images: that is `NO_IMAGES`.
   */
  run(request: EngineRequest, options: RunOptions): Promise<EngineResult>
  /**
   * The upstream servers of an engine that has several (`sdwebui`, `comfyui`): each one's state,
   * for the admin's engines page. Engines without upstream URLs leave it out.
   */
  backends?(): readonly BackendState[]
  /** Frees what the engine holds (threads, connections); called once when Easel stops. */
  close?(): Promise<void>
}

/** The qualities a model takes (never `auto`) and what `auto` resolves to (one of them). */
export interface ModelQualities {
  readonly accepted: readonly ResolvedQuality[]
  readonly auto: ResolvedQuality
}

/** What an engine without a notion of quality takes: everything, `auto` being `standard`. */
export const ANY_QUALITY: ModelQualities = Object.freeze({ accepted: RESOLVED_QUALITIES, auto: 'standard' })

/** The sizes `model` of `engine` makes. */
export function sizesOf(engine: ImageEngine, model: string): readonly SizeName[] {
  return engine.sizesFor?.(model) ?? engine.sizes
}

/** The qualities `model` of `engine` takes. */
export function qualitiesOf(engine: ImageEngine, model: string): ModelQualities {
  return engine.qualitiesFor?.(model) ?? ANY_QUALITY
}

/**
 * `asked` as the quality `model` will be made (and priced) at: `auto` or none becomes the model's
 * `auto`; null when the model does not take it.
 *
 * @example
 * resolveQuality(openai, 'dall-e-3', 'auto') // → 'standard'
 * resolveQuality(openai, 'dall-e-3', 'low') // → null (dall-e-3 takes standard or hd)
 */
export function resolveQuality(
  engine: ImageEngine,
  model: string,
  asked: Quality | null | undefined,
): ResolvedQuality | null {
  const { accepted, auto } = qualitiesOf(engine, model)
  if (asked === undefined || asked === null || asked === 'auto') return auto
  return accepted.includes(asked) ? asked : null
}

/** The qualities a request may name for `model`: those it takes, and `auto`. */
export function qualityNamesOf(engine: ImageEngine, model: string): Quality[] {
  const { accepted } = qualitiesOf(engine, model)
  return QUALITIES.filter((q) => q === 'auto' || accepted.includes(q))
}

/** One upstream server of an engine, as the admin sees it. */
export interface BackendState {
  /** The server's address, without credentials. */
  readonly url: string
  /** False while it is taken out of rotation (failed health checks or repeated errors). */
  readonly healthy: boolean
  /** Jobs it is running for this process now. */
  readonly running: number
  /** Why it was last taken out or last failed; null when it never failed. */
  readonly lastError: string | null
  /** When it was last checked or used (ms since the epoch); null before the first. */
  readonly checkedAt: number | null
  /** While taken out: when it will be checked again (ms since the epoch). */
  readonly retryAt: number | null
}

/**
 * Live collaborators the composition root may hand an engine beside its settings. None needs one
 * yet; the parameter is there so that adding one (a logger for ComfyUI's websocket) does not change
 * every engine's `create`.
 */
export interface EngineDeps {
  readonly log?: { warn(details: object, message: string): void }
}

/**
 * What each `engines/<name>/index.ts` exports (as `name`, `configSchema` and `create`), so that
 * adding an engine is a folder plus a line in `engines/registry.ts`.
 */
export interface EngineModule<Settings> {
  /** The engine's name in configuration (EASEL_DEFAULT_ENGINE) and in `ImageEngine.name`. */
  readonly name: string
  /**
   * Reads the engine's own `EASEL_<NAME>_*` variables from the whole environment: its settings, or
   * null when they leave it off. `loadConfig` reports each issue as `VARIABLE: message`.
   */
  readonly configSchema: z.ZodType<Settings | null, unknown>
  create(settings: Settings, deps: EngineDeps): ImageEngine
}

export type EngineErrorCode =
  /** The upstream refused the prompt or image on content grounds. */
  | 'CONTENT_POLICY'
  /** The upstream answered with an error, or could not be reached. */
  | 'UPSTREAM_ERROR'
  /** The upstream said the request itself was wrong (a size it does not offer, …). */
  | 'UPSTREAM_REJECTED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'NO_IMAGES'
  | 'UNSUPPORTED'

/** Every way an engine run fails. Each one releases the job's hold: nothing is charged. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'EngineError'
  }
}

/** Throws the abort as an `EngineError` when `signal` has aborted (TIMEOUT unless it says CANCELLED). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal)
}

export function abortError(signal: AbortSignal): EngineError {
  const reason = signal.reason
  if (reason instanceof EngineError) return reason
  return new EngineError('TIMEOUT', 'the engine took too long and was stopped')
}
