import { boxBlur } from './blur.ts'
import type { Canvas } from './canvas.ts'
import { noiseGrid, sampleGrid, upsampleGrid } from './noise.ts'
import type { Random } from './random.ts'

/**
 * Whole-image treatments for styles, applied to the finished drawing before it is turned into
 * bytes. Each is a few passes over the image, whatever was drawn.
 */

/**
 * Moves every pixel by a smooth random offset of up to `amount` px (nearest-neighbour), so
 * straight edges wobble like a hand-drawn line. Also what `variation` uses to reshape an input.
 */
export function warp(canvas: Canvas, rng: Random, amount: number, cells = 4): void {
  const n = canvas.size
  const grid = 32
  // The offsets are smooth, so they are computed for 4×4 blocks and shared within each block.
  const blocks = Math.ceil(n / 4)
  const dx = upsampleGrid(noiseGrid(rng, grid, cells, 2), grid, blocks)
  const dy = upsampleGrid(noiseGrid(rng, grid, cells, 2), grid, blocks)
  const src = canvas.data.slice()
  const d = canvas.data
  const scale = amount * 2
  for (let y = 0; y < n; y++) {
    const row = (y >> 2) * blocks
    for (let x = 0; x < n; x++) {
      const b = row + (x >> 2)
      let sx = Math.round(x + (dx[b]! - 0.5) * scale)
      let sy = Math.round(y + (dy[b]! - 0.5) * scale)
      sx = sx < 0 ? 0 : sx >= n ? n - 1 : sx
      sy = sy < 0 ? 0 : sy >= n ? n - 1 : sy
      const s = (sy * n + sx) * 3
      const i = (y * n + x) * 3
      d[i] = src[s]!
      d[i + 1] = src[s + 1]!
      d[i + 2] = src[s + 2]!
    }
  }
}

/**
 * Watercolour, after Bousseau et al. ("Interactive watercolor rendering with temporal
 * coherence"): pigment density varies with low-frequency turbulence and paper grain, pools
 * darker along edges (wet edges), and the painting fades out to bare paper near the border.
 * Density d changes a colour c in [0, 1] as c - (c - c²)(d - 1): denser is darker, same hue.
 */
export function watercolour(canvas: Canvas, rng: Random): void {
  const n = canvas.size
  warp(canvas, rng, n * 0.006, 6)
  const d = canvas.data
  // Wet edges need only where lightness changes, and only roughly where: a half-resolution
  // lightness map, blurred, is compared with each pixel's own lightness.
  const half = n >> 1
  const soft = new Float32Array(half * half)
  for (let y = 0; y < half * 2; y++) {
    const row = (y >> 1) * half
    for (let x = 0; x < half * 2; x++) {
      const i = (y * n + x) * 3
      soft[row + (x >> 1)]! += (0.2126 * d[i]! + 0.7152 * d[i + 1]! + 0.0722 * d[i + 2]!) * 0.25
    }
  }
  boxBlur(soft, half, half, n / 220, 2, 1)
  // Pigment turbulence and paper grain share one stretched field: the turbulence is first laid
  // onto the paper's finer grid, which is cheap at that size.
  const grid = 128
  const turbulence = noiseGrid(rng, grid, 4, 3)
  const grain = noiseGrid(rng, grid, 40, 2)
  for (let i = 0; i < turbulence.length; i++)
    turbulence[i] = 0.55 * (turbulence[i]! - 0.5) + 0.35 * (grain[i]! - 0.5)
  const density = upsampleGrid(turbulence, grid, n)
  const border = noiseGrid(rng, 32, 6, 2)
  const paperR = 248
  const paperG = 244
  const paperB = 232
  const inv = 1 / 255
  for (let y = 0; y < n; y++) {
    const ey = Math.min(y, n - 1 - y) / n
    const softRow = Math.min(half - 1, y >> 1) * half
    for (let x = 0; x < n; x++) {
      const p = y * n + x
      const i = p * 3
      const r = d[i]! * inv
      const g = d[i + 1]! * inv
      const b = d[i + 2]! * inv
      const lightness = 0.2126 * d[i]! + 0.7152 * d[i + 1]! + 0.0722 * d[i + 2]!
      const edge = Math.abs(lightness - soft[softRow + Math.min(half - 1, x >> 1)]!)
      const k = density[p]! + edge * 0.012
      let cr = (r - (r - r * r) * k) * 255
      let cg = (g - (g - g * g) * k) * 255
      let cb = (b - (b - b * b) * k) * 255
      // The wash thins out to bare paper within a few percent of the edge, unevenly.
      const ex = Math.min(x, n - 1 - x) / n
      const e = Math.min(ex, ey)
      let m = 0.93
      if (e < 0.04) {
        m = (e + (sampleGrid(border, 32, x / n, y / n) - 0.5) * 0.04 - 0.01) / 0.018
        m = m < 0 ? 0 : m > 1 ? 0.93 : m * m * (3 - 2 * m) * 0.93
      }
      cr = paperR + (cr - paperR) * m
      cg = paperG + (cg - paperG) * m
      cb = paperB + (cb - paperB) * m
      d[i] = cr
      d[i + 1] = cg
      d[i + 2] = cb
    }
  }
}

