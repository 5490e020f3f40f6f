import {
  abortError,
  EngineError,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type RunOptions,
  SIZE_NAMES,
} from '../../src/engines/engine.ts'
import { encodePng } from '../../src/images/png.ts'

const SIZES = SIZE_NAMES

/** A plain image of the requested size (engines under test need not draw anything). */
export function flatPng(width: number, height = width): Buffer {
  const data = new Uint8Array(width * height * 4).fill(200)
  return encodePng({ width, height, data })
}

/**
 * An engine whose behaviour a test sets: answer, fail with an EngineError, hang until aborted, or
 * return no images. `started` counts runs, and `gate` (when set) holds each run until it resolves.
 */
export class ScriptedEngine implements ImageEngine {
  readonly models: readonly string[]
  readonly procedural = false
  readonly sizes = SIZES
  behaviour: 'ok' | 'fail' | 'content_policy' | 'hang' | 'empty' | 'throw' = 'ok'
  started = 0
  gate: Promise<void> | null = null

  constructor(readonly name: string) {
    this.models = [name]
  }

  supports(): boolean {
    return true
  }

  async run(request: EngineRequest, { signal }: RunOptions): Promise<EngineResult> {
    this.started++
    if (this.gate) await this.gate
    switch (this.behaviour) {
      case 'fail':
        throw new EngineError('UPSTREAM_ERROR', 'the upstream answered 500: CUDA out of memory')
      case 'content_policy':
        throw new EngineError('CONTENT_POLICY', 'the upstream refused this prompt on safety grounds')
      case 'throw':
        throw new TypeError('a bug in an engine')
      case 'empty':
        return { images: [] }
      case 'hang':
        return new Promise((_resolve, reject) => {
          const stop = () => reject(abortError(signal))
          if (signal.aborted) stop()
          else signal.addEventListener('abort', stop, { once: true })
        })
      case 'ok':
        return {
          images: Array.from({ length: request.n }, () => ({
            png: flatPng(request.width, request.height),
            width: request.width,
            height: request.height,
          })),
        }
    }
  }
}

/** One run of a {@link ControlledEngine}, which the test moves on. */
export interface ControlledRun {
  readonly request: EngineRequest
  readonly signal: AbortSignal
  /** Reports progress to the studio, as an engine does as it works. */
  report(done: number, total: number): void
  /** Answers with `request.n` plain images of the requested size. */
  finish(): void
  fail(error: unknown): void
}

/**
 * An engine whose every run waits for the test: `started(k)` gives the k-th run once it reached
 * the engine, and the test reports its progress, finishes it or fails it. A run honours its abort
 * signal (rejecting with the signal's `EngineError`, as engines must) unless `ignoresAbort` is set,
 * to see that a job does not wait for an engine that will not stop.
 */
export class ControlledEngine implements ImageEngine {
  readonly models: readonly string[]
  readonly procedural = false
  readonly sizes = SIZES
  readonly runs: ControlledRun[] = []
  ignoresAbort = false
  private readonly waiters: Array<{ count: number; resolve(run: ControlledRun): void }> = []

  constructor(readonly name = 'controlled') {
    this.models = [name]
  }

  supports(): boolean {
    return true
  }

  run(request: EngineRequest, { signal, onProgress }: RunOptions): Promise<EngineResult> {
    return new Promise<EngineResult>((resolve, reject) => {
      const run: ControlledRun = {
        request,
        signal,
        report: (done, total) => onProgress?.({ done, total }),
        finish: () =>
          resolve({
            images: Array.from({ length: request.n }, () => ({
              png: flatPng(request.width, request.height),
              width: request.width,
              height: request.height,
            })),
          }),
        fail: reject,
      }
      if (!this.ignoresAbort) {
        if (signal.aborted) reject(abortError(signal))
        else signal.addEventListener('abort', () => reject(abortError(signal)), { once: true })
      }
      this.runs.push(run)
      for (const waiter of this.waiters.filter((w) => w.count <= this.runs.length)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        waiter.resolve(this.runs[waiter.count - 1]!)
      }
    })
  }

  /** The `count`-th run (1 = the first) once it has reached the engine. */
  started(count: number): Promise<ControlledRun> {
    const run = this.runs[count - 1]
    if (run) return Promise.resolve(run)
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  /** The run of the job with this prompt, when one reached the engine. */
  runOf(prompt: string): ControlledRun | undefined {
    return this.runs.find((r) => r.request.prompt === prompt)
  }
}
