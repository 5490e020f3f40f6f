import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai'
import type { ModerationCreateParams } from 'openai/resources/moderations'
import { z } from 'zod'
import { type Moderation, type ModerationFlag, ModerationUnavailable } from './moderation.ts'

export interface OpenAiModerationOptions {
  /** The API root, e.g. `https://api.openai.com/v1` (the openai engine's EASEL_OPENAI_BASE_URL). */
  baseURL: string
  apiKey: string
  /** Only these categories refuse (EASEL_MODERATION_CATEGORIES); null: whatever the service flags. */
  categories: readonly string[] | null
  /** Default `omni-moderation-latest`, the model that reads images as well as text. */
  model?: string
}

/** One result of `POST /moderations`, checked: an OpenAI-compatible host may answer anything. */
const ModerationAnswer = z.object({
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        // `illicit` and `illicit/violent` may be null for inputs they do not apply to.
        categories: z.record(z.string(), z.boolean().nullable()),
      }),
    )
    .min(1),
})
type ModerationResult = z.output<typeof ModerationAnswer>['results'][number]

/**
 * Prompts and generated images checked by OpenAI's moderation endpoint (`EASEL_MODERATION=openai`)
 * with the official SDK and the openai engine's key: a prompt as text, each image as a PNG data URL
 * (`image_url`), one image per request because the endpoint takes no more (`too_many_images`).
 *
 * Fails closed. When the service cannot answer (unreachable, an error status, an answer that is not
 * a moderation result, slower than the caller's signal allows) this throws
 * {@link ModerationUnavailable}: a prompt is then refused before anything is held, and a job's
 * images are not kept and the job fails, nothing charged. Unchecked content never goes through.
 */
export class OpenAiModeration implements Moderation {
  readonly name = 'openai'
  readonly #client: OpenAI
  readonly #model: string
  readonly #categories: ReadonlySet<string> | null
  readonly #apiKey: string
  readonly #where: string

  constructor(options: OpenAiModerationOptions) {
    this.#model = options.model ?? 'omni-moderation-latest'
    this.#categories = options.categories ? new Set(options.categories) : null
    this.#apiKey = options.apiKey
    this.#where = `OpenAI's moderation at ${displayUrl(options.baseURL)}`
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      // Configuration comes from loadConfig only: null stops the SDK reading OPENAI_* from the env.
      organization: null,
      project: null,
      adminAPIKey: null,
      // A classification is free and changes nothing upstream, so the SDK may retry a blip (429,
      // 5xx, a dropped connection); the caller's signal bounds the whole check, retries included.
      maxRetries: 2,
    })
  }

  async checkPrompt(prompt: string, signal: AbortSignal): Promise<ModerationFlag | null> {
    return this.#flag([await this.#classify(prompt, signal)])
  }

  async checkImages(pngs: readonly Buffer[], signal: AbortSignal): Promise<ModerationFlag | null> {
    const results = await Promise.all(
      pngs.map((png) =>
        this.#classify(
          [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }],
          signal,
        ),
      ),
    )
    return this.#flag(results)
  }

  /** What refuses: the configured categories flagged, or anything the service flagged. */
  #flag(results: readonly ModerationResult[]): ModerationFlag | null {
    const flagged = new Set<string>()
    let any = false
    for (const result of results) {
      const named = Object.entries(result.categories)
        .filter(([category, on]) => on === true && (this.#categories?.has(category) ?? true))
        .map(([category]) => category)
      for (const category of named) flagged.add(category)
      if (this.#categories ? named.length > 0 : result.flagged) any = true
    }
    return any ? { categories: [...flagged].sort() } : null
  }

  async #classify(input: ModerationCreateParams['input'], signal: AbortSignal): Promise<ModerationResult> {
    let answer: unknown
    try {
      answer = await untilAborted(
        this.#client.moderations.create({ model: this.#model, input }, { signal }),
        signal,
      )
    } catch (error) {
      throw this.#unavailable(error, signal)
    }
    const checked = ModerationAnswer.safeParse(answer)
    if (!checked.success) {
      throw new ModerationUnavailable(
        `${this.#where} answered with something that is not a moderation result`,
      )
    }
    return checked.data.results[0]!
  }

  #unavailable(error: unknown, signal: AbortSignal): ModerationUnavailable {
    const where = this.#where
    if (signal.aborted || error instanceof APIUserAbortError) {
      return new ModerationUnavailable(`${where} did not answer in time`)
    }
    if (error instanceof APIConnectionError) {
      return new ModerationUnavailable(`${where} could not be reached`, { cause: error })
    }
    if (error instanceof APIError && error.status !== undefined) {
      // The body of a 401 quotes part of the key: say what is wrong without it (and without the cause).
      if (error.status === 401)
        return new ModerationUnavailable(`${where} refused Easel's API key (HTTP 401)`)
      const body = error.error as { message?: unknown } | undefined
      const said = typeof body?.message === 'string' ? `: ${this.#redact(body.message).slice(0, 300)}` : ''
      return new ModerationUnavailable(`${where} failed with HTTP ${error.status}${said}`, { cause: error })
    }
    return new ModerationUnavailable(`${where} failed`, { cause: error })
  }

  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('[api key]') : text
  }
}

/** The base URL without credentials or query, for messages. */
function displayUrl(baseURL: string): string {
  if (!URL.canParse(baseURL)) return 'the configured URL'
  const url = new URL(baseURL)
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: the SDK sleeps between retries
 * without watching the signal, and a check must end when its time is up.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {}) // it may reject after we stopped waiting
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
