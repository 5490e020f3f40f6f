import {
  abortError,
  EngineError,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type ImageSize,
  type RunOptions,
} from '../../src/engines/engine.ts'
import { encodePng } from '../../src/images/png.ts'

const SIZES: readonly ImageSize[] = [256, 512, 1024]

/** A plain image of the requested size (engines under test need not draw anything). */
export function flatPng(size: number): Buffer {
  const data = new Uint8Array(size * size * 4).fill(200)
  return encodePng({ width: size, height: size, data })
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
            png: flatPng(request.size),
            width: request.size,
            height: request.size,
          })),
        }
    }
  }
}
