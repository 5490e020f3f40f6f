import type { Random } from './random.ts'

/**
 * Seeded noise at the resolutions the layers need. Ridgelines are 1-D (one value per column);
 * clouds, nebulae and paper texture are a small 2-D grid stretched to the image, which is far
 * cheaper than evaluating noise per pixel and looks the same once blurred by interpolation.
 */

/**
 * A ridgeline by midpoint displacement, `2^depth + 1` values in about [-1, 1]. Gives mountains
 * their mix of broad shapes and jagged detail; `roughness` (0.4–0.7) is how fast detail fades.
 */
export function midpointRidge(rng: Random, depth: number, roughness: number): Float32Array {
  const n = 1 << depth
  const out = new Float32Array(n + 1)
  out[0] = rng.range(-0.6, 0.6)
  out[n] = rng.range(-0.6, 0.6)
  let amplitude = 1
  for (let step = n; step > 1; step >>= 1) {
    const half = step >> 1
    for (let i = half; i < n; i += step) {
      out[i] = (out[i - half]! + out[i + half]!) / 2 + rng.range(-amplitude, amplitude)
    }
    amplitude *= roughness
  }
  normalise(out)
  return out
}

/**
 * Smooth fractal noise sampled at `width` points: `frequency` bumps across the width at the first
 * octave, each further octave twice as many at `persistence` times the height. About [-1, 1].
 */
export function fractalProfile(
  rng: Random,
  width: number,
  frequency: number,
  octaves: number,
  persistence = 0.5,
): Float32Array {
  const out = new Float32Array(width)
  let amplitude = 1
  let cells = frequency
  for (let o = 0; o < octaves; o++) {
    const lattice = new Float32Array(Math.ceil(cells) + 2)
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.range(-1, 1)
    const step = cells / width
    const offset = rng.next()
    for (let x = 0; x < width; x++) {
      const p = x * step + offset
      const i = Math.floor(p)
      const f = p - i
      const s = f * f * (3 - 2 * f)
      out[x]! += (lattice[i]! + (lattice[i + 1]! - lattice[i]!) * s) * amplitude
    }
    amplitude *= persistence
    cells *= 2
  }
  normalise(out)
  return out
}

/** Reads a ridge or profile of any length at fraction `u` of its width (linear in between). */
export function sampleLine(line: Float32Array, u: number): number {
  const p = Math.min(Math.max(u, 0), 1) * (line.length - 1)
  const i = Math.floor(p)
  const j = Math.min(i + 1, line.length - 1)
  return line[i]! + (line[j]! - line[i]!) * (p - i)
}

/** A `grid × grid` field of fractal value noise in [0, 1], `octaves` from `cells` cells across. */
export function noiseGrid(rng: Random, grid: number, cells: number, octaves: number): Float32Array {
  const out = new Float32Array(grid * grid)
  let amplitude = 1
  let total = 0
  for (let o = 0; o < octaves; o++) {
    const n = cells << o
    const lattice = new Float32Array((n + 2) * (n + 2))
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next()
    const row = n + 2
    for (let y = 0; y < grid; y++) {
      const py = (y / grid) * n
      const iy = Math.floor(py)
      let fy = py - iy
      fy = fy * fy * (3 - 2 * fy)
      for (let x = 0; x < grid; x++) {
        const px = (x / grid) * n
        const ix = Math.floor(px)
        let fx = px - ix
        fx = fx * fx * (3 - 2 * fx)
        const a = lattice[iy * row + ix]!
        const b = lattice[iy * row + ix + 1]!
        const c = lattice[(iy + 1) * row + ix]!
        const d = lattice[(iy + 1) * row + ix + 1]!
        const top = a + (b - a) * fx
        const bottom = c + (d - c) * fx
        out[y * grid + x]! += (top + (bottom - top) * fy) * amplitude
      }
    }
    total += amplitude
    amplitude *= 0.5
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total
  return out
}

/** Reads a `grid × grid` field at fractions (u, v) of its width and height, bilinearly. */
export function sampleGrid(field: Float32Array, grid: number, u: number, v: number): number {
  const px = Math.min(Math.max(u, 0), 1) * (grid - 1)
  const py = Math.min(Math.max(v, 0), 1) * (grid - 1)
  const ix = Math.min(Math.floor(px), grid - 2)
  const iy = Math.min(Math.floor(py), grid - 2)
  const fx = px - ix
  const fy = py - iy
  const a = field[iy * grid + ix]!
  const b = field[iy * grid + ix + 1]!
  const c = field[(iy + 1) * grid + ix]!
  const d = field[(iy + 1) * grid + ix + 1]!
  const top = a + (b - a) * fx
  return top + (c + (d - c) * fx - top) * fy
}

/** Stretches a `grid × grid` field to `size × size` by bilinear interpolation. */
export function upsampleGrid(field: Float32Array, grid: number, size: number): Float32Array {
  const out = new Float32Array(size * size)
  const x0 = new Int32Array(size)
  const wx = new Float32Array(size)
  const ratio = (grid - 1) / (size - 1)
  for (let x = 0; x < size; x++) {
    const p = x * ratio
    const i = Math.min(Math.floor(p), grid - 2)
    x0[x] = i
    wx[x] = p - i
  }
  for (let y = 0; y < size; y++) {
    const iy = x0[y]!
    const fy = wx[y]!
    const top = iy * grid
    const bottom = top + grid
    const o = y * size
    for (let x = 0; x < size; x++) {
      const ix = x0[x]!
      const fx = wx[x]!
      const t = field[top + ix]! + (field[top + ix + 1]! - field[top + ix]!) * fx
      const b = field[bottom + ix]! + (field[bottom + ix + 1]! - field[bottom + ix]!) * fx
      out[o + x] = t + (b - t) * fy
    }
  }
  return out
}

/** Rescales values in place to span [-1, 1]. */
function normalise(values: Float32Array): void {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const span = max - min || 1
  for (let i = 0; i < values.length; i++) values[i] = ((values[i]! - min) / span) * 2 - 1
}
