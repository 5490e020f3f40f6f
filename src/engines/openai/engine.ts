import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAIError, toFile } from 'openai'
import type { ImagesResponse } from 'openai/resources/images'
import {
  abortError,
  EngineError,
  type EngineImage,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type ModelQualities,
  type Operation,
  type RunOptions,
  SIZE_NAMES,
  type SizeName,
} from '../engine.ts'
import { upstreamImage } from '../upstream-image.ts'
import { isGptImageModel, qualitiesOfModel, sizesOfModel, upstreamQuality, upstreamSize } from './models.ts'

export { isGptImageModel, upstreamSize } from './models.ts'

export interface OpenAiEngineOptions {
  /** The API root, e.g. `https://api.openai.com/v1` (or any server that speaks the Images API). */
  baseURL: string
  apiKey: string
  /** Model names requests may ask for; the first is the default. */
  models?: readonly string[]
}

/** The prompt a variation is drawn with when the request gives none (variations are edits here). */
export const VARIATION_PROMPT = 'A variation of this image, same subject and style'

/**
 * Images through the OpenAI Images API with the official SDK. The upstream has no variations
 * endpoint for its GPT image models, so a variation is an edit of the whole image.
 *
 * Retries: the SDK retries once (429, 5xx, dropped connections) after a short backoff. That covers
 * the blips that would otherwise fail a job, and cannot bill twice: failed requests make no images,
 * and a request that hangs is never retried, because the runner's signal (EASEL_ENGINE_TIMEOUT)
 * ends the whole run and the SDK's own per-attempt timeout is set beyond any deadline.
 */
export class OpenAiEngine implements ImageEngine {
  readonly name = 'openai'
  readonly procedural = false
  readonly models: readonly string[]
  readonly sizes: readonly SizeName[]
  readonly #client: OpenAI
  readonly #apiKey: string
  readonly #where: string

