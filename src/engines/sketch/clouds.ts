import type { Canvas } from './canvas.ts'
import { mix, type Rgb, rgb } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/**
 * Clouds as unions of discs sitting on a flat base: puffy heaps by day, long lit streaks at sunset
 * and sunrise, a heavy grey layer for rain. Colour runs from `cloudTop` to `cloudBottom`, so the
 * streaks are lit from below by a low sun.
 */
export function drawClouds(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const horizon = scene.horizon * n
  const rain = scene.features.has('rain')
  const low = scene.time === 'sunset' || scene.time === 'sunrise'
  const soft = n * (scene.styles.has('watercolor') || scene.styles.has('dreamy') ? 0.02 : 0.008)
  let top = scene.palette.cloudTop
  let bottom = scene.palette.cloudBottom
  if (rain) {
    top = mix(top, rgb(150, 156, 166), 0.6)
    bottom = mix(bottom, rgb(80, 86, 98), 0.6)
  }
  const count = rain ? rng.int(9, 13) : low ? rng.int(4, 7) : rng.int(3, 5)
  for (let k = 0; k < count; k++) {
    const streak = low && !rain && rng.chance(0.7)
    const cx = rng.range(-0.1, 1.1) * n
    const base = rain ? rng.range(0.08, 0.42) * horizon : rng.range(0.15, streak ? 0.88 : 0.62) * horizon
    const circles: number[] = []
    if (streak) {
      // A long low bank: discs overlapping well, then squashed flat.
      const width = n * rng.range(0.25, 0.55)
      const discs = 7
      const spacing = width / (discs - 1)
      let tallest = 0
      for (let i = 0; i < discs; i++) {
        const t = (i / (discs - 1)) * 2 - 1
        const r = spacing * rng.range(0.8, 1.3) * (1 - Math.abs(t) * 0.5)
        tallest = Math.max(tallest, r)
        circles.push(cx + t * width * 0.5, base - r * 0.55, r)
      }
      const height = n * rng.range(0.012, 0.03)
      drawCloud(canvas, circles, base, base - height, top, bottom, 0.75, soft * 2, height / (tallest * 1.45))
      continue
    }
    const width = n * rng.range(0.16, 0.32) * (rain ? 1.4 : 1)
    const height = width * rng.range(0.3, 0.42)
    const discs = rng.int(6, 10)
    for (let i = 0; i < discs; i++) {
      const t = (i / (discs - 1)) * 2 - 1
      const r = height * rng.range(0.45, 0.85) * (1 - Math.abs(t) * 0.45)
      circles.push(cx + t * width * 0.5 + rng.range(-0.05, 0.05) * width, base - r * 0.55, r)
    }
    drawCloud(canvas, circles, base, base - height * 1.4, top, bottom, 0.96, soft, 1)
  }
}

function drawCloud(
  canvas: Canvas,
  circles: readonly number[],
  base: number,
  top: number,
  topColour: Rgb,
  bottomColour: Rgb,
  alpha: number,
  soft: number,
  /** Vertical squash of the discs: streaks are flattened heaps. */
  squash: number,
): void {
  const n = canvas.size
  let minX = Number.POSITIVE_INFINITY
  let maxX = Number.NEGATIVE_INFINITY
  let minY = Number.POSITIVE_INFINITY
  for (let k = 0; k < circles.length; k += 3) {
    const r = circles[k + 2]!
    minX = Math.min(minX, circles[k]! - r - soft)
    maxX = Math.max(maxX, circles[k]! + r + soft)
    minY = Math.min(minY, base - (base - circles[k + 1]! + r) * squash - soft)
  }
  const x0 = Math.max(0, Math.floor(minX))
  const x1 = Math.min(n - 1, Math.ceil(maxX))
  const y0 = Math.max(0, Math.floor(minY))
  const y1 = Math.min(n - 1, Math.ceil(base + soft))
  const span = Math.max(1, base - top)
  const d = canvas.data
  const inv = 1 / soft
  const invSquash = 1 / squash
  for (let y = y0; y <= y1; y++) {
    const py = base + (y + 0.5 - base) * invSquash
    const floor = Math.min(1, (base - y - 0.5) * inv + 0.5)
    if (floor <= 0) continue
    let t = (y - top) / span
    t = t < 0 ? 0 : Math.min(t, 1)
    const cr = topColour[0] + (bottomColour[0] - topColour[0]) * t
    const cg = topColour[1] + (bottomColour[1] - topColour[1]) * t
    const cb = topColour[2] + (bottomColour[2] - topColour[2]) * t
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5
      let best = Number.NEGATIVE_INFINITY
      for (let k = 0; k < circles.length; k += 3) {
        const dx = px - circles[k]!
        const dy = py - circles[k + 1]!
        const inside = circles[k + 2]! - Math.sqrt(dx * dx + dy * dy)
        if (inside > best) best = inside
      }
      let a = best * inv + 0.5
      if (a <= 0) continue
      if (a > 1) a = 1
      a *= floor * alpha
      const i = (y * n + x) * 3
      d[i]! += (cr - d[i]!) * a
      d[i + 1]! += (cg - d[i + 1]!) * a
      d[i + 2]! += (cb - d[i + 2]!) * a
    }
  }
}
