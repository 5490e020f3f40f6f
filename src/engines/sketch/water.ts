import type { Canvas } from './canvas.ts'
import { mix, type Rgb } from './colour.ts'
import { fractalProfile } from './noise.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/**
 * Still or open water from the horizon down to `bottom`: the picture above mirrored, broken up by
 * ripples that widen toward the viewer, tinted toward the water colour with depth. Then wave
 * crests and, under the sun or moon, a path of glitter.
 */
export function drawWater(canvas: Canvas, scene: Scene, rng: Random, bottom: number): void {
  const n = canvas.size
  const top = Math.round(scene.horizon * n)
  const end = Math.min(n, Math.ceil(bottom))
  const ocean = scene.water === 'ocean'
  const waves = fractalProfile(rng, n, 60, 3, 0.6)
  const shine = fractalProfile(rng, n, 90, 2, 0.7)
  const { palette } = scene
  const water = palette.water
  const d = canvas.data
  const span = Math.max(1, end - top)
  for (let y = top; y < end; y++) {
    const t = (y - top) / span
    const depth = y - top
    const src = Math.max(0, top - 1 - depth)
    const wobble = Math.round(waves[y]! * n * (ocean ? 0.004 + 0.022 * t : 0.002 + 0.01 * t))
    const tone = (ocean ? 0.78 : 0.86) * (1 + 0.08 * shine[y]!)
    const m = ocean ? 0.5 + 0.25 * t : 0.22 + 0.3 * t
    for (let x = 0; x < n; x++) {
      let sx = x + wobble
      sx = sx < 0 ? 0 : sx >= n ? n - 1 : sx
      const s = (src * n + sx) * 3
      const i = (y * n + x) * 3
      d[i] = d[s]! * tone + (water[0] - d[s]! * tone) * m
      d[i + 1] = d[s + 1]! * tone + (water[1] - d[s + 1]! * tone) * m
      d[i + 2] = d[s + 2]! * tone + (water[2] - d[s + 2]! * tone) * m
    }
  }

  // Wave crests: short light dashes, longer and thicker nearer the viewer.
  const crest: Rgb = mix(palette.haze, palette.cloudTop, 0.3)
  const crests = ocean ? (scene.features.has('waves') ? 520 : 320) : 110
  const unit = n / 512
  for (let k = 0; k < crests; k++) {
    const t = rng.next() ** 1.4
    const y = top + t * span
    const x = rng.next() * n
    const length = n * (0.008 + 0.06 * t) * rng.range(0.4, 1)
    const thick = unit * (0.6 + 2.2 * t) * (scene.features.has('waves') ? 1.5 : 1)
    canvas.rect(
      x - length / 2,
      y,
      x + length / 2,
      y + thick,
      crest,
      (ocean ? 0.28 : 0.14) * rng.range(0.5, 1),
    )
  }

  const lit = scene.features.has('sun') || scene.features.has('moon')
  if (lit && scene.lightY < scene.horizon) {
    const light = scene.features.has('sun') ? palette.sun : palette.moon
    const cx = scene.lightX * n
    for (let k = 0; k < 260; k++) {
      const t = rng.next() ** 0.8
      const y = top + t * span
      const spread = n * (0.012 + 0.09 * t)
      const x = cx + (rng.next() + rng.next() + rng.next() - 1.5) * spread
      const length = n * (0.004 + 0.035 * t) * rng.range(0.3, 1)
      canvas.rect(x - length / 2, y, x + length / 2, y + unit * (0.7 + 1.5 * t), light, rng.range(0.35, 0.85))
    }
  }
}

/**
 * A river winding from the far land to the bottom edge, widening with perspective. It reflects
 * the sky's colours (`skyRows`), since what is beside it is land the viewer sees from above.
 */
export function drawRiver(canvas: Canvas, scene: Scene, rng: Random, start: number, skyRows: Float32Array) {
  const n = canvas.size
  const phase = rng.range(0, Math.PI * 2)
  const bends = rng.range(1.2, 2)
  const { palette } = scene
  const bank: Rgb = mix(palette.silhouette, palette.grass, 0.4)
  const d = canvas.data
  const y0 = Math.max(0, Math.floor(start))
  const horizon = Math.floor(scene.horizon * n)
  for (let y = y0; y < n; y++) {
    const t = (y - start) / (n - start)
    const centre = n * (0.5 + 0.26 * Math.sin(t * Math.PI * bends + phase) * (0.25 + 0.75 * t))
    const half = n * (0.003 + 0.2 * t ** 1.7)
    const edge = half + n * (0.002 + 0.01 * t)
    const src = Math.max(0, horizon - 1 - Math.floor((y - y0) * 0.7)) * 3
    const ripple = 0.9 + 0.1 * Math.sin(y * 0.9 + Math.sin(y * 0.13) * 3)
    const wr = (skyRows[src]! + (palette.water[0] - skyRows[src]!) * 0.35) * ripple
    const wg = (skyRows[src + 1]! + (palette.water[1] - skyRows[src + 1]!) * 0.35) * ripple
    const wb = (skyRows[src + 2]! + (palette.water[2] - skyRows[src + 2]!) * 0.35) * ripple
    const x0 = Math.max(0, Math.floor(centre - edge - 1))
    const x1 = Math.min(n - 1, Math.ceil(centre + edge + 1))
    for (let x = x0; x <= x1; x++) {
      const dist = Math.abs(x + 0.5 - centre)
      const i = (y * n + x) * 3
      let b = edge - dist + 0.5
      if (b > 0) {
        if (b > 1) b = 1
        b *= 0.6
        d[i]! += (bank[0] - d[i]!) * b
        d[i + 1]! += (bank[1] - d[i + 1]!) * b
        d[i + 2]! += (bank[2] - d[i + 2]!) * b
      }
      let a = half - dist + 0.5
      if (a <= 0) continue
      if (a > 1) a = 1
      d[i]! += (wr - d[i]!) * a
      d[i + 1]! += (wg - d[i + 1]!) * a
      d[i + 2]! += (wb - d[i + 2]!) * a
    }
  }
}
