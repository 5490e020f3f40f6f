import type { Canvas } from './canvas.ts'
import { adjust, mix, type Rgb, scale } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/** Stars above the horizon, dimmer low in the haze; a few bright ones get a glow and a sparkle. */
export function drawStars(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const horizon = scene.composition === 'landscape' ? scene.horizon * n : n
  const count = Math.round(
    (scene.features.has('city') ? 140 : 260) * (scene.composition === 'space' ? 1.4 : 1),
  )
  const unit = Math.sqrt(n / 512)
  const star = scene.palette.star
  for (let k = 0; k < count; k++) {
    const x = rng.next() * n
    const y = rng.next() * horizon
    const fade = Math.min(1, (horizon - y) / (n * 0.18))
    const bright = rng.next()
    const tinted: Rgb = rng.chance(0.3) ? mix(star, scene.palette.accents[rng.int(0, 3)]!, 0.35) : star
    canvas.circle(x, y, (0.35 + bright * 0.8) * unit, tinted, (0.35 + 0.65 * bright) * fade)
    if (bright > 0.96) {
      canvas.glow(x, y, 1.5 * unit, tinted, 0.5 * fade, 4)
      const arm = 5 * unit
      canvas.rect(x - arm, y - 0.4 * unit, x + arm, y + 0.4 * unit, tinted, 0.35 * fade)
      canvas.rect(x - 0.4 * unit, y - arm, x + 0.4 * unit, y + arm, tinted, 0.35 * fade)
    }
  }
}

/** The sun: a wide glow and a disc; in the neon style the striped retro sun instead. */
export function drawSun(canvas: Canvas, scene: Scene): void {
  const n = canvas.size
  const cx = scene.lightX * n
  const cy = scene.lightY * n
  const { palette } = scene
  if (scene.styles.has('neon')) {
    drawRetroSun(canvas, cx, cy, n * 0.17, palette.sun, palette.sunGlow)
    return
  }
  const low = scene.time === 'sunset' || scene.time === 'sunrise'
  const radius = n * (low ? 0.055 : 0.04)
  canvas.glow(cx, cy, n * (low ? 0.09 : 0.06), palette.sunGlow, low ? 0.9 : 0.7, 6)
  canvas.circle(cx, cy, radius * 1.25, palette.sun, 0.35, n * 0.02)
  canvas.circle(cx, cy, radius, palette.sun, 1, 1.5)
}

/** A disc with a vertical yellow-to-pink gradient and gaps cut across its lower half. */
function drawRetroSun(canvas: Canvas, cx: number, cy: number, r: number, top: Rgb, bottom: Rgb): void {
  canvas.glow(cx, cy, r * 0.8, bottom, 0.7, 4)
  const n = canvas.size
  const d = canvas.data
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(n - 1, Math.ceil(cy + r)); y++) {
    const v = (y + 0.5 - cy) / r
    // Gaps widen toward the bottom: stripe k covers v in [start, start + width).
    if (v > 0.05) {
      const phase = (v - 0.05) / 0.19
      const gap = 0.18 + 0.5 * (v - 0.05)
      if (phase - Math.floor(phase) < gap) continue
    }
    const t = (v + 1) / 2
    const cr = top[0] + (bottom[0] - top[0]) * t
    const cg = top[1] + (bottom[1] - top[1]) * t
    const cb = top[2] + (bottom[2] - top[2]) * t
    const dy = y + 0.5 - cy
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(n - 1, Math.ceil(cx + r)); x++) {
      const dx = x + 0.5 - cx
      let a = r - Math.sqrt(dx * dx + dy * dy) + 0.5
      if (a <= 0) continue
      if (a > 1) a = 1
      const i = (y * n + x) * 3
      d[i]! += (cr - d[i]!) * a
      d[i + 1]! += (cg - d[i + 1]!) * a
      d[i + 2]! += (cb - d[i + 2]!) * a
    }
  }
}

/** A full moon with a soft halo and a few faint maria. */
export function drawMoon(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const cx = scene.lightX * n
  const cy = scene.lightY * n
  const r = n * rng.range(0.04, 0.06)
  const { moon, sunGlow } = scene.palette
  canvas.glow(cx, cy, r * 1.4, sunGlow, 0.55, 5)
  canvas.circle(cx, cy, r, moon, 1, 1.2)
  const shade = scale(moon, 0.82)
  for (let k = 0; k < 5; k++) {
    const a = rng.range(0, Math.PI * 2)
    const dist = rng.range(0, r * 0.55)
    canvas.circle(
      cx + Math.cos(a) * dist,
      cy + Math.sin(a) * dist,
      r * rng.range(0.12, 0.3),
      shade,
      0.35,
      r * 0.1,
    )
  }
}

