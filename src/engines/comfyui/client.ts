import type { Backend } from '../backend-pool.ts'
import { abortError, EngineError } from '../engine.ts'
import { type HistoryEntry, parseHistory, parseQueue, type QueueState } from './history.ts'
import type { ApiNode } from './workflow.ts'

/**
 * ComfyUI's HTTP API on one backend, each call as its server (`server.py`) documents it. Failures
 * are `EngineError`s: unreachable, refused credentials and server errors are `UPSTREAM_ERROR`
 * (the backend's fault); a workflow ComfyUI will not run is `UPSTREAM_REJECTED`.
 */
export class ComfyClient {
  constructor(readonly backend: Backend) {}

  /**
   * `POST /upload/image` (multipart: `image`, `overwrite`, `type=input`): the name `LoadImage` and
   * `LoadImageMask` take for the file (`subfolder/name` when ComfyUI put it in one). The mask goes
   * this way too, as a file of its own: `/upload/mask` is the mask editor's route, which writes
   * the mask into the alpha of an image uploaded before (`original_ref`).
   */
  async upload(name: string, png: Buffer, signal: AbortSignal): Promise<string> {
    const form = new FormData()
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), name)
    form.append('type', 'input')
    // Names are unique per run; overwriting keeps ComfyUI from renaming a retried upload.
    form.append('overwrite', 'true')
    const answer = await this.#json('POST', 'upload/image', form, signal)
    const { name: saved, subfolder } = (answer ?? {}) as { name?: unknown; subfolder?: unknown }
    if (typeof saved !== 'string' || saved === '') {
      throw new EngineError('UPSTREAM_ERROR', `${this.backend.where} answered an upload without a file name`)
    }
    return typeof subfolder === 'string' && subfolder !== '' ? `${subfolder}/${saved}` : saved
  }

  /**
   * `POST /prompt {prompt, client_id, prompt_id}` → the prompt id ComfyUI queued it under. Easel
   * picks the id (ComfyUI takes it since 2025; older ones answer with their own) so that a prompt
   * whose answer was lost to a cancel can still be taken off the queue.
   */
  async queuePrompt(
    prompt: Record<string, ApiNode>,
    ids: { clientId: string; promptId: string },
    signal: AbortSignal,
  ): Promise<string> {
    const body = JSON.stringify({ prompt, client_id: ids.clientId, prompt_id: ids.promptId })
    const answer = await this.#json('POST', 'prompt', body, signal)
    const id = (answer as { prompt_id?: unknown } | null)?.prompt_id
    if (typeof id !== 'string' || id === '') {
      throw new EngineError('UPSTREAM_ERROR', `${this.backend.where} queued the workflow without a prompt_id`)
    }
    return id
  }

  /** `GET /history/{prompt_id}`: the finished prompt's record, or null while it is not finished. */
  async history(promptId: string, signal: AbortSignal): Promise<HistoryEntry | null> {
    const answer = await this.#json('GET', `history/${encodeURIComponent(promptId)}`, null, signal)
    return parseHistory(answer, promptId, this.backend.where)
  }

  /** `GET /queue`: the prompt ids running and waiting. */
  async queue(signal: AbortSignal): Promise<QueueState> {
    return parseQueue(await this.#json('GET', 'queue', null, signal), this.backend.where)
  }

  /** `GET /view?filename=&subfolder=&type=`: an output file's bytes. */
  async view(
    image: { filename: string; subfolder: string; type: string },
    signal: AbortSignal,
  ): Promise<Buffer> {
    const query = new URLSearchParams({
      filename: image.filename,
      subfolder: image.subfolder,
      type: image.type,
    })
    const response = await this.#fetch('GET', `view?${query}`, null, signal)
    if (!response.ok) throw this.#httpError(response.status, await response.text().catch(() => ''), 'view')
    return Buffer.from(await response.arrayBuffer())
  }

  /** `POST /queue {delete: [id]}`: takes a waiting prompt off the queue (nothing if it is not waiting). */
  async deleteQueued(promptId: string, signal: AbortSignal): Promise<void> {
    await this.#json('POST', 'queue', JSON.stringify({ delete: [promptId] }), signal)
  }

  /**
   * `POST /interrupt {prompt_id}`: stops that prompt if it is the one running (a no-op otherwise).
   * Never sent without an id: ComfyUI takes that as "stop whatever is running", which may be
   * someone else's job. Servers from before the id was read (2025) ignore it and stop whatever
   * runs, so the engine sends this only once `/queue` lists the prompt as the one running.
   */
  async interrupt(promptId: string, signal: AbortSignal): Promise<void> {
    await this.#json('POST', 'interrupt', JSON.stringify({ prompt_id: promptId }), signal)
  }

  /** `GET /system_stats` answers with the server's devices: the health check. */
  async health(signal: AbortSignal): Promise<void> {
    const answer = await this.#json('GET', 'system_stats', null, signal)
    if (!Array.isArray((answer as { devices?: unknown } | null)?.devices)) {
      throw new EngineError(
        'UPSTREAM_ERROR',
        `${this.backend.where} answered /system_stats without its devices`,
      )
    }
  }

  async #json(
    method: 'GET' | 'POST',
    path: string,
    body: string | FormData | null,
    signal: AbortSignal,
  ): Promise<unknown> {
    const response = await this.#fetch(method, path, body, signal)
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw this.#unreachable(error, signal)
    }
    const json = parseJson(text)
    if (!response.ok) throw this.#httpError(response.status, json ?? text, path.split('?')[0]!)
    // /queue, /interrupt and /history (POST) answer 200 with an empty body.
    return text === '' ? null : json
  }

  async #fetch(
    method: string,
    path: string,
    body: string | FormData | null,
    signal: AbortSignal,
  ): Promise<Response> {
    try {
      return await fetch(new URL(path, this.backend.base), {
        method,
        headers: {
          ...this.backend.headers,
          ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
        },
        ...(body === null ? {} : { body }),
        signal,
      })
    } catch (error) {
      throw this.#unreachable(error, signal)
    }
  }

  #unreachable(error: unknown, signal: AbortSignal): EngineError {
    if (signal.aborted) return abortError(signal)
    const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code
    return new EngineError(
      'UPSTREAM_ERROR',
      `${this.backend.where} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`,
      { cause: error },
    )
  }

  #httpError(status: number, body: unknown, path: string): EngineError {
    const where = this.backend.where
    if (status === 401 || status === 403) {
      return new EngineError('UPSTREAM_ERROR', `${where} refused Easel's credentials (HTTP ${status})`)
    }
    if (status === 404 && path !== 'view') {
      return new EngineError('UPSTREAM_ERROR', `${where} has no /${path} (HTTP 404): is it ComfyUI?`)
    }
    if (status === 400 && path === 'prompt') {
      return new EngineError('UPSTREAM_REJECTED', `${where} refused the workflow: ${describeRejection(body)}`)
    }
    const detail = typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200)
    return new EngineError(
      'UPSTREAM_ERROR',
      `${where} failed on /${path} (HTTP ${status})${detail ? `: ${detail}` : ''}`,
    )
  }
}

