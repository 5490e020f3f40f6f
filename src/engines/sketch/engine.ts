import os from 'node:os'
import { decodePng, PngError, type RgbaImage } from '../../images/png.ts'
import {
  EngineError,
  type EngineImage,
  type EngineProgress,
  type EngineRequest,
  type EngineResult,
  type ImageEngine,
  type ImageSize,
  imageSizeOf,
  type Operation,
  type RunOptions,
  type SizeName,
  SQUARE_SIZE_NAMES,
  throwIfAborted,
} from '../engine.ts'
import { renderEdit } from './edit.ts'
import { encodeOpaquePng } from './encode-png.ts'
import { renderSketch } from './render.ts'
import { RenderPool } from './render-pool.ts'
import { renderVariation } from './variation.ts'

/**
 * Easel's built-in engine: draws the prompt procedurally (no model, no network), labelled as such
 * in every image. The same request gives the same bytes; image k of a request uses `seed + k`.
 *
 * Drawing is CPU work. With `threads` (the default: one fewer than the machine's cores, at least
 * one and at most four) it happens in worker threads, so the server's event loop stays free for
 * requests and commits while images are drawn; with `threads: 0` it happens inline, yielding
 * between images. Either way an abort is honoured before each image, and progress is reported
 * after each.
 */
export class SketchEngine implements ImageEngine {
  readonly name = 'sketch'
  readonly models: readonly string[] = ['sketch']
  readonly procedural = true
  readonly sizes: readonly SizeName[] = SQUARE_SIZE_NAMES
  private readonly pool: RenderPool | null

  constructor(options: { threads?: number } = {}) {
    const threads = options.threads ?? Math.max(1, Math.min(4, os.availableParallelism() - 1))
    this.pool = threads > 0 ? new RenderPool(threads) : null
  }

  supports(_operation: Operation): boolean {
    return true
  }

  async run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    const { signal, onProgress } = options
    throwIfAborted(signal)
    if (!this.sizes.includes(request.size)) {
      throw new EngineError(
        'UNSUPPORTED',
        `the sketch engine draws ${this.sizes.join(', ')} squares, not ${request.size}`,
      )
    }
    if (!(request.n >= 1)) throw new EngineError('NO_IMAGES', 'no images were asked for')
    if (this.pool) return { images: await this.pool.run(request, signal, onProgress) }
    return { images: await drawAll(request, signal, onProgress) }
  }

  async close(): Promise<void> {
    await this.pool?.close()
  }
}

/**
 * Draws the request's images one by one, yielding and honouring an abort before each, and
 * reporting progress (images drawn of `n`) after each.
 */
export async function drawAll(
  request: EngineRequest,
  signal: AbortSignal | null,
  onProgress?: (progress: EngineProgress) => void,
): Promise<EngineImage[]> {
  const size = sideOf(request)
  let draw: ((seed: number) => RgbaImage) | null = null
  const images: EngineImage[] = []
  for (let k = 0; k < request.n; k++) {
    // Let other requests and timers run before each image, then honour an abort that came in.
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (signal) throwIfAborted(signal)
    draw ??= painter(request)
    images.push({ png: encodeOpaquePng(draw(request.seed + k)), width: size, height: size })
    onProgress?.({ done: k + 1, total: request.n })
  }
  return images
}

/** Decodes the request's input images once and returns a function drawing the image for a seed. */
function painter(request: EngineRequest): (seed: number) => RgbaImage {
  const size = sideOf(request)
  switch (request.operation) {
    case 'generate':
      return (seed) => renderSketch({ prompt: request.prompt, seed, size })
    case 'edit': {
      const image = readInput(request.image, 'image')
      const mask = request.mask ? readInput(request.mask, 'mask') : null
      return (seed) => renderEdit({ prompt: request.prompt, seed, size, image, mask })
    }
    case 'variation': {
      const image = readInput(request.image, 'image')
      return (seed) => renderVariation({ image, prompt: request.prompt, seed, size })
    }
  }
}

/** The side of the square the request asks for (`run` has checked that it is one of `sizes`). */
function sideOf(request: EngineRequest): ImageSize {
  const side = request.width === request.height ? imageSizeOf(request.width) : null
  if (side === null)
    throw new EngineError('UNSUPPORTED', `the sketch engine draws squares only, not ${request.size}`)
  return side
}

function readInput(bytes: Buffer, field: 'image' | 'mask'): RgbaImage {
  try {
    return decodePng(bytes)
  } catch (error) {
    if (error instanceof PngError)
      throw new EngineError('UPSTREAM_REJECTED', `the ${field} is not a readable PNG`, { cause: error })
    throw error
  }
}