/** A banded, shaded planet, sometimes ringed, and a small moon. */
export function drawPlanet(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const cx = n * rng.range(0.3, 0.7)
  const cy = n * rng.range(0.35, 0.65)
  const r = n * rng.range(0.14, 0.22)
  const base = scene.palette.accents[rng.int(0, 3)]!
  const band = adjust(base, rng.range(-40, 40), 0.8, 1.25)
  const ringed = rng.chance(0.65)
  const tilt = rng.range(-0.5, 0.5)
  const ring = adjust(base, 30, 0.5, 1.3)
  if (ringed) drawRing(canvas, cx, cy, r, tilt, ring, false)
  const lx = -0.6
  const ly = -0.45
  const lz = 0.66
  const freq = rng.range(8, 16)
  const phase = rng.range(0, 6)
  const d = canvas.data
  const cos = Math.cos(tilt)
  const sin = Math.sin(tilt)
  for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(n - 1, Math.ceil(cy + r + 1)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(n - 1, Math.ceil(cx + r + 1)); x++) {
      const u = (x + 0.5 - cx) / r
      const v = (y + 0.5 - cy) / r
      const q = u * u + v * v
      let a = (1 - Math.sqrt(q)) * r + 0.5
      if (a <= 0) continue
      if (a > 1) a = 1
      const nz = Math.sqrt(Math.max(0, 1 - q))
      let light = 0.12 + 0.95 * (u * lx + v * ly + nz * lz)
      light = light < 0.06 ? 0.06 : Math.min(light, 1.1)
      // Bands run along the tilted equator.
      const lat = v * cos - u * sin
      const b = 0.5 + 0.5 * Math.sin(lat * freq + phase + Math.sin(lat * 23 + phase) * 0.6)
      const i = (y * n + x) * 3
      const cr = (base[0] + (band[0] - base[0]) * b) * light
      const cg = (base[1] + (band[1] - base[1]) * b) * light
      const cb = (base[2] + (band[2] - base[2]) * b) * light
      d[i]! += (cr - d[i]!) * a
      d[i + 1]! += (cg - d[i + 1]!) * a
      d[i + 2]! += (cb - d[i + 2]!) * a
    }
  }
  if (ringed) drawRing(canvas, cx, cy, r, tilt, ring, true)
  const mr = r * rng.range(0.12, 0.2)
  const ma = rng.range(0, Math.PI * 2)
  const mx = cx + Math.cos(ma) * r * 2.6
  const my = cy + Math.sin(ma) * r * 1.6
  canvas.circle(mx, my, mr, adjust(base, 150, 0.3, 1.1), 1, 1.2)
  canvas.circle(mx + mr * 0.35, my + mr * 0.3, mr * 0.85, scene.palette.sky[0]!.colour, 0.6, mr * 0.4)
}

/** Half of a flat ring seen at an angle: the far half goes behind the planet, the near half over it. */
function drawRing(canvas: Canvas, cx: number, cy: number, r: number, tilt: number, c: Rgb, front: boolean) {
  const n = canvas.size
  const inner = r * 1.35
  const outer = r * 2.1
  const flat = 0.26
  const cos = Math.cos(tilt)
  const sin = Math.sin(tilt)
  const d = canvas.data
  for (let y = Math.max(0, Math.floor(cy - outer)); y <= Math.min(n - 1, Math.ceil(cy + outer)); y++) {
    for (let x = Math.max(0, Math.floor(cx - outer)); x <= Math.min(n - 1, Math.ceil(cx + outer)); x++) {
      const dx = x + 0.5 - cx
      const dy = y + 0.5 - cy
      const u = dx * cos + dy * sin
      const v = (dy * cos - dx * sin) / flat
      if (v > 0 !== front) continue
      const dist = Math.sqrt(u * u + v * v)
      if (dist < inner || dist > outer) continue
      const t = (dist - inner) / (outer - inner)
      // Two bands with a gap, brighter at the inside.
      const a =
        (t > 0.55 && t < 0.62 ? 0.15 : 0.75 - 0.4 * t) *
        Math.min(1, (dist - inner) * 0.8, (outer - dist) * 0.8)
      const i = (y * n + x) * 3
      d[i]! += (c[0] - d[i]!) * a
      d[i + 1]! += (c[1] - d[i + 1]!) * a
      d[i + 2]! += (c[2] - d[i + 2]!) * a
    }
  }
}
