import { toSizedPng } from '../images/png.ts'
import { dimensionsOf, EngineError, type EngineImage, type SizeName } from './engine.ts'

/**
 * An image an upstream answered with, as a PNG of exactly the size the request asked for (cut to
 * its shape and scaled when the upstream made another); bytes that are not a readable PNG fail the
 * run with `UPSTREAM_ERROR`. `size` is the request itself (its `width` and `height`) or a size name.
 * `hint` follows the "not a PNG" message (how to set the upstream up so it answers in PNG).
 *
 * @example
 * upstreamImage(bytes, request, 'OpenAI at https://api.openai.com/v1') // → { png, width: 1536, height: 1024 }
 * upstreamImage(bytes, '256x256', 'the WebUI at http://127.0.0.1:7860') // → { png, width: 256, height: 256 }
 */
export function upstreamImage(
  bytes: Buffer,
  size: SizeName | { readonly width: number; readonly height: number },
  who: string,
  hint = '',
): EngineImage {
  const { width, height } = typeof size === 'string' ? dimensionsOf(size) : size
  const sized = toSizedPng(bytes, width, height)
  if (sized.ok) return { png: sized.png, width, height }
  if (sized.problem === 'not a PNG') {
    throw new EngineError('UPSTREAM_ERROR', `${who} returned an image that is not a PNG${hint}`)
  }
  throw new EngineError('UPSTREAM_ERROR', `${who} returned a damaged PNG`, { cause: sized.cause })
}
