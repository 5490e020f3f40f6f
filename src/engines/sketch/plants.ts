import type { Canvas } from './canvas.ts'
import { mix, type Rgb, scale } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/** A row of pines standing on `ridge`, overlapping like a treeline; `height` in px. */
export function drawConiferRow(
  canvas: Canvas,
  rng: Random,
  ridge: Float32Array,
  height: number,
  colour: Rgb,
  density = 1,
): void {
  const n = canvas.size
  let x = -rng.range(0, height * 0.3)
  while (x < n + height * 0.3) {
    const h = height * rng.range(0.6, 1.25)
    const column = Math.min(n - 1, Math.max(0, Math.round(x)))
    const base = ridge[column]! + h * 0.12
    drawConifer(canvas, x, base, h, scale(colour, rng.range(0.88, 1.12)))
    x += (h * rng.range(0.18, 0.45)) / density
  }
}

/** Three stacked triangles on a short trunk; tiny trees get one triangle (it looks the same). */
export function drawConifer(canvas: Canvas, x: number, base: number, h: number, colour: Rgb): void {
  const w = h * 0.4
  if (h < 10) {
    canvas.polygon([x - w / 2, base, x, base - h, x + w / 2, base], colour)
    return
  }
  canvas.rect(x - w * 0.06, base - h * 0.15, x + w * 0.06, base, colour)
  for (let k = 0; k < 3; k++) {
    const bottom = base - h * (0.1 + 0.26 * k)
    const apex = base - h * (0.5 + 0.25 * k)
    const half = (w / 2) * (1 - 0.24 * k)
    canvas.polygon([x - half, bottom, x, apex, x + half, bottom], colour)
  }
}

/** Broad-leaved trees: a trunk and a canopy of overlapping discs, lit on the sun's side. */
export function drawTrees(
  canvas: Canvas,
  scene: Scene,
  rng: Random,
  ridge: Float32Array,
  count: number,
): void {
  const n = canvas.size
  const { palette } = scene
  const leaf = mix(palette.forest, palette.grass, 0.35)
  const lit = mix(leaf, palette.grass, 0.6)
  const trunk = mix(palette.silhouette, palette.forest, 0.3)
  const side = scene.lightX < 0.5 ? -1 : 1
  for (let k = 0; k < count; k++) {
    const x = n * (count === 1 ? rng.range(0.15, 0.85) : (k + rng.range(0.15, 0.85)) / count)
    const h = n * rng.range(0.16, 0.26)
    const base = ridge[Math.min(n - 1, Math.max(0, Math.round(x)))]! + n * 0.01
    canvas.polygon(
      [x - h * 0.04, base, x - h * 0.025, base - h * 0.6, x + h * 0.025, base - h * 0.6, x + h * 0.04, base],
      trunk,
    )
    const cy = base - h * 0.68
    const discs: number[] = []
    for (let i = 0; i < 6; i++) {
      const a = (i / 6) * Math.PI * 2 + rng.range(-0.3, 0.3)
      discs.push(x + Math.cos(a) * h * 0.17, cy + Math.sin(a) * h * 0.12, h * rng.range(0.15, 0.21))
    }
    for (let i = 0; i < discs.length; i += 3) canvas.circle(discs[i]!, discs[i + 1]!, discs[i + 2]!, leaf)
    canvas.circle(x, cy, h * 0.2, leaf)
    for (let i = 0; i < discs.length; i += 3) {
      if ((discs[i]! - x) * side < 0 || discs[i + 1]! > cy) continue
      canvas.circle(
        discs[i]! + side * h * 0.02,
        discs[i + 1]! - h * 0.02,
        discs[i + 2]! * 0.7,
        lit,
        0.45,
        h * 0.04,
      )
    }
  }
}

