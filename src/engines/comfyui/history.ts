import { EngineError } from '../engine.ts'

/** An image a prompt made, as `/history` lists it and `/view` serves it. */
export interface OutputImage {
  readonly filename: string
  readonly subfolder: string
  /** `output` (SaveImage) or `temp` (PreviewImage). */
  readonly type: string
}

/** How a finished prompt ended, from its `/history` record or the websocket. */
export type Ending =
  | { readonly kind: 'success' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'interrupted' }

export interface HistoryEntry {
  readonly ending: Ending
  /** Every image its output nodes list, saved ones (`output`) before previews (`temp`). */
  readonly images: readonly OutputImage[]
}

/**
 * `GET /history/{prompt_id}` → `{[prompt_id]: {prompt, outputs: {node: {images: [...]}}, status:
 * {status_str, completed, messages: [[event, data], …]}}}`, or `{}` while the prompt is not
 * finished (null here). Servers from before `status` existed count as a success.
 */
export function parseHistory(answer: unknown, promptId: string, where: string): HistoryEntry | null {
  if (typeof answer !== 'object' || answer === null) {
    throw new EngineError('UPSTREAM_ERROR', `${where} answered /history with something not JSON`)
  }
  const entry = (answer as Record<string, unknown>)[promptId]
  if (typeof entry !== 'object' || entry === null) return null
  const { outputs, status } = entry as { outputs?: unknown; status?: unknown }
  const images: OutputImage[] = []
  if (typeof outputs === 'object' && outputs !== null) {
    for (const output of Object.values(outputs)) {
      const list = (output as { images?: unknown } | null)?.images
      if (!Array.isArray(list)) continue
      for (const item of list) {
        const { filename, subfolder, type } = (item ?? {}) as Record<string, unknown>
        if (typeof filename !== 'string' || filename === '') continue
        images.push({
          filename,
          subfolder: typeof subfolder === 'string' ? subfolder : '',
          type: typeof type === 'string' ? type : 'output',
        })
      }
    }
  }
  images.sort((a, b) => Number(a.type !== 'output') - Number(b.type !== 'output'))
  return { ending: endingOf(status), images }
}

function endingOf(status: unknown): Ending {
  const { status_str: state, messages } = (status ?? {}) as { status_str?: unknown; messages?: unknown }
  if (state !== 'error') return { kind: 'success' }
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!Array.isArray(message)) continue
    const [event, data] = message as [unknown, unknown]
    if (event === 'execution_interrupted') return { kind: 'interrupted' }
    if (event === 'execution_error') return { kind: 'error', message: describeExecutionError(data) }
  }
  return { kind: 'error', message: 'the prompt failed (ComfyUI recorded no reason)' }
}

/**
 * An `execution_error` message's data: `{node_id, node_type, exception_type, exception_message, …}`.
 *
 * @example
 * describeExecutionError({ node_id: '3', node_type: 'KSampler', exception_type:
 *   'torch.OutOfMemoryError', exception_message: 'CUDA out of memory.' })
 * // → 'KSampler (node 3) failed: torch.OutOfMemoryError: CUDA out of memory.'
 */
export function describeExecutionError(data: unknown): string {
  const d = (data ?? {}) as Record<string, unknown>
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '')
  const node = text(d.node_type) ? `${text(d.node_type)} (node ${String(d.node_id ?? '?')})` : 'a node'
  const exception = [text(d.exception_type), text(d.exception_message)].filter(Boolean).join(': ')
  const message = `${node} failed${exception ? `: ${exception}` : ''}`
  return message.length > 500 ? `${message.slice(0, 500)}…` : message
}

export interface QueueState {
  readonly running: readonly string[]
  readonly pending: readonly string[]
}

/** `GET /queue` → `{queue_running: [[number, prompt_id, prompt, extra, outputs], …], queue_pending: […]}`. */
export function parseQueue(answer: unknown, where: string): QueueState {
  const { queue_running: running, queue_pending: pending } = (answer ?? {}) as Record<string, unknown>
  if (!Array.isArray(running) || !Array.isArray(pending)) {
    throw new EngineError(
      'UPSTREAM_ERROR',
      `${where} answered /queue without queue_running and queue_pending`,
    )
  }
  const ids = (items: unknown[]) =>
    items
      .map((item) => (Array.isArray(item) ? item[1] : undefined))
      .filter((id): id is string => typeof id === 'string')
  return { running: ids(running), pending: ids(pending) }
}