  constructor(options: OpenAiEngineOptions) {
    this.models = options.models?.length ? [...options.models] : ['gpt-image-1']
    // Each model's own sizes (models.ts); together, in the API's order, for the engine's summary.
    this.sizes = SIZE_NAMES.filter((size) => this.models.some((m) => sizesOfModel(m).includes(size)))
    this.#apiKey = options.apiKey
    this.#where = displayUrl(options.baseURL)
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      // Configuration comes from loadConfig only: null stops the SDK reading OPENAI_* from the env.
      organization: null,
      project: null,
      adminAPIKey: null,
      timeout: NO_SDK_TIMEOUT,
      maxRetries: 1,
    })
  }

  sizesFor(model: string): readonly SizeName[] {
    return sizesOfModel(model)
  }

  qualitiesFor(model: string): ModelQualities {
    return qualitiesOfModel(model)
  }

  supports(_operation: Operation): boolean {
    return true
  }

  async run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    const { signal } = options
    try {
      const response = await untilAborted(this.#call(request, signal), signal)
      return await this.#images(response, request, signal)
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      throw this.#engineError(error)
    }
  }

  async #call(request: EngineRequest, signal: AbortSignal): Promise<ImagesResponse> {
    const { model, n } = request
    const size = upstreamSize(model, request.size)
    const quality = upstreamQuality(model, request.quality)
    // The GPT image models always answer in base64 and refuse `response_format`; older ones default to URLs.
    const format = isGptImageModel(model) ? {} : { response_format: 'b64_json' as const }
    if (request.operation === 'generate') {
      return this.#client.images.generate(
        { model, prompt: request.prompt, n, size, ...quality, ...format },
        { signal },
      )
    }
    // Edits take no `hd` (dall-e-3 makes no edits: the upstream says so if asked).
    const asked = quality.quality
    const editQuality = asked === undefined || asked === 'hd' ? {} : { quality: asked }
    const prompt = request.operation === 'edit' ? request.prompt : (request.prompt ?? VARIATION_PROMPT)
    const image = await toFile(request.image, 'image.png', { type: 'image/png' })
    const mask = request.operation === 'edit' && request.mask ? request.mask : null
    const maskFile = mask ? { mask: await toFile(mask, 'mask.png', { type: 'image/png' }) } : {}
    return this.#client.images.edit(
      { model, image, ...maskFile, prompt, n, size, ...editQuality, ...format },
      { signal },
    )
  }

  async #images(
    response: ImagesResponse,
    request: EngineRequest,
    signal: AbortSignal,
  ): Promise<EngineResult> {
    const data = (response.data ?? []).slice(0, request.n)
    const images: EngineImage[] = []
    for (const item of data) {
      let bytes: Buffer
      if (item.b64_json) bytes = Buffer.from(item.b64_json, 'base64')
      else if (item.url) bytes = await this.#download(item.url, signal)
      else continue
      images.push(upstreamImage(bytes, request, `OpenAI at ${this.#where}`))
    }
    if (images.length === 0) {
      throw new EngineError('NO_IMAGES', `OpenAI at ${this.#where} answered without any images`)
    }
    const revisedPrompt = data.find((item) => item.revised_prompt)?.revised_prompt
    return revisedPrompt ? { images, revisedPrompt } : { images }
  }

  /** dall-e-2-style servers answer with URLs (valid for an hour); fetch the bytes at once. */
  async #download(url: string, signal: AbortSignal): Promise<Buffer> {
    const parsed = URL.canParse(url) ? new URL(url) : null
    if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
      throw new EngineError(
        'UPSTREAM_ERROR',
        `OpenAI at ${this.#where} answered with an image URL Easel cannot fetch`,
      )
    }
    let response: Response
    try {
      response = await fetch(parsed, { signal })
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      throw new EngineError('UPSTREAM_ERROR', `could not download an image OpenAI at ${this.#where} made`, {
        cause: error,
      })
    }
    if (!response.ok) {
      throw new EngineError(
        'UPSTREAM_ERROR',
        `downloading an image OpenAI at ${this.#where} made failed with HTTP ${response.status}`,
      )
    }
    return Buffer.from(await response.arrayBuffer())
  }

  #engineError(error: unknown): unknown {
    if (error instanceof EngineError || !(error instanceof OpenAIError)) return error
    const where = `OpenAI at ${this.#where}`
    if (error instanceof APIConnectionTimeoutError) {
      return new EngineError('TIMEOUT', 'the engine took too long and was stopped', { cause: error })
    }
    if (error instanceof APIConnectionError) {
      return new EngineError('UPSTREAM_ERROR', `could not reach ${where}`, { cause: error })
    }
    if (!(error instanceof APIError) || error.status === undefined) {
      return new EngineError('UPSTREAM_ERROR', `${where} answered in a way Easel does not understand`, {
        cause: error,
      })
    }
    const status = error.status
    const upstream = this.#redact(upstreamMessage(error))
    if (isContentPolicy(error)) {
      return new EngineError('CONTENT_POLICY', upstream || 'the request was refused by the safety system', {
        cause: error,
      })
    }
    // The body of a 401 quotes part of the key: say what is wrong without it (and without the cause).
    if (status === 401)
      return new EngineError('UPSTREAM_ERROR', `${where} refused Easel's API key (HTTP 401)`)
    // Ours, not the request's: forbidden (e.g. an unverified organisation), no such model, out of quota.
    if (status === 403 || status === 404 || status === 429) {
      return new EngineError('UPSTREAM_ERROR', `${where} answered HTTP ${status}: ${upstream}`, {
        cause: error,
      })
    }
    if (status >= 400 && status < 500) {
      return new EngineError('UPSTREAM_REJECTED', `${where} rejected the request: ${upstream}`, {
        cause: error,
      })
    }
    return new EngineError('UPSTREAM_ERROR', `${where} failed with HTTP ${status}: ${upstream}`, {
      cause: error,
    })
  }

  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('[api key]') : text
  }
}

/**
 * The SDK's per-attempt timeout: the longest a timer takes (about 24 days), so it never fires
 * before the runner's signal and a hung request is never retried (a retry could bill twice).
 */
const NO_SDK_TIMEOUT = 2 ** 31 - 1

function isContentPolicy(error: APIError): boolean {
  if (error.status !== 400) return false
  if (error.code === 'content_policy_violation' || error.code === 'moderation_blocked') return true
  return /safety system/i.test(upstreamMessage(error))
}

/** The `error.message` the API sent, without the SDK's "400 " prefix. */
function upstreamMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined
  const text = typeof body?.message === 'string' ? body.message : error.message
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

/** The base URL without credentials or query, for messages. */
function displayUrl(baseURL: string): string {
  if (!URL.canParse(baseURL)) return 'the configured URL'
  const url = new URL(baseURL)
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: the SDK sleeps between retries
 * without watching the signal, and a run must stop promptly.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {}) // it may reject after we stopped waiting
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
