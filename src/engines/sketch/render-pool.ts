import { Worker } from 'node:worker_threads'
import {
  abortError,
  EngineError,
  type EngineImage,
  type EngineProgress,
  type EngineRequest,
} from '../engine.ts'

interface Task {
  request: EngineRequest
  onProgress: ((progress: EngineProgress) => void) | undefined
  resolve(images: EngineImage[]): void
  reject(error: unknown): void
}

type Reply =
  | { id: number; progress: EngineProgress }
  | { id: number; images: Array<{ png: Uint8Array; width: number; height: number }> }
  | { id: number; error: { code: string | null; message: string } }

/**
 * Worker threads that draw sketch images. Each worker takes one request at a time; requests wait
 * in order for a free worker. An aborted request is answered at once (its drawing, at most one
 * request's worth, finishes in the background and is dropped). One that dies is replaced; `close`
 * stops them all (a worker's loader keeps the process alive otherwise).
 */
export class RenderPool {
  private readonly idle: Worker[] = []
  private readonly waiting: Task[] = []
  private readonly busy = new Map<Worker, { id: number; task: Task }>()
  private nextId = 0
  private closed = false

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn())
  }

  run(
    request: EngineRequest,
    signal: AbortSignal,
    onProgress?: (progress: EngineProgress) => void,
  ): Promise<EngineImage[]> {
    return new Promise<EngineImage[]>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal))
      if (this.closed) return reject(new EngineError('CANCELLED', 'the sketch renderer has stopped'))
      const task: Task = { request, onProgress, resolve, reject }
      const onAbort = () => {
        const queued = this.waiting.indexOf(task)
        if (queued >= 0) this.waiting.splice(queued, 1)
        // Its drawing may go on in the background: no progress after the answer.
        task.onProgress = undefined
        reject(abortError(signal))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          signal.removeEventListener('abort', onAbort)
          fn(v)
        }
      task.resolve = settle(resolve)
      task.reject = settle(reject)
      this.waiting.push(task)
      this.dispatch()
    })
  }

  /** Stops the threads; requests still waiting or drawing are refused. */
  async close(): Promise<void> {
    this.closed = true
    for (const task of this.waiting.splice(0))
      task.reject(new EngineError('CANCELLED', 'the sketch renderer stopped'))
    for (const { task } of this.busy.values())
      task.reject(new EngineError('CANCELLED', 'the sketch renderer stopped'))
    const workers = [...this.idle, ...this.busy.keys()]
    this.idle.length = 0
    this.busy.clear()
    await Promise.all(workers.map((w) => w.terminate()))
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const worker = this.idle.pop()!
      const task = this.waiting.shift()!
      const id = this.nextId++
      this.busy.set(worker, { id, task })
      worker.postMessage({ id, request: task.request })
    }
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./render-worker.mjs', import.meta.url))
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const current = this.busy.get(worker)
      if ('progress' in reply) {
        // The worker is still drawing: only the request it draws for hears of it.
        if (current?.id === reply.id) current.task.onProgress?.(reply.progress)
        return
      }
      this.busy.delete(worker)
      this.idle.push(worker)
      if (current && current.id === reply.id) {
        if ('error' in reply) {
          const { code, message } = reply.error
          current.task.reject(
            code ? new EngineError(code as EngineError['code'], message) : new Error(message),
          )
        } else {
          current.task.resolve(
            reply.images.map((i) => ({
              png: Buffer.from(i.png.buffer, i.png.byteOffset, i.png.byteLength),
              width: i.width,
              height: i.height,
            })),
          )
        }
      }
      this.dispatch()
    })
    worker.on('error', (error) => {
      const current = this.busy.get(worker)
      this.busy.delete(worker)
      const at = this.idle.indexOf(worker)
      if (at >= 0) this.idle.splice(at, 1)
      current?.task.reject(new EngineError('UPSTREAM_ERROR', `the sketch renderer crashed: ${error.message}`))
      if (this.closed) return
      this.idle.push(this.spawn())
      this.dispatch()
    })
    return worker
  }
}