/** Leaning palms with drooping fronds, near the edges so they frame the view. */
export function drawPalms(canvas: Canvas, scene: Scene, rng: Random, ridge: Float32Array): void {
  const n = canvas.size
  const colour = mix(scene.palette.silhouette, scene.palette.forest, scene.palette.daylight ? 0.5 : 0.15)
  const count = rng.int(1, 3)
  for (let k = 0; k < count; k++) {
    const left = k % 2 === 0
    const x = n * (left ? rng.range(0.03, 0.22) : rng.range(0.78, 0.97))
    const base = ridge[Math.min(n - 1, Math.max(0, Math.round(x)))]! + n * 0.02
    const h = n * rng.range(0.3, 0.45)
    const lean = (left ? 1 : -1) * h * rng.range(0.12, 0.3)
    const tx = x + lean
    const ty = base - h
    const trunk: number[] = []
    for (let i = 0; i <= 12; i++) {
      const t = i / 12
      // A quadratic curve: the trunk bends most near the top.
      trunk.push(x + lean * t * t, base - h * t, h * (0.035 - 0.015 * t))
    }
    canvas.stroke(trunk, colour)
    const fronds = rng.int(6, 8)
    for (let f = 0; f < fronds; f++) {
      const angle = Math.PI + (f / (fronds - 1)) * Math.PI + rng.range(-0.15, 0.15)
      const length = h * rng.range(0.32, 0.45)
      const path: number[] = []
      for (let i = 0; i <= 10; i++) {
        const t = i / 10
        const droop = t * t * length * 0.55
        path.push(
          tx + Math.cos(angle) * length * t,
          ty + Math.sin(angle) * length * t * 0.6 + droop,
          h * 0.028 * (1 - t) + 0.6,
        )
      }
      canvas.stroke(path, colour)
    }
  }
}

/** A meadow of small flowers below `top`, larger toward the viewer; nearer ones drawn last. */
export function drawFlowers(canvas: Canvas, scene: Scene, rng: Random, top: number): void {
  const n = canvas.size
  const { palette } = scene
  const stem = mix(palette.forest, palette.grass, 0.3)
  const colours = palette.accents.slice(0, 3)
  const count = Math.round(110 * (1 - top / n) * 2)
  const ys: number[] = []
  for (let k = 0; k < count; k++) ys.push(top + (n - top) * rng.next() ** 0.8)
  ys.sort((a, b) => a - b)
  for (const y of ys) {
    const t = (y - top) / (n - top)
    const r = n * (0.004 + 0.013 * t)
    const x = rng.next() * n
    const petal = colours[rng.int(0, colours.length - 1)]!
    canvas.rect(x - r * 0.12, y, x + r * 0.12, y + r * 3, stem)
    for (let p = 0; p < 5; p++) {
      const a = (p / 5) * Math.PI * 2 + t * 3
      canvas.circle(x + Math.cos(a) * r * 0.62, y + Math.sin(a) * r * 0.62, r * 0.55, petal)
    }
    canvas.circle(x, y, r * 0.38, mix(petal, [255, 210, 80], 0.7))
  }
}

/** Saguaro cacti: a column with a rounded top and one or two raised arms. */
export function drawCacti(canvas: Canvas, scene: Scene, rng: Random, ridge: Float32Array): void {
  const n = canvas.size
  const colour = mix(scene.palette.forest, scene.palette.silhouette, scene.palette.daylight ? 0.2 : 0.7)
  const count = rng.int(1, 3)
  for (let k = 0; k < count; k++) {
    const x = (n * (k + rng.range(0.2, 0.8))) / count
    const base = ridge[Math.min(n - 1, Math.max(0, Math.round(x)))]! + n * 0.015
    const h = n * rng.range(0.1, 0.22)
    const r = h * 0.09
    canvas.stroke([x, base, r, x, base - h, r], colour)
    for (const side of [-1, 1]) {
      if (side === 1 && rng.chance(0.3)) continue
      const ay = base - h * rng.range(0.35, 0.6)
      const ax = x + side * h * 0.25
      const top = ay - h * rng.range(0.2, 0.35)
      canvas.stroke([x, ay, r * 0.75, ax, ay, r * 0.75, ax, top, r * 0.7], colour)
    }
  }
}
