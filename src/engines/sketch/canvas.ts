import type { RgbaImage } from '../../images/png.ts'
import type { Rgb } from './colour.ts'

/** One colour stop of a vertical gradient; `at` is a fraction of the height. */
export interface GradientStop {
  at: number
  colour: Rgb
}

/**
 * A square float RGB drawing surface (0–255 per channel). Layers paint into it back to front with
 * anti-aliased coverage; `toRgba` happens once at the end, so blending never rounds twice.
 * Primitives loop over their bounding box only, with no allocation per pixel.
 */
export class Canvas {
  readonly data: Float32Array

  constructor(readonly size: number) {
    this.data = new Float32Array(size * size * 3)
  }

  static fromRgba(image: RgbaImage): Canvas {
    const canvas = new Canvas(image.width)
    const src = image.data
    const dst = canvas.data
    for (let i = 0, j = 0; j < dst.length; i += 4, j += 3) {
      dst[j] = src[i]!
      dst[j + 1] = src[i + 1]!
      dst[j + 2] = src[i + 2]!
    }
    return canvas
  }

  /** Colours of `stops` at every row: `rows[y*3 .. y*3+2]`. Smooth between stops. */
  gradientRows(stops: readonly GradientStop[]): Float32Array {
    const rows = new Float32Array(this.size * 3)
    for (let y = 0; y < this.size; y++) {
      const at = (y + 0.5) / this.size
      let k = 0
      while (k < stops.length - 2 && at > stops[k + 1]!.at) k++
      const a = stops[k]!
      const b = stops[Math.min(k + 1, stops.length - 1)]!
      let t = b.at > a.at ? (at - a.at) / (b.at - a.at) : 0
      t = t < 0 ? 0 : Math.min(t, 1)
      t = t * t * (3 - 2 * t)
      rows[y * 3] = a.colour[0] + (b.colour[0] - a.colour[0]) * t
      rows[y * 3 + 1] = a.colour[1] + (b.colour[1] - a.colour[1]) * t
      rows[y * 3 + 2] = a.colour[2] + (b.colour[2] - a.colour[2]) * t
    }
    return rows
  }

  /** Paints rows `from`..`to` (pixel rows, exclusive end) with one colour per row. */
  fillRows(rows: Float32Array, from = 0, to = this.size): void {
    const d = this.data
    for (let y = Math.max(0, from); y < Math.min(this.size, to); y++) {
      const r = rows[y * 3]!
      const g = rows[y * 3 + 1]!
      const b = rows[y * 3 + 2]!
      for (let i = y * this.size * 3, end = i + this.size * 3; i < end; i += 3) {
        d[i] = r
        d[i + 1] = g
        d[i + 2] = b
      }
    }
  }

  /** Alpha-blends one pixel (index in pixels, not floats). */
  blend(pixel: number, c: Rgb, alpha: number): void {
    const i = pixel * 3
    const d = this.data
    d[i]! += (c[0] - d[i]!) * alpha
    d[i + 1]! += (c[1] - d[i + 1]!) * alpha
    d[i + 2]! += (c[2] - d[i + 2]!) * alpha
  }