/**
 * Low-poly facets: a grid of `cells × cells` points, each nudged at random, cut into triangles;
 * each triangle is filled flat with the colour sampled inside it, a little lighter or darker at
 * random so neighbouring facets with the same colour still read as separate planes.
 */
export function lowPoly(canvas: Canvas, rng: Random, cells: number): void {
  const n = canvas.size
  const step = n / cells
  const side = cells + 1
  const px = new Float64Array(side * side)
  const py = new Float64Array(side * side)
  for (let j = 0; j <= cells; j++) {
    for (let i = 0; i <= cells; i++) {
      // Border points stay on the border so the facets cover the whole image.
      const jx = i === 0 || i === cells ? 0 : rng.range(-0.38, 0.38)
      const jy = j === 0 || j === cells ? 0 : rng.range(-0.38, 0.38)
      px[j * side + i] = (i + jx) * step
      py[j * side + i] = (j + jy) * step
    }
  }
  const src = canvas.data.slice()
  for (let j = 0; j < cells; j++) {
    for (let i = 0; i < cells; i++) {
      const a = j * side + i
      const b = a + 1
      const c = a + side
      const d = c + 1
      if (rng.chance(0.5)) {
        facet(canvas, src, px[a]!, py[a]!, px[b]!, py[b]!, px[d]!, py[d]!, rng.range(0.93, 1.07))
        facet(canvas, src, px[a]!, py[a]!, px[d]!, py[d]!, px[c]!, py[c]!, rng.range(0.93, 1.07))
      } else {
        facet(canvas, src, px[a]!, py[a]!, px[b]!, py[b]!, px[c]!, py[c]!, rng.range(0.93, 1.07))
        facet(canvas, src, px[b]!, py[b]!, px[d]!, py[d]!, px[c]!, py[c]!, rng.range(0.93, 1.07))
      }
    }
  }
}

