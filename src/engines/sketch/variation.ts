import { type RgbaImage, resizeRgba } from '../../images/png.ts'
import { Canvas } from './canvas.ts'
import type { Rgb } from './colour.ts'
import { finishImage, PLAIN_FINISH } from './finish.ts'
import { drawLabel, withoutOwnLabel } from './label.ts'
import { noiseGrid, upsampleGrid } from './noise.ts'
import { foldSeed, hashString, mix32, Random } from './random.ts'
import { renderScene } from './render.ts'

export interface VariationInput {
  image: RgbaImage
  /** An optional prompt, whose scene is laid faintly over the result. */
  prompt: string | null
  seed: number
  size: number
}

/**
 * A repainting of the input: slightly reframed and warped, hue-shifted, then brushed over with
 * short strokes that take their colour from the picture beneath and follow a seeded flow, like a
 * painter's copy. Composition and light stay the input's; every seed gives another copy.
 */
export function renderVariation(input: VariationInput): RgbaImage {
  const { size } = input
  const rng = new Random(mix32(hashString(`variation:${input.prompt ?? ''}`) ^ foldSeed(input.seed)))
  const source = resizeRgba(withoutOwnLabel(input.image), size)
  const canvas = new Canvas(size)
  reframe(canvas, source, rng.fork('frame'))
  shiftHue(canvas.data, rng.range(18, 45) * (rng.chance(0.5) ? 1 : -1), rng.range(0.95, 1.2))
  brush(canvas, rng.fork('strokes'))
  if (input.prompt) {
    const motif = renderScene({ prompt: input.prompt, seed: input.seed, size })
    const d = canvas.data
    for (let p = 0, i = 0; i < d.length; p += 4, i += 3) {
      d[i]! += (motif.data[p]! - d[i]!) * 0.15
      d[i + 1]! += (motif.data[p + 1]! - d[i + 1]!) * 0.15
      d[i + 2]! += (motif.data[p + 2]! - d[i + 2]!) * 0.15
    }
  }
  const out = finishImage(canvas, { ...PLAIN_FINISH, contrast: 1.04, vignette: 0.12, seed: rng.seed })
  drawLabel(out)
  return out
}

/**
 * Samples the input (see-through pixels over white) zoomed in by a few percent around a seeded
 * point and displaced by a smooth field, bilinearly: the same scene from a slightly other view.
 */
function reframe(canvas: Canvas, source: RgbaImage, rng: Random): void {
  const n = canvas.size
  const zoom = 1 / rng.range(1.03, 1.1)
  const cx = n * rng.range(0.42, 0.58)
  const cy = n * rng.range(0.42, 0.58)
  const grid = 32
  const amount = n * 0.012
  const dx = upsampleGrid(noiseGrid(rng, grid, 3, 2), grid, n)
  const dy = upsampleGrid(noiseGrid(rng, grid, 3, 2), grid, n)
  const s = source.data
  const d = canvas.data
  const last = n - 1
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const p = y * n + x
      let fx = cx + (x - cx) * zoom + (dx[p]! - 0.5) * 2 * amount
      let fy = cy + (y - cy) * zoom + (dy[p]! - 0.5) * 2 * amount
      fx = fx < 0 ? 0 : Math.min(fx, last)
      fy = fy < 0 ? 0 : Math.min(fy, last)
      const x0 = Math.min(Math.floor(fx), last - 1)
      const y0 = Math.min(Math.floor(fy), last - 1)
      const wx = fx - x0
      const wy = fy - y0
      const a = (y0 * n + x0) * 4
      const b = a + n * 4
      for (let c = 0; c < 3; c++) {
        // See-through input pixels count as white paper.
        const va = s[a + c]! + (255 - s[a + c]!) * (1 - s[a + 3]! / 255)
        const vb = s[a + 4 + c]! + (255 - s[a + 4 + c]!) * (1 - s[a + 7]! / 255)
        const vc = s[b + c]! + (255 - s[b + c]!) * (1 - s[b + 3]! / 255)
        const vd = s[b + 4 + c]! + (255 - s[b + 4 + c]!) * (1 - s[b + 7]! / 255)
        const top = va + (vb - va) * wx
        d[p * 3 + c] = top + (vc + (vd - vc) * wx - top) * wy
      }
    }
  }
}

/** Rotates hue about the grey axis by `degrees` (a 3×3 matrix) and scales saturation. */
function shiftHue(d: Float32Array, degrees: number, saturation: number): void {
  const a = (degrees * Math.PI) / 180
  const cos = Math.cos(a)
  const sin = Math.sin(a)
  const third = 1 / 3
  const root = Math.sqrt(third)
  const m0 = cos + (1 - cos) * third
  const m1 = third * (1 - cos) - root * sin
  const m2 = third * (1 - cos) + root * sin
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i]!
    const g = d[i + 1]!
    const b = d[i + 2]!
    const nr = r * m0 + g * m1 + b * m2
    const ng = r * m2 + g * m0 + b * m1
    const nb = r * m1 + g * m2 + b * m0
    const lum = (nr + ng + nb) * third
    d[i] = lum + (nr - lum) * saturation
    d[i + 1] = lum + (ng - lum) * saturation
    d[i + 2] = lum + (nb - lum) * saturation
  }
}

/** Short strokes in the colour found under each, turned along a seeded flow field. */
function brush(canvas: Canvas, rng: Random): void {
  const n = canvas.size
  const grid = 16
  const flow = noiseGrid(rng, grid, 2, 2)
  const count = 1400
  const d = canvas.data
  for (let k = 0; k < count; k++) {
    const x = rng.next() * n
    const y = rng.next() * n
    const i = (Math.floor(y) * n + Math.floor(x)) * 3
    const colour: Rgb = [d[i]!, d[i + 1]!, d[i + 2]!]
    const angle = flow[Math.floor((y / n) * grid) * grid + Math.floor((x / n) * grid)]! * Math.PI * 2
    const length = n * rng.range(0.012, 0.03)
    const width = n * rng.range(0.003, 0.006)
    const ux = Math.cos(angle) * length * 0.5
    const uy = Math.sin(angle) * length * 0.5
    canvas.stroke([x - ux, y - uy, width, x + ux, y + uy, width * 0.8], colour, 0.55)
  }
}
