import type { RgbaImage } from '../../images/png.ts'
import type { Canvas } from './canvas.ts'
import type { Rgb } from './colour.ts'

/** The last pass from floats to bytes; every field at its identity value leaves colours alone. */
export interface FinishOptions {
  /** 0 is grey, 1 unchanged. */
  saturation: number
  /** Around mid-grey; 1 unchanged. */
  contrast: number
  /** Multiplies every channel (dark tones). */
  exposure: number
  /** How far every pixel moves toward `liftColour` (pastel washes, faded prints). */
  lift: number
  liftColour: Rgb
  /** 0–1 mix toward sepia. */
  sepia: number
  /** 0–1 darkening of the corners. */
  vignette: number
  /** Luminance noise amplitude in 0–255 units; also dithers away gradient banding. */
  grain: number
  /** Levels per channel, or 0 to keep all 256. */
  posterize: number
  seed: number
}

const BAYER = new Float32Array(
  [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5].map((v) => (v + 0.5) / 16 - 0.5),
)

export const PLAIN_FINISH: FinishOptions = {
  saturation: 1,
  contrast: 1,
  exposure: 1,
  lift: 0,
  liftColour: [255, 255, 255],
  sepia: 0,
  vignette: 0,
  grain: 0,
  posterize: 0,
  seed: 0,
}

/** Applies tone, vignette and grain in one pass and returns opaque 8-bit RGBA. */
export function finishImage(canvas: Canvas, o: FinishOptions): RgbaImage {
  const n = canvas.size
  const src = canvas.data
  // Clamped storage rounds and clamps on write, which is faster here than doing it by hand.
  const out = new Uint8ClampedArray(n * n * 4)
  // Vignette as a sum of a row and a column term: no square root per pixel.
  const edge = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    const v = (k + 0.5) / n - 0.5
    edge[k] = v * v * 2 * o.vignette
  }
  const step = o.posterize > 1 ? 255 / (o.posterize - 1) : 0
  const { saturation, contrast, exposure, lift, sepia, grain } = o
  const [lr, lg, lb] = o.liftColour
  const seed = o.seed | 0
  // Posterized pictures (pixel art) want flat blocks, which a dither would speckle.
  const dither = step === 0
  // Contrast, exposure and lift folded into one multiply-add per channel.
  const mul = contrast * exposure * (1 - lift)
  const addR = (128 - 128 * contrast) * exposure * (1 - lift) + lr * lift
  const addG = (128 - 128 * contrast) * exposure * (1 - lift) + lg * lift
  const addB = (128 - 128 * contrast) * exposure * (1 - lift) + lb * lift
  let x = 0
  let y = 0
  let ey = edge[0]!
  for (let i = 0, o4 = 0; i < src.length; i += 3, o4 += 4) {
    let r = src[i]!
    let g = src[i + 1]!
    let b = src[i + 2]!
    if (saturation !== 1) {
      const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
      r = lum + (r - lum) * saturation
      g = lum + (g - lum) * saturation
      b = lum + (b - lum) * saturation
    }
    if (sepia > 0) {
      const sr = 0.393 * r + 0.769 * g + 0.189 * b
      const sg = 0.349 * r + 0.686 * g + 0.168 * b
      const sb = 0.272 * r + 0.534 * g + 0.131 * b
      r += (sr - r) * sepia
      g += (sg - g) * sepia
      b += (sb - b) * sepia
    }
    let v = 1 - (ey + edge[x]!)
    if (v < 0) v = 0
    // Without grain, a 4×4 ordered dither of ±half a level still hides banding in smooth skies,
    // and its repeating pattern costs deflate far less than random grain.
    let noise = dither ? BAYER[((y & 3) << 2) | (x & 3)]! : 0
    if (grain > 0) {
      // An integer hash of the pixel position: the same grain for the same seed, no state.
      let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed
      h = Math.imul(h ^ (h >>> 15), 0x85ebca6b)
      h ^= h >>> 13
      noise += ((h & 0xffff) / 32768 - 1) * grain
    }
    r = (r * mul + addR) * v + noise
    g = (g * mul + addG) * v + noise
    b = (b * mul + addB) * v + noise
    if (step > 0) {
      r = Math.round(r / step) * step
      g = Math.round(g / step) * step
      b = Math.round(b / step) * step
    }
    out[o4] = r
    out[o4 + 1] = g
    out[o4 + 2] = b
    out[o4 + 3] = 255
    if (++x === n) {
      x = 0
      y++
      ey = edge[y] ?? 0
    }
  }
  return { width: n, height: n, data: new Uint8Array(out.buffer) }
}