/** Fills one triangle with the mean of four samples of `src` inside it, times `shade`. */
function facet(
  canvas: Canvas,
  src: Float32Array,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  shade: number,
): void {
  const n = canvas.size
  const mx = (ax + bx + cx) / 3
  const my = (ay + by + cy) / 3
  let r = 0
  let g = 0
  let b = 0
  // The centroid and three points halfway from it toward the corners.
  for (let k = 0; k < 4; k++) {
    const tx = k === 0 ? mx : (mx + (k === 1 ? ax : k === 2 ? bx : cx)) / 2
    const ty = k === 0 ? my : (my + (k === 1 ? ay : k === 2 ? by : cy)) / 2
    const i =
      (Math.min(n - 1, Math.max(0, Math.floor(ty))) * n + Math.min(n - 1, Math.max(0, Math.floor(tx)))) * 3
    r += src[i]!
    g += src[i + 1]!
    b += src[i + 2]!
  }
  r *= shade / 4
  g *= shade / 4
  b *= shade / 4
  // Edge functions, oriented so the inside is positive whatever the winding.
  const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
  const sign = area < 0 ? -1 : 1
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx, cx)))
  const x1 = Math.min(n - 1, Math.ceil(Math.max(ax, bx, cx)))
  const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy)))
  const y1 = Math.min(n - 1, Math.ceil(Math.max(ay, by, cy)))
  const d = canvas.data
  for (let y = y0; y <= y1; y++) {
    const qy = y + 0.5
    for (let x = x0; x <= x1; x++) {
      const qx = x + 0.5
      const e0 = ((bx - ax) * (qy - ay) - (by - ay) * (qx - ax)) * sign
      const e1 = ((cx - bx) * (qy - by) - (cy - by) * (qx - bx)) * sign
      const e2 = ((ax - cx) * (qy - cy) - (ay - cy) * (qx - cx)) * sign
      if (e0 < 0 || e1 < 0 || e2 < 0) continue
      const i = (y * n + x) * 3
      d[i] = r
      d[i + 1] = g
      d[i + 2] = b
    }
  }
}

/** Big square pixels, each the colour at its centre. */
export function pixelate(canvas: Canvas, block: number): void {
  const n = canvas.size
  const d = canvas.data
  for (let by = 0; by < n; by += block) {
    for (let bx = 0; bx < n; bx += block) {
      const c = (Math.min(n - 1, by + (block >> 1)) * n + Math.min(n - 1, bx + (block >> 1))) * 3
      const r = d[c]!
      const g = d[c + 1]!
      const b = d[c + 2]!
      for (let y = by; y < Math.min(n, by + block); y++) {
        for (let x = bx; x < Math.min(n, bx + block); x++) {
          const i = (y * n + x) * 3
          d[i] = r
          d[i + 1] = g
          d[i + 2] = b
        }
      }
    }
  }
}

/**
 * Glow around bright areas: what is brighter than `threshold` is blurred wide and screened back
 * over the image (neon signs, the sun, lit windows bleed light). The glow is soft anyway, so it
 * is computed at a quarter of the resolution and interpolated back up.
 */
export function bloom(canvas: Canvas, radius: number, strength: number, threshold: number): void {
  const n = canvas.size
  const f = 4
  const m = Math.ceil(n / f)
  const d = canvas.data
  const light = new Float32Array(m * m * 3)
  const area = 1 / (f * f)
  for (let y = 0; y < n; y++) {
    const row = Math.floor(y / f) * m
    for (let x = 0; x < n; x++) {
      const i = (y * n + x) * 3
      const lum = 0.2126 * d[i]! + 0.7152 * d[i + 1]! + 0.0722 * d[i + 2]!
      if (lum <= threshold) continue
      const k = ((lum - threshold) / (255 - threshold)) * area
      const o = (row + Math.floor(x / f)) * 3
      light[o]! += d[i]! * k
      light[o + 1]! += d[i + 1]! * k
      light[o + 2]! += d[i + 2]! * k
    }
  }
  boxBlur(light, m, m, radius / f, 3)
  const gain = strength / 255
  for (let y = 0; y < n; y++) {
    const fy = Math.min(m - 1.001, Math.max(0, (y + 0.5) / f - 0.5))
    const y0 = Math.floor(fy)
    const wy = fy - y0
    for (let x = 0; x < n; x++) {
      const fx = Math.min(m - 1.001, Math.max(0, (x + 0.5) / f - 0.5))
      const x0 = Math.floor(fx)
      const wx = fx - x0
      const a = (y0 * m + x0) * 3
      const b = a + m * 3
      const i = (y * n + x) * 3
      for (let c = 0; c < 3; c++) {
        const top = light[a + c]! + (light[a + 3 + c]! - light[a + c]!) * wx
        const bottom = light[b + c]! + (light[b + 3 + c]! - light[b + c]!) * wx
        let k = (top + (bottom - top) * wy) * gain
        if (k > 1) k = 1
        d[i + c]! += (255 - d[i + c]!) * k
      }
    }
  }
}
