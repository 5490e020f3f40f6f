import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { abortError, type EngineDeps, EngineError, throwIfAborted } from '../engine.ts'
import type { ComfyClient } from './client.ts'
import { describeExecutionError, type HistoryEntry } from './history.ts'

interface Message {
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
}

export interface WatchOptions {
  readonly signal: AbortSignal
  /** Each `progress` message of the prompt: the node counting, and its count (see progress.ts). */
  readonly onStep?: ((node: unknown, value: number, max: number) => void) | undefined
  /** How often `/history` is asked once the websocket is gone. */
  readonly pollMs: number
}

/**
 * Follows one run's prompt on one backend. ComfyUI sends a prompt's events to the websocket of the
 * `client_id` it was queued with (`/ws?clientId=`): `progress {value, max, node}`, `executing {node:
 * null}` once it is over (after its `/history` record is written), `execution_error`,
 * `execution_interrupted`. Each run has its own client id, so no other job's events arrive here.
 *
 * The socket is opened before the prompt is queued so that no event is missed; events that come
 * before the prompt id is known are kept. When the socket cannot be opened or drops mid-run, the
 * run is followed by polling `/history` (and `/queue`, to notice a prompt the server lost) until
 * it ends; the run's signal bounds every wait.
 */
export class PromptWatcher {
  readonly #client: ComfyClient
  readonly #socket: WebSocket | null
  readonly #log: EngineDeps['log']
  #early: Message[] = []
  #listener: ((message: Message) => void) | null = null
  #dropped: boolean
  #onDrop: (() => void) | null = null

  private constructor(client: ComfyClient, socket: WebSocket | null, log: EngineDeps['log']) {
    this.#client = client
    this.#socket = socket
    this.#log = log
    this.#dropped = socket === null
    socket?.on('message', (raw, isBinary) => {
      const message = isBinary ? null : parseMessage(raw)
      if (!message) return // binary messages are previews
      if (this.#listener) this.#listener(message)
      else this.#early.push(message)
    })
    socket?.on('error', () => {}) // 'close' follows and says what matters
    socket?.on('close', () => {
      this.#dropped = true
      this.#onDrop?.()
    })
  }

  /** Opens the websocket for `clientId`; a watcher that polls when ComfyUI's socket cannot be had. */
  static async open(
    client: ComfyClient,
    clientId: string,
    signal: AbortSignal,
    log?: EngineDeps['log'],
  ): Promise<PromptWatcher> {
    throwIfAborted(signal)
    const url = new URL(`ws?clientId=${encodeURIComponent(clientId)}`, client.backend.base)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    const socket = new WebSocket(url, { headers: { ...client.backend.headers } })
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abortError(signal))
        signal.addEventListener('abort', onAbort, { once: true })
        const settle = (error?: Error) => {
          signal.removeEventListener('abort', onAbort)
          if (error) reject(error)
          else resolve()
        }
        socket.once('open', () => settle())
        socket.once('error', (error) => settle(error))
        socket.once('unexpected-response', (_request, response) =>
          settle(new Error(`HTTP ${response.statusCode}`)),
        )
      })
    } catch (error) {
      socket.terminate()
      socket.on('error', () => {})
      if (signal.aborted) throw abortError(signal)
      log?.warn(
        { backend: client.backend.where, reason: (error as Error).message },
        `${client.backend.where}: no websocket; following the run by polling /history`,
      )
      return new PromptWatcher(client, null, log)
    }
    return new PromptWatcher(client, socket, log)
  }

  /**
   * Waits for `promptId` to end: its `/history` record when it succeeded; an `EngineError` when it
   * failed (`UPSTREAM_ERROR` with ComfyUI's reason), was interrupted (the signal's CANCELLED or
   * TIMEOUT when Easel stopped it) or the signal aborted.
   */
  async finished(promptId: string, options: WatchOptions): Promise<HistoryEntry> {
    throwIfAborted(options.signal)
    if ((await this.#follow(promptId, options)) === 'over') {
      const entry = await this.#client.history(promptId, options.signal)
      if (entry) return this.#settle(entry, options.signal)
    }
    return this.#poll(promptId, options)
  }

  close(): void {
    this.#listener = null
    this.#onDrop = null
    this.#socket?.terminate()
  }

  /** Follows the socket until the prompt is over, or the socket is gone ('dropped'). */
  #follow(promptId: string, { signal, onStep }: WatchOptions): Promise<'over' | 'dropped'> {
    return new Promise((resolve, reject) => {
      let settled = false
      const stop = () => {
        settled = true
        this.#listener = null
        this.#onDrop = null
        signal.removeEventListener('abort', onAbort)
      }
      const onAbort = () => {
        stop()
        reject(abortError(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#onDrop = () => {
        stop()
        this.#log?.warn(
          { backend: this.#client.backend.where, promptId },
          `${this.#client.backend.where}: the websocket closed mid-run; following it by polling /history`,
        )
        resolve('dropped')
      }
      const listener = ({ type, data }: Message) => {
        if (data.prompt_id !== promptId) return
        if (type === 'progress' && typeof data.value === 'number' && typeof data.max === 'number') {
          onStep?.(data.node, data.value, data.max)
        } else if (type === 'executing' && data.node === null) {
          stop()
          resolve('over')
        } else if (type === 'execution_error') {
          stop()
          reject(
            new EngineError(
              'UPSTREAM_ERROR',
              `${this.#client.backend.where}: ${describeExecutionError(data)}`,
            ),
          )
        } else if (type === 'execution_interrupted') {
          stop()
          reject(this.#interrupted(signal))
        }
      }
      this.#listener = listener
      const early = this.#early
      this.#early = []
      for (const message of early) if (!settled) listener(message)
      if (!settled && this.#dropped) this.#onDrop?.()
    })
  }

  async #poll(promptId: string, { signal, pollMs }: WatchOptions): Promise<HistoryEntry> {
    for (;;) {
      const entry = await this.#client.history(promptId, signal)
      if (entry) return this.#settle(entry, signal)
      const queue = await this.#client.queue(signal)
      if (!queue.running.includes(promptId) && !queue.pending.includes(promptId)) {
        // It may have finished between the two calls.
        const late = await this.#client.history(promptId, signal)
        if (late) return this.#settle(late, signal)
        throw new EngineError(
          'UPSTREAM_ERROR',
          `${this.#client.backend.where} no longer has the prompt (restarted, or its queue cleared?)`,
        )
      }
      try {
        await sleep(pollMs, undefined, { signal })
      } catch {
        throw abortError(signal)
      }
    }
  }

  #settle(entry: HistoryEntry, signal: AbortSignal): HistoryEntry {
    const { ending } = entry
    if (ending.kind === 'success') return entry
    if (ending.kind === 'interrupted') throw this.#interrupted(signal)
    throw new EngineError('UPSTREAM_ERROR', `${this.#client.backend.where}: ${ending.message}`)
  }

  /** Easel's own stop is the signal's error; anyone else's is the backend's doing. */
  #interrupted(signal: AbortSignal): EngineError {
    if (signal.aborted) return abortError(signal)
    return new EngineError(
      'UPSTREAM_ERROR',
      `${this.#client.backend.where} interrupted the prompt (stopped on the server)`,
    )
  }
}

function parseMessage(raw: WebSocket.RawData): Message | null {
  let value: unknown
  try {
    const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer)
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return null
  }
  const { type, data } = (value ?? {}) as { type?: unknown; data?: unknown }
  if (typeof type !== 'string' || typeof data !== 'object' || data === null) return null
  return { type, data: data as Record<string, unknown> }
}
