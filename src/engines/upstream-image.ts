import { toSquarePng } from '../images/png.ts'
import { EngineError, type EngineImage, type ImageSize } from './engine.ts'

/**
 * An image an upstream answered with, as the square PNG the request asked for; bytes that are not
 * a readable PNG fail the run with `UPSTREAM_ERROR`. `hint` follows the "not a PNG" message (how
 * to set the upstream up so it answers in PNG).
 *
 * @example
 * upstreamImage(bytes, 256, 'OpenAI at https://api.openai.com/v1') // → { png, width: 256, height: 256 }
 */
export function upstreamImage(bytes: Buffer, size: ImageSize, who: string, hint = ''): EngineImage {
  const square = toSquarePng(bytes, size)
  if (square.ok) return { png: square.png, width: size, height: size }
  if (square.problem === 'not a PNG') {
    throw new EngineError('UPSTREAM_ERROR', `${who} returned an image that is not a PNG${hint}`)
  }
  throw new EngineError('UPSTREAM_ERROR', `${who} returned a damaged PNG`, { cause: square.cause })
}
