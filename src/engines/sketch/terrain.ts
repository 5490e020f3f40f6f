import type { Canvas } from './canvas.ts'
import { mix, type Rgb } from './colour.ts'
import { fractalProfile, midpointRidge, sampleLine } from './noise.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/** One band of land: its top edge per column and how far away it is (0 near, 1 far). */
export interface LandLayer {
  ridge: Float32Array
  distance: number
}

interface FillOptions {
  ridge: Float32Array
  /** Last row (exclusive) the layer covers. */
  bottom: number
  colour: Rgb
  haze: Rgb
  /** How much the lowest rows fade into haze (mist in the valleys). */
  mist: number
  /**
   * Light from the sun's side (-1 left, 1 right) and how strongly faces turned toward or away from
   * it are lit; 0 draws flat colour.
   */
  lightSide: number
  shadeStrength: number
  /** Rows below the ridge over which the lighting fades out. */
  shadeDepth: number
  snowLine: Float32Array | null
  snow: Rgb
}

/**
 * Fills from a ridgeline down to `bottom`, row by row (cache-friendly), anti-aliased along the
 * ridge by the fraction of each edge pixel below it.
 */
function fillLand(canvas: Canvas, o: FillOptions): void {
  const n = canvas.size
  let top = n
  for (const y of o.ridge) if (y < top) top = y
  const y0 = Math.max(0, Math.floor(top))
  const y1 = Math.min(n, Math.ceil(o.bottom))
  const span = Math.max(1, y1 - top)
  const d = canvas.data
  const { ridge, snowLine } = o
  const invDepth = 1 / o.shadeDepth
  const last = n - 1
  // Slope gain: a face rising one pixel per pixel toward the light is fully lit.
  const gain = o.lightSide * o.shadeStrength * 1.5
  for (let y = y0; y < y1; y++) {
    let t = (y - top) / span
    t = t * t * o.mist
    const cr = o.colour[0] + (o.haze[0] - o.colour[0]) * t
    const cg = o.colour[1] + (o.haze[1] - o.colour[1]) * t
    const cb = o.colour[2] + (o.haze[2] - o.colour[2]) * t
    const sr = o.snow[0] + (o.haze[0] - o.snow[0]) * t
    const sg = o.snow[1] + (o.haze[1] - o.snow[1]) * t
    const sb = o.snow[2] + (o.haze[2] - o.snow[2]) * t
    for (let x = 0; x < n; x++) {
      const r = ridge[x]!
      let a = y + 1 - r
      if (a <= 0) continue
      if (a > 1) a = 1
      let pr = cr
      let pg = cg
      let pb = cb
      let light = 1
      const below = y - r
      const fall = 1 - below * invDepth
      if (gain !== 0 && fall > 0) {
        // The slope of the ridge over a window that widens with depth: just under the crest it
        // follows every notch, lower down whole faces share one light, so they read as planes.
        const w = 2 + below * 0.9
        const a0 = x - w < 0 ? 0 : (x - w) | 0
        const a1 = x + w > last ? last : (x + w) | 0
        let slope = ((ridge[a1]! - ridge[a0]!) / (a1 - a0 || 1)) * gain
        slope = slope < -0.5 ? -0.5 : Math.min(slope, 0.5)
        light = 1 + slope * fall
      }
      if (snowLine !== null) {
        let s = snowLine[x]! - y
        if (s > 0) {
          if (s > 1.5) s = 1.5
          s /= 1.5
          pr += (sr - pr) * s
          pg += (sg - pg) * s
          pb += (sb - pb) * s
          light = 1 + (light - 1) * 1.3
        }
      }
      const i = (y * n + x) * 3
      d[i]! += (pr * light - d[i]!) * a
      d[i + 1]! += (pg * light - d[i + 1]!) * a
      d[i + 2]! += (pb * light - d[i + 2]!) * a
    }
  }
}