/**
 * ComfyUI's answer to a prompt it will not run: `{error: {type, message, details}, node_errors:
 * {id: {class_type, errors: [{message, details}]}}}` (older servers: `error` is a string).
 *
 * @example
 * describeRejection({ error: { message: 'Prompt outputs failed validation' }, node_errors: {
 *   '4': { class_type: 'CheckpointLoaderSimple', errors: [{ message: 'Value not in list',
 *   details: "ckpt_name: 'x.safetensors' not in []" }] } } })
 * // → "CheckpointLoaderSimple (node 4): Value not in list: ckpt_name: 'x.safetensors' not in []"
 */
export function describeRejection(body: unknown): string {
  if (typeof body !== 'object' || body === null)
    return typeof body === 'string' && body ? body.slice(0, 300) : 'HTTP 400'
  const { error, node_errors: nodeErrors } = body as { error?: unknown; node_errors?: unknown }
  const parts: string[] = []
  if (typeof nodeErrors === 'object' && nodeErrors !== null) {
    for (const [id, node] of Object.entries(nodeErrors)) {
      const { class_type: type, errors } = (node ?? {}) as { class_type?: unknown; errors?: unknown }
      const reasons = Array.isArray(errors) ? errors.map(reason).filter((r) => r !== '') : []
      parts.push(
        `${typeof type === 'string' ? type : 'node'} (node ${id}): ${reasons.join('; ') || 'invalid'}`,
      )
    }
  }
  if (parts.length === 0) parts.push(reason(error) || 'HTTP 400')
  const text = parts.join('; ')
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

function reason(error: unknown): string {
  if (typeof error === 'string') return error
  if (typeof error !== 'object' || error === null) return ''
  const { message, details } = error as { message?: unknown; details?: unknown }
  const m = typeof message === 'string' ? message : ''
  const d = typeof details === 'string' ? details : ''
  return m && d ? `${m}: ${d}` : m || d
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
