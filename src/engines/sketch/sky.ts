import type { Canvas, GradientStop } from './canvas.ts'
import { hsl, mix, type Rgb, rgb } from './colour.ts'
import { fractalProfile, noiseGrid, upsampleGrid } from './noise.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/**
 * Paints the sky: the gradient (ending at the horizon), then what lives in it and is lit rather
 * than solid — a nebula in space, aurora curtains, a rainbow. Returns the per-row sky colours,
 * which water reflects.
 */
export function drawSky(canvas: Canvas, scene: Scene, rng: Random): Float32Array {
  const { palette } = scene
  const horizon = scene.composition === 'landscape' ? scene.horizon : 1
  const stops: GradientStop[] = palette.sky.map((s) => ({ at: s.at * horizon, colour: s.colour }))
  stops.push({ at: 1, colour: palette.haze })
  const rows = canvas.gradientRows(stops)
  if (scene.styles.has('minimal')) bandRows(rows, canvas.size, Math.round(horizon * canvas.size), 6)
  canvas.fillRows(rows)
  if (scene.composition === 'space') drawNebula(canvas, scene, rng.fork('nebula'))
  if (scene.features.has('aurora')) drawAurora(canvas, scene, rng.fork('aurora'))
  if (scene.features.has('rainbow')) drawRainbow(canvas, scene, rng.fork('rainbow'))
  return rows
}

/** Flat colour bands for the minimal style: each band takes the colour at its middle. */
function bandRows(rows: Float32Array, size: number, horizon: number, bands: number): void {
  const height = Math.max(1, Math.ceil(horizon / bands))
  for (let y = 0; y < horizon; y++) {
    const middle = Math.min(horizon - 1, Math.floor(y / height) * height + (height >> 1))
    rows[y * 3] = rows[middle * 3]!
    rows[y * 3 + 1] = rows[middle * 3 + 1]!
    rows[y * 3 + 2] = rows[middle * 3 + 2]!
  }
  for (let y = horizon; y < size; y++) {
    rows[y * 3] = rows[(horizon - 1) * 3]!
    rows[y * 3 + 1] = rows[(horizon - 1) * 3 + 1]!
    rows[y * 3 + 2] = rows[(horizon - 1) * 3 + 2]!
  }
}

/** Two coloured gas clouds from low-resolution noise, screened over the dark sky. */
function drawNebula(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const grid = 64
  const density = upsampleGrid(noiseGrid(rng, grid, 3, 4), grid, n)
  const hue = upsampleGrid(noiseGrid(rng, grid, 2, 2), grid, n)
  const a = scene.palette.accents[0]!
  const b = scene.palette.accents[1]!
  const d = canvas.data
  const low = rng.range(0.38, 0.48)
  for (let p = 0; p < n * n; p++) {
    let v = (density[p]! - low) * 2.6
    if (v <= 0) continue
    if (v > 1) v = 1
    v *= v
    const h = hue[p]!
    const r = (a[0] + (b[0] - a[0]) * h) / 255
    const g = (a[1] + (b[1] - a[1]) * h) / 255
    const bl = (a[2] + (b[2] - a[2]) * h) / 255
    const i = p * 3
    const k = v * 0.85
    d[i]! += (255 - d[i]!) * r * k
    d[i + 1]! += (255 - d[i + 1]!) * g * k
    d[i + 2]! += (255 - d[i + 2]!) * bl * k
  }
}

/** Curtains of light: a wavering base line, rays from fine noise, fading upward. */
function drawAurora(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const base = fractalProfile(rng, n, 1.5, 3)
  const reach = fractalProfile(rng, n, 2, 2)
  const rays = fractalProfile(rng, n, 40, 2, 0.6)
  const low: Rgb = rgb(60, 255, 160)
  const high: Rgb = mix(rgb(150, 80, 255), scene.palette.accents[0]!, 0.3)
  const top = Math.floor(n * 0.04)
  const bottom = Math.floor(n * Math.min(0.6, scene.horizon))
  const d = canvas.data
  const baseY = new Float32Array(n)
  const height = new Float32Array(n)
  const strength = new Float32Array(n)
  for (let x = 0; x < n; x++) {
    baseY[x] = n * (0.36 + 0.1 * base[x]!)
    height[x] = n * (0.16 + 0.08 * reach[x]!)
    strength[x] = 0.35 + 0.3 * rays[x]! + 0.2 * reach[x]!
  }
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < n; x++) {
      const v = (baseY[x]! - y) / height[x]!
      if (v < -0.08 || v > 1) continue
      // A sharp lower edge and a long fade upward, as the curtains look.
      const edge = v < 0 ? 1 + v / 0.08 : 1
      const f = edge * (1 - v) * (1 - v) * strength[x]!
      const i = (y * n + x) * 3
      const t = Math.max(v, 0)
      d[i]! += (255 - d[i]!) * ((low[0] + (high[0] - low[0]) * t) / 255) * f
      d[i + 1]! += (255 - d[i + 1]!) * ((low[1] + (high[1] - low[1]) * t) / 255) * f
      d[i + 2]! += (255 - d[i + 2]!) * ((low[2] + (high[2] - low[2]) * t) / 255) * f
    }
  }
}

function drawRainbow(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const cx = n * rng.range(0.35, 0.65)
  const cy = n * (scene.horizon + 0.1)
  const radius = n * rng.range(0.42, 0.55)
  const width = n * 0.07
  const colours: Rgb[] = []
  for (let k = 0; k < 32; k++) colours.push(hsl(k * 9, 0.85, 0.6))
  const horizon = Math.floor(scene.horizon * n)
  const d = canvas.data
  for (let y = Math.max(0, Math.floor(cy - radius - width)); y < horizon; y++) {
    const dy = y + 0.5 - cy
    // Fades out toward the horizon, as real rainbows do in haze.
    const fade = Math.min(1, (horizon - y) / (n * 0.12))
    for (let x = 0; x < n; x++) {
      const dx = x + 0.5 - cx
      const t = (radius - Math.sqrt(dx * dx + dy * dy)) / width + 0.5
      if (t <= 0 || t >= 1) continue
      const c = colours[Math.floor(t * 32)]!
      const a = 0.32 * fade * Math.sin(t * Math.PI)
      const i = (y * n + x) * 3
      d[i]! += (c[0] - d[i]!) * a
      d[i + 1]! += (c[1] - d[i + 1]!) * a
      d[i + 2]! += (c[2] - d[i + 2]!) * a
    }
  }
}