/** Layered mountain ranges, paler with distance, snow-capped when the prompt asks for snow. */
export function drawMountains(canvas: Canvas, scene: Scene, rng: Random, bottom: number): LandLayer[] {
  const n = canvas.size
  const horizon = scene.horizon * n
  const { palette } = scene
  const minimal = scene.styles.has('minimal')
  const count: number = minimal ? 2 : 3
  const snowy = scene.features.has('snow')
  const layers: LandLayer[] = []
  for (let i = 0; i < count; i++) {
    const near = count === 1 ? 1 : i / (count - 1)
    const distance = 1 - near
    const line = midpointRidge(rng, 8, 0.5 + 0.08 * near)
    const base = horizon - n * (0.05 - 0.05 * near)
    const height = n * (0.27 - 0.13 * near) * rng.range(0.8, 1.1)
    const ridge = new Float32Array(n)
    for (let x = 0; x < n; x++) {
      const v = 0.5 + 0.5 * sampleLine(line, x / (n - 1))
      // A power above 1 sharpens peaks and widens valleys.
      ridge[x] = base - height * v ** 1.35
    }
    const haze = 0.5 * distance + 0.08
    let snowLine: Float32Array | null = null
    if (snowy && i < count - (minimal ? 0 : 1)) {
      const jitter = fractalProfile(rng, n, 14, 2)
      snowLine = new Float32Array(n)
      const line0 = base - height * rng.range(0.55, 0.7)
      for (let x = 0; x < n; x++) snowLine[x] = line0 + jitter[x]! * n * 0.025
    }
    fillLand(canvas, {
      ridge,
      bottom,
      colour: mix(palette.rock, palette.mist, haze),
      haze: palette.mist,
      mist: minimal ? 0 : 0.55,
      lightSide: minimal ? 0 : scene.lightX < 0.5 ? -1 : 1,
      shadeStrength: 0.25 + 0.3 * near,
      shadeDepth: n * 0.18,
      snowLine,
      snow: mix(palette.snow, palette.mist, haze * 0.6),
    })
    layers.push({ ridge, distance })
  }
  return layers
}

export type Ground = 'grass' | 'sand' | 'snow'

/**
 * Rolling land from `top` (px) down to the bottom edge in `count` bands, nearer bands darker and
 * clearer. Sand makes dunes: folded noise gives them a crest with a lit and a shaded side.
 */
export function drawHills(
  canvas: Canvas,
  scene: Scene,
  rng: Random,
  top: number,
  count: number,
  ground: Ground,
  /** Called after each band is filled, so what stands on it is covered by the bands in front. */
  onLayer?: (layer: LandLayer) => void,
  /** A beach: sand, but a smooth gentle rise rather than dunes. */
  beach = false,
): LandLayer[] {
  const n = canvas.size
  const { palette } = scene
  const minimal = scene.styles.has('minimal')
  const material = ground === 'sand' ? palette.sand : ground === 'snow' ? palette.snow : palette.grass
  const layers: LandLayer[] = []
  for (let j = 0; j < count; j++) {
    const near = count === 1 ? 1 : j / (count - 1)
    const distance = 1 - near
    const dunes = ground === 'sand' && !beach
    const profile = fractalProfile(rng, n, rng.range(1.2, 2.4), ground === 'sand' ? 2 : 3)
    const baseY = top + (n - top) * (0.04 + 0.3 * j)
    const height = n * (0.03 + 0.035 * near) * (dunes ? 1.6 : beach ? 0.6 : 1)
    const ridge = new Float32Array(n)
    for (let x = 0; x < n; x++) {
      const p = profile[x]!
      const v = dunes ? 1 - Math.abs(p) : 0.5 + 0.5 * p
      ridge[x] = baseY - height * v
    }
    const haze = 0.5 * distance + (ground === 'snow' ? 0.02 : 0.05)
    // Nearer grass is deeper in colour: the same material, seen without the air in between.
    const colour = mix(
      ground === 'grass' ? mix(material, palette.forest, 0.3 * near) : material,
      palette.mist,
      haze,
    )
    fillLand(canvas, {
      ridge,
      bottom: n,
      colour,
      haze: palette.mist,
      mist: minimal ? 0 : 0.25 * distance,
      lightSide: minimal ? 0 : scene.lightX < 0.5 ? -1 : 1,
      shadeStrength: dunes ? 2.5 : 0.5,
      shadeDepth: n * (dunes ? 0.2 : 0.1),
      snowLine: null,
      snow: material,
    })
    const layer = { ridge, distance }
    layers.push(layer)
    onLayer?.(layer)
  }
  return layers
}

/**
 * Flat land from `top` to the bottom edge, hazy at the far edge and deeper near the viewer: a
 * valley floor for rivers, a plaza for cities.
 */
export function drawPlain(canvas: Canvas, scene: Scene, top: number, material: Rgb): void {
  const n = canvas.size
  const { palette } = scene
  const rows = canvas.gradientRows([
    { at: 0, colour: palette.mist },
    { at: top / n, colour: mix(material, palette.mist, 0.45) },
    { at: Math.min(1, top / n + 0.12), colour: mix(material, palette.mist, 0.15) },
    { at: 1, colour: mix(material, palette.silhouette, 0.35) },
  ])
  const y0 = Math.floor(top)
  const d = canvas.data
  // The top row is partly covered, so the edge stays anti-aliased against what is behind it.
  const cover = 1 - (top - y0)
  for (let x = 0; x < n; x++) {
    const i = (y0 * n + x) * 3
    d[i]! += (rows[y0 * 3]! - d[i]!) * cover
    d[i + 1]! += (rows[y0 * 3 + 1]! - d[i + 1]!) * cover
    d[i + 2]! += (rows[y0 * 3 + 2]! - d[i + 2]!) * cover
  }
  canvas.fillRows(rows, y0 + 1, n)
}
