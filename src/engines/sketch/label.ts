import type { RgbaImage } from '../../images/png.ts'
import { fillRegion } from './fill-holes.ts'
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.ts'

/** What every sketch image says about itself: it was drawn by rules, not by a model. */
export const LABEL_TEXT = 'SKETCH · PROCEDURAL'

/** Where the label sits: a strip in the bottom-left corner, in pixels. */
export interface LabelBox {
  left: number
  top: number
  right: number
  bottom: number
  /** Pixels per font dot. */
  scale: number
}

/** One font dot per pixel at 256 px, two at 512, three at 1024: readable, and never dominant. */
export function labelBox(size: number, text = LABEL_TEXT): LabelBox {
  const scale = size <= 256 ? 1 : size <= 512 ? 2 : 3
  const pad = 3 * scale
  const width = text.length * (GLYPH_WIDTH + 1) * scale - scale + pad * 2
  const height = GLYPH_HEIGHT * scale + pad * 2
  return { left: 0, top: size - height, right: Math.min(size, width), bottom: size, scale }
}

const INK = [240, 238, 230] as const

/** Calls `visit` with the pixel index of every lit font dot of `text` in the label box. */
function forEachDot(size: number, text: string, visit: (pixel: number) => void): void {
  const box = labelBox(size, text)
  const s = box.scale
  const pad = 3 * s
  let penX = box.left + pad
  const penY = box.top + pad
  for (const char of text) {
    const rows = glyph(char)
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      const row = rows[gy]!
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (row[gx] !== '#') continue
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) visit((penY + gy * s + dy) * size + penX + gx * s + dx)
        }
      }
    }
    penX += (GLYPH_WIDTH + 1) * s
  }
}

/**
 * Letters `text` in the bottom-left corner of `image` (in place): light capitals on a
 * semi-transparent dark strip, so it reads on any picture.
 */
export function drawLabel(image: RgbaImage, text = LABEL_TEXT): void {
  const box = labelBox(image.width, text)
  const { data, width } = image
  for (let y = box.top; y < box.bottom; y++) {
    for (let x = box.left; x < box.right; x++) {
      const i = (y * width + x) * 4
      data[i] = (data[i]! * 0.42 + 8) | 0
      data[i + 1] = (data[i + 1]! * 0.42 + 8) | 0
      data[i + 2] = (data[i + 2]! * 0.42 + 10) | 0
    }
  }
  forEachDot(width, text, (pixel) => {
    data[pixel * 4] = INK[0]
    data[pixel * 4 + 1] = INK[1]
    data[pixel * 4 + 2] = INK[2]
  })
}

/**
 * Paints over the label of an image this engine made (an edit or variation of a sketch), with the
 * colours around it, so a reframed or rescaled copy of the old label does not show beside the new
 * one. Other images are returned untouched: only the exact label ink is recognised.
 */
export function withoutOwnLabel(image: RgbaImage): RgbaImage {
  if (image.width !== image.height || image.width < 64) return image
  const size = image.width
  let dots = 0
  let inked = 0
  forEachDot(size, LABEL_TEXT, (pixel) => {
    dots++
    const i = pixel * 4
    if (image.data[i] === INK[0] && image.data[i + 1] === INK[1] && image.data[i + 2] === INK[2]) inked++
  })
  if (inked < dots * 0.95) return image
  // Only the label and a margin around it take part: the fill needs the colours next to it.
  const box = labelBox(size)
  const margin = box.bottom - box.top
  const region = {
    left: 0,
    top: Math.max(0, box.top - margin),
    right: Math.min(size, box.right + margin),
    bottom: size,
  }
  const colour = new Float32Array(size * size * 3)
  const known = new Float32Array(size * size).fill(1)
  for (let y = region.top; y < region.bottom; y++) {
    for (let x = region.left; x < region.right; x++) {
      const p = y * size + x
      colour[p * 3] = image.data[p * 4]!
      colour[p * 3 + 1] = image.data[p * 4 + 1]!
      colour[p * 3 + 2] = image.data[p * 4 + 2]!
    }
  }
  for (let y = box.top; y < box.bottom; y++) known.fill(0, y * size + box.left, y * size + box.right)
  fillRegion(colour, known, size, region)
  const data = new Uint8Array(image.data)
  for (let y = box.top; y < box.bottom; y++) {
    for (let x = box.left; x < box.right; x++) {
      const p = y * size + x
      data[p * 4] = colour[p * 3]!
      data[p * 4 + 1] = colour[p * 3 + 1]!
      data[p * 4 + 2] = colour[p * 3 + 2]!
    }
  }
  return { width: size, height: size, data }
}
