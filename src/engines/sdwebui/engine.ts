import {
  abortError,
  EngineError,
  type EngineImage,
  type EngineRequest,
  type EngineResult,
  IMAGE_SIZES,
  type ImageEngine,
  type ImageSize,
  type Operation,
  type RunOptions,
} from '../engine.ts'
import { upstreamImage } from '../upstream-image.ts'
import { LOADED_CHECKPOINT, type PayloadSettings, webUiCall } from './payload.ts'

export interface SdWebUiEngineOptions {
  /** Where the WebUI (AUTOMATIC1111 or Forge, started with `--api`) listens, e.g. `http://127.0.0.1:7860`. */
  baseURL: string
  /**
   * Model names requests may ask for; the first is the default. `stable-diffusion` means the
   * checkpoint the WebUI has loaded; any other name is asked for as `sd_model_checkpoint`.
   */
  models?: readonly string[]
  steps?: number
  cfgScale?: number
  sampler?: string | null
  /** For a WebUI started with `--api-auth user:password` (HTTP basic). */
  auth?: { username: string; password: string } | null
  sizes?: readonly ImageSize[]
}

/**
 * Images from a Stable Diffusion WebUI over its `/sdapi/v1` API: generate is txt2img; edit and
 * variation are img2img (an edit with a mask inpaints it). The WebUI has no content policy, so
 * this engine never fails with `CONTENT_POLICY`.
 */
export class SdWebUiEngine implements ImageEngine {
  readonly name = 'sdwebui'
  readonly procedural = false
  readonly models: readonly string[]
  readonly sizes: readonly ImageSize[]
  readonly #base: URL
  readonly #where: string
  readonly #headers: Record<string, string>
  readonly #settings: PayloadSettings

  constructor(options: SdWebUiEngineOptions) {
    this.models = options.models?.length ? [...options.models] : [LOADED_CHECKPOINT]
    this.sizes = options.sizes ?? IMAGE_SIZES
    this.#settings = {
      steps: options.steps ?? 20,
      cfgScale: options.cfgScale ?? 7,
      sampler: options.sampler ?? null,
    }
    // fetch refuses URLs that carry credentials: take `http://user:pass@host` apart into basic auth.
    const base = new URL(options.baseURL)
    const auth =
      options.auth ??
      (base.username
        ? { username: decodeURIComponent(base.username), password: decodeURIComponent(base.password) }
        : null)
    base.username = ''
    base.password = ''
    base.search = ''
    base.hash = ''
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    this.#base = base
    this.#where = `${base.origin}${base.pathname.replace(/\/$/, '')}`
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(auth
        ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
        : {}),
    }
  }

  supports(_operation: Operation): boolean {
    return true
  }

  async run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    const { signal } = options
    const { path, body } = webUiCall(request, this.#settings)
    const answer = await this.#send('POST', path, body, signal)
    const encoded = (answer as { images?: unknown } | null)?.images
    if (encoded !== undefined && encoded !== null && !Array.isArray(encoded)) {
      throw new EngineError('UPSTREAM_ERROR', `${this.#who} answered without an image list`)
    }
    // Extensions (ControlNet and others) append their own maps after the images asked for.
    const images = (encoded ?? [])
      .slice(0, request.n)
      .filter((item): item is string => typeof item === 'string' && item.length > 0)
      .map((item) => this.#image(item, request.size))
    if (images.length === 0) throw new EngineError('NO_IMAGES', `${this.#who} answered without any images`)
    return { images }
  }

  /**
   * The checkpoints the WebUI offers (`model_name`s, as a model name here may give them). The
   * caller's signal is the only deadline, as for `run`.
   */
  async checkpoints(signal: AbortSignal): Promise<string[]> {
    const answer = await this.#send('GET', 'sdapi/v1/sd-models', null, signal)
    if (!Array.isArray(answer)) throw new EngineError('UPSTREAM_ERROR', `${this.#who} listed no checkpoints`)
    return answer
      .map((item: { model_name?: unknown }) => item?.model_name)
      .filter((name): name is string => typeof name === 'string')
  }

  get #who(): string {
    return `the Stable Diffusion WebUI at ${this.#where}`
  }

  async #send(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    let response: Response
    let text: string
    try {
      response = await fetch(new URL(path, this.#base), {
        method,
        headers: this.#headers,
        ...(body === null ? {} : { body: JSON.stringify(body) }),
        signal,
      })
      text = await response.text()
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      throw new EngineError('UPSTREAM_ERROR', `${this.#who} could not be reached${networkReason(error)}`, {
        cause: error,
      })
    }
    const json = parseJson(text)
    if (response.ok) {
      if (json === undefined)
        throw new EngineError('UPSTREAM_ERROR', `${this.#who} answered with something not JSON`)
      return json
    }
    throw this.#httpError(response.status, json, path)
  }

  #httpError(status: number, body: unknown, path: string): EngineError {
    const detail = describeError(body)
    if (status === 401 || status === 403) {
      return new EngineError('UPSTREAM_ERROR', `${this.#who} refused Easel's credentials (HTTP ${status})`)
    }
    if (status === 404) {
      return new EngineError(
        'UPSTREAM_ERROR',
        `${this.#who} has no /${path} (HTTP 404${detail ? `: ${detail}` : ''}); is it started with --api?`,
      )
    }
    if (status >= 400 && status < 500) {
      return new EngineError(
        'UPSTREAM_REJECTED',
        `${this.#who} rejected the request: ${detail || `HTTP ${status}`}`,
      )
    }
    return new EngineError(
      'UPSTREAM_ERROR',
      `${this.#who} failed (HTTP ${status})${detail ? `: ${detail}` : ''}`,
    )
  }

  #image(encoded: string, size: ImageSize): EngineImage {
    // The WebUI sends bare base64; a data: URL prefix is tolerated all the same.
    const bytes = Buffer.from(encoded.replace(/^data:[^,]*,/, ''), 'base64')
    return upstreamImage(bytes, size, this.#who, ' (set its image file format to png)')
  }
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