  /** A filled disc; `soft` is the width of its edge in pixels (1 is a crisp anti-aliased edge). */
  circle(cx: number, cy: number, r: number, c: Rgb, alpha = 1, soft = 1): void {
    const n = this.size
    const reach = r + soft
    const x0 = Math.max(0, Math.floor(cx - reach))
    const x1 = Math.min(n - 1, Math.ceil(cx + reach))
    const y0 = Math.max(0, Math.floor(cy - reach))
    const y1 = Math.min(n - 1, Math.ceil(cy + reach))
    const d = this.data
    const [cr, cg, cb] = c
    const inv = 1 / soft
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx
        let a = (r - Math.sqrt(dx * dx + dy * dy)) * inv + 0.5
        if (a <= 0) continue
        if (a > 1) a = 1
        a *= alpha
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /** A circle outline `width` px thick, its outer edge at radius `r`. */
  ring(cx: number, cy: number, r: number, width: number, c: Rgb, alpha = 1): void {
    const n = this.size
    const inner = r - width
    const x0 = Math.max(0, Math.floor(cx - r - 1))
    const x1 = Math.min(n - 1, Math.ceil(cx + r + 1))
    const y0 = Math.max(0, Math.floor(cy - r - 1))
    const y1 = Math.min(n - 1, Math.ceil(cy + r + 1))
    const d = this.data
    const [cr, cg, cb] = c
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx
        const dist = Math.sqrt(dx * dx + dy * dy)
        let a = Math.min(r - dist, dist - inner) + 0.5
        if (a <= 0) continue
        if (a > 1) a = 1
        a *= alpha
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /** A filled ellipse turned by `angle` radians. */
  ellipse(cx: number, cy: number, rx: number, ry: number, angle: number, c: Rgb, alpha = 1): void {
    const n = this.size
    const reach = Math.max(rx, ry) + 1
    const x0 = Math.max(0, Math.floor(cx - reach))
    const x1 = Math.min(n - 1, Math.ceil(cx + reach))
    const y0 = Math.max(0, Math.floor(cy - reach))
    const y1 = Math.min(n - 1, Math.ceil(cy + reach))
    const cos = Math.cos(angle)
    const sin = Math.sin(angle)
    const edge = Math.min(rx, ry)
    const d = this.data
    const [cr, cg, cb] = c
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx
        const u = (dx * cos + dy * sin) / rx
        const v = (dy * cos - dx * sin) / ry
        let a = (1 - Math.sqrt(u * u + v * v)) * edge + 0.5
        if (a <= 0) continue
        if (a > 1) a = 1
        a *= alpha
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /**
   * A filled convex polygon (`points` as x0, y0, x1, y1, …, either winding). Coverage is the
   * distance to the nearest edge, which anti-aliases straight edges exactly.
   */
  polygon(points: readonly number[], c: Rgb, alpha = 1): void {
    const count = points.length >> 1
    if (count < 3) return
    let area = 0
    let minX = Number.POSITIVE_INFINITY
    let maxX = Number.NEGATIVE_INFINITY
    let minY = Number.POSITIVE_INFINITY
    let maxY = Number.NEGATIVE_INFINITY
    for (let k = 0; k < count; k++) {
      const x = points[k * 2]!
      const y = points[k * 2 + 1]!
      const j = ((k + 1) % count) * 2
      area += x * points[j + 1]! - points[j]! * y
      if (x < minX) minX = x
      if (x > maxX) maxX = x
      if (y < minY) minY = y
      if (y > maxY) maxY = y
    }
    const sign = area >= 0 ? 1 : -1
    // Each edge as a unit inward normal (nx, ny) and offset, so distance is one multiply-add.
    const edges = new Float64Array(count * 3)
    for (let k = 0; k < count; k++) {
      const ax = points[k * 2]!
      const ay = points[k * 2 + 1]!
      const j = ((k + 1) % count) * 2
      const ex = points[j]! - ax
      const ey = points[j + 1]! - ay
      const length = Math.hypot(ex, ey) || 1
      const nx = (-ey / length) * sign
      const ny = (ex / length) * sign
      edges[k * 3] = nx
      edges[k * 3 + 1] = ny
      edges[k * 3 + 2] = -(nx * ax + ny * ay)
    }
    const n = this.size
    const x0 = Math.max(0, Math.floor(minX - 1))
    const x1 = Math.min(n - 1, Math.ceil(maxX + 1))
    const y0 = Math.max(0, Math.floor(minY - 1))
    const y1 = Math.min(n - 1, Math.ceil(maxY + 1))
    const d = this.data
    const [cr, cg, cb] = c
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5
        let inside = Number.POSITIVE_INFINITY
        for (let k = 0; k < edges.length; k += 3) {
          const dist = edges[k]! * px + edges[k + 1]! * py + edges[k + 2]!
          if (dist < inside) inside = dist
        }
        let a = inside + 0.5
        if (a <= 0) continue
        if (a > 1) a = 1
        a *= alpha
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /** An axis-aligned rectangle with fractional (anti-aliased) edges. */
  rect(left: number, top: number, right: number, bottom: number, c: Rgb, alpha = 1): void {
    const n = this.size
    const x0 = Math.max(0, Math.floor(left))
    const x1 = Math.min(n - 1, Math.ceil(right) - 1)
    const y0 = Math.max(0, Math.floor(top))
    const y1 = Math.min(n - 1, Math.ceil(bottom) - 1)
    const d = this.data
    const [cr, cg, cb] = c
    for (let y = y0; y <= y1; y++) {
      const cy = Math.min(y + 1, bottom) - Math.max(y, top)
      for (let x = x0; x <= x1; x++) {
        const cx = Math.min(x + 1, right) - Math.max(x, left)
        const a = cx * cy * alpha
        if (a <= 0) continue
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /**
   * A tapering stroke through `path` (x, y, radius triples). Coverage is the union (max) over the
   * capsules between points, so a translucent stroke does not darken where capsules overlap.
   */
  stroke(path: readonly number[], c: Rgb, alpha = 1): void {
    const count = path.length / 3
    if (count < 2) return
    let minX = Number.POSITIVE_INFINITY
    let maxX = Number.NEGATIVE_INFINITY
    let minY = Number.POSITIVE_INFINITY
    let maxY = Number.NEGATIVE_INFINITY
    for (let k = 0; k < count; k++) {
      const r = path[k * 3 + 2]! + 1
      minX = Math.min(minX, path[k * 3]! - r)
      maxX = Math.max(maxX, path[k * 3]! + r)
      minY = Math.min(minY, path[k * 3 + 1]! - r)
      maxY = Math.max(maxY, path[k * 3 + 1]! + r)
    }
    const n = this.size
    const x0 = Math.max(0, Math.floor(minX))
    const x1 = Math.min(n - 1, Math.ceil(maxX))
    const y0 = Math.max(0, Math.floor(minY))
    const y1 = Math.min(n - 1, Math.ceil(maxY))
    const d = this.data
    const [cr, cg, cb] = c
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5
        let best = 0
        for (let k = 0; k < count - 1; k++) {
          const ax = path[k * 3]!
          const ay = path[k * 3 + 1]!
          const ar = path[k * 3 + 2]!
          const bx = path[k * 3 + 3]!
          const by = path[k * 3 + 4]!
          const br = path[k * 3 + 5]!
          const ex = bx - ax
          const ey = by - ay
          const len2 = ex * ex + ey * ey
          let t = len2 > 0 ? ((px - ax) * ex + (py - ay) * ey) / len2 : 0
          t = t < 0 ? 0 : Math.min(t, 1)
          const qx = px - ax - ex * t
          const qy = py - ay - ey * t
          const cover = ar + (br - ar) * t - Math.sqrt(qx * qx + qy * qy) + 0.5
          if (cover > best) best = cover
        }
        if (best <= 0) continue
        const a = Math.min(best, 1) * alpha
        const i = (y * n + x) * 3
        d[i]! += (cr - d[i]!) * a
        d[i + 1]! += (cg - d[i + 1]!) * a
        d[i + 2]! += (cb - d[i + 2]!) * a
      }
    }
  }

  /**
   * Light around a point: screen-blends `c` with strength falling off as 1/(1 + (d/r)²)², so the
   * glow brightens without clipping dark areas to flat white.
   */
  glow(cx: number, cy: number, r: number, c: Rgb, strength: number, reach = 4): void {
    const n = this.size
    const extent = r * reach
    const x0 = Math.max(0, Math.floor(cx - extent))
    const x1 = Math.min(n - 1, Math.ceil(cx + extent))
    const y0 = Math.max(0, Math.floor(cy - extent))
    const y1 = Math.min(n - 1, Math.ceil(cy + extent))
    const d = this.data
    const kr = (c[0] / 255) * strength
    const kg = (c[1] / 255) * strength
    const kb = (c[2] / 255) * strength
    const inv = 1 / (r * r)
    const edge = 1 / (1 + reach * reach) ** 2
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx
        const q = 1 + (dx * dx + dy * dy) * inv
        // Subtracting the value at `reach` makes the glow end at zero instead of at a visible edge.
        const f = 1 / (q * q) - edge
        if (f <= 0) continue
        const i = (y * n + x) * 3
        d[i]! += (255 - d[i]!) * kr * f
        d[i + 1]! += (255 - d[i + 1]!) * kg * f
        d[i + 2]! += (255 - d[i + 2]!) * kb * f
      }
    }
  }
}
