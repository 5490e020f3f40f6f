import { type RgbaImage, resizeRgba } from '../../images/png.ts'
import { boxBlur } from './blur.ts'
import { fillRegion, type Region } from './fill-holes.ts'
import { drawLabel, withoutOwnLabel } from './label.ts'
import { renderScene } from './render.ts'
import type { Focus } from './scene.ts'

export interface EditInput {
  prompt: string
  seed: number
  size: number
  image: RgbaImage
  /** OpenAI's convention: where the mask is transparent (alpha 0) is the area to change. */
  mask: RgbaImage | null
}

/** Share of new content when the whole image is repainted (no mask, nothing transparent). */
const REPAINT = 0.6
/** Share of the new scene's broad colour in a filled hole (its shapes go in whole). */
const FRESH_COLOUR = 0.3

/**
 * Keeps the input where the mask is opaque and paints the prompt's scene into the transparent
 * area, feathered over a couple of pixels at its edge. Without a mask the image's own transparent
 * pixels are the area; an image without any is repainted as a whole, 60% new over 40% old.
 */
export function renderEdit(input: EditInput): RgbaImage {
  const { size } = input
  const image = resizeRgba(withoutOwnLabel(input.image), size)
  // A mask with nothing transparent changes nothing; only a maskless opaque image is repainted.
  const area = editArea(input.mask ? resizeRgba(input.mask, size) : image, input.mask !== null)
  const fresh = renderScene({
    prompt: input.prompt,
    seed: input.seed,
    size,
    focus: area ? centre(area, size) : null,
  })
  let out: RgbaImage
  if (area === null) out = blendOver(image, fresh.data, null, REPAINT)
  else {
    const fill = blendFill(image, fresh, area)
    // Feathering blurs the hard mask edge, with a radius that keeps the same look at every size.
    boxBlur(area, size, size, Math.max(1, Math.round(size / 512)), 2, 1)
    out = blendOver(image, fill, area, 1)
  }
  drawLabel(out)
  return out
}

/**
 * What goes into the hole: the new scene split into its broad colour (a blurred copy) and its
 * shapes (the rest). The shapes go in whole; the broad colour only partly, over the colours
 * around the hole carried into it. The prompt's content shows, in light that belongs to the
 * picture, and the hole's edge does not read as a pasted rectangle.
 */
function blendFill(image: RgbaImage, fresh: RgbaImage, area: Float32Array): Float32Array {
  const size = image.width
  const region = around(area, size)
  const fill = new Float32Array(size * size * 3)
  if (region === null) return fill
  const kept = new Float32Array(size * size * 3)
  const known = new Float32Array(size * size)
  for (let y = region.top; y < region.bottom; y++) {
    for (let x = region.left; x < region.right; x++) {
      const p = y * size + x
      known[p] = (1 - area[p]!) * (image.data[p * 4 + 3]! / 255)
      kept[p * 3] = image.data[p * 4]!
      kept[p * 3 + 1] = image.data[p * 4 + 1]!
      kept[p * 3 + 2] = image.data[p * 4 + 2]!
    }
  }
  fillRegion(kept, known, size, region)
  // The new scene's broad colour, blurred within the region only.
  const width = region.right - region.left
  const height = region.bottom - region.top
  const broad = new Float32Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = ((region.top + y) * size + region.left + x) * 4
      const i = (y * width + x) * 3
      broad[i] = fresh.data[q]!
      broad[i + 1] = fresh.data[q + 1]!
      broad[i + 2] = fresh.data[q + 2]!
    }
  }
  boxBlur(broad, width, height, size / 32, 2)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (region.top + y) * size + region.left + x
      for (let c = 0; c < 3; c++) {
        const b = broad[(y * width + x) * 3 + c]!
        const i = p * 3 + c
        fill[i] = kept[i]! + (b - kept[i]!) * FRESH_COLOUR + (fresh.data[p * 4 + c]! - b)
      }
    }
  }
  return fill
}

/**
 * The box around every pixel of `area` above zero, grown by half its size (the colours the fill
 * carries in come from there) and by the feather; null when the area is empty.
 */
function around(area: Float32Array, size: number): Region | null {
  let left = size
  let top = size
  let right = -1
  let bottom = -1
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (area[y * size + x]! <= 0) continue
      if (x < left) left = x
      if (x > right) right = x
      if (y < top) top = y
      if (y > bottom) bottom = y
    }
  }
  if (right < 0) return null
  const margin = Math.ceil(Math.max(right - left, bottom - top) / 2) + 8
  return {
    left: Math.max(0, left - margin),
    top: Math.max(0, top - margin),
    right: Math.min(size, right + 1 + margin),
    bottom: Math.min(size, bottom + 1 + margin),
  }
}

/** The middle of the area to change, as fractions of the size: where the prompt's subject goes. */
function centre(area: Float32Array, size: number): Focus {
  let total = 0
  let sx = 0
  let sy = 0
  for (let p = 0; p < area.length; p++) {
    const w = area[p]!
    total += w
    sx += (p % size) * w
    sy += Math.floor(p / size) * w
  }
  if (total === 0) return { x: 0.5, y: 0.5 }
  return { x: (sx / total + 0.5) / size, y: (sy / total + 0.5) / size }
}

/** 1 where `source` is transparent, 0 where opaque; null when nothing is, unless `always`. */
function editArea(source: RgbaImage, always: boolean): Float32Array | null {
  const area = new Float32Array(source.width * source.height)
  let any = false
  for (let p = 0; p < area.length; p++) {
    const alpha = source.data[p * 4 + 3]!
    if (alpha < 255) {
      area[p] = 1 - alpha / 255
      any = true
    }
  }
  return any || always ? area : null
}

/**
 * The input (itself over the new content where it is see-through) mixed with the new content by
 * `area` (or everywhere by `share` when there is no area). Always opaque.
 */
function blendOver(
  image: RgbaImage,
  fresh: ArrayLike<number>,
  area: Float32Array | null,
  share: number,
): RgbaImage {
  const out = new Uint8ClampedArray(image.data.length)
  const src = image.data
  // `fresh` is RGBA bytes (a whole new scene) or float RGB (a fill).
  const step = fresh.length === src.length ? 4 : 3
  for (let p = 0, i = 0; i < out.length; p++, i += 4) {
    const alpha = src[i + 3]! / 255
    const w = area === null ? share : area[p]!
    for (let c = 0; c < 3; c++) {
      const under = fresh[p * step + c]!
      const kept = src[i + c]! * alpha + under * (1 - alpha)
      out[i + c] = kept + (under - kept) * w
    }
    out[i + 3] = 255
  }
  return { width: image.width, height: image.height, data: new Uint8Array(out.buffer) }
}
