import type { Canvas } from './canvas.ts'
import { mix, type Rgb, scale } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/**
 * A skyline standing on `base` (px): a hazy back row and a darker front row of towers with
 * antennas, setbacks and spires. Windows are lit at night (neon colours in the neon style) and
 * catch the sky by day.
 */
export function drawSkyline(canvas: Canvas, scene: Scene, rng: Random, base: number): void {
  drawRow(canvas, scene, rng, base, 0.55)
  drawRow(canvas, scene, rng, base, 0.08)
}

function drawRow(canvas: Canvas, scene: Scene, rng: Random, base: number, distance: number): void {
  const n = canvas.size
  const { palette } = scene
  const neon = scene.styles.has('neon')
  const night = !palette.daylight
  // Neon towers fade into the purple of the sky, not the pink glow at the horizon.
  const body = neon
    ? mix(scale(palette.silhouette, 1.2), palette.sky[1]!.colour, distance * 0.8)
    : mix(palette.building, palette.mist, distance * 0.7)
  const far = distance > 0.3
  const cell = n * (far ? 0.011 : 0.015)
  const litShare = night ? (far ? 0.32 : 0.42) : scene.time === 'day' ? 0 : 0.15
  const pane: Rgb = mix(body, palette.haze, 0.35)
  let x = -rng.range(0, 0.04) * n
  while (x < n) {
    const width = n * (far ? rng.range(0.035, 0.07) : rng.range(0.05, 0.1))
    const tall = rng.chance(0.15) ? 1.5 : 1
    const height = n * (far ? rng.range(0.1, 0.3) : rng.range(0.06, 0.22)) * tall
    const top = base - height
    const shade = rng.range(0.85, 1.12)
    const colour = scale(body, shade)
    canvas.rect(x, top, x + width, base + 1, colour)
    const roof = rng.next()
    if (roof < 0.2) {
      canvas.rect(
        x + width * 0.45,
        top - n * rng.range(0.03, 0.07),
        x + width * 0.45 + Math.max(1, n * 0.004),
        top,
        colour,
      )
    } else if (roof < 0.38) {
      const inset = width * rng.range(0.15, 0.3)
      const step = n * rng.range(0.02, 0.05)
      canvas.rect(x + inset, top - step, x + width - inset, top + 1, colour)
    } else if (roof < 0.46) {
      canvas.polygon(
        [x + width * 0.2, top + 0.5, x + width * 0.5, top - width * 0.9, x + width * 0.8, top + 0.5],
        colour,
      )
    }
    if (neon && !far) {
      canvas.rect(x, top, x + width, top + Math.max(1, n * 0.003), palette.accents[rng.int(0, 1)]!, 0.9)
    }
    // Windows: a grid inset from the walls, each lit or dark by its own roll.
    const cols = Math.max(1, Math.floor((width - cell * 0.6) / cell))
    const rows = Math.max(1, Math.floor((height - cell) / cell))
    const left = x + (width - cols * cell) / 2
    const density = litShare * rng.range(0.5, 1.5)
    for (let r = 0; r < rows; r++) {
      const wy = top + cell * 0.8 + r * cell
      if (wy + cell * 0.55 > base) break
      for (let c = 0; c < cols; c++) {
        const wx = left + c * cell + cell * 0.22
        if (night || density > 0) {
          if (!rng.chance(density)) continue
          const glow = palette.windows[rng.int(0, palette.windows.length - 1)]!
          canvas.rect(
            Math.round(wx),
            Math.round(wy),
            Math.round(wx + cell * 0.55),
            Math.round(wy + cell * 0.6),
            glow,
            far ? 0.55 : 0.9,
          )
        } else {
          canvas.rect(
            Math.round(wx),
            Math.round(wy),
            Math.round(wx + cell * 0.55),
            Math.round(wy + cell * 0.6),
            pane,
            0.45,
          )
        }
      }
    }
    if (neon && !far && rng.chance(0.35)) {
      const sx = x + width * rng.range(0.15, 0.75)
      const sy = top + height * rng.range(0.15, 0.5)
      const sign = palette.accents[rng.int(0, 2)]!
      const tallSign = n * rng.range(0.04, 0.08)
      canvas.glow(sx, sy + tallSign / 2, n * 0.012, sign, 0.5, 4)
      canvas.rect(sx, sy, sx + Math.max(1.5, n * 0.008), sy + tallSign, sign)
    }
    x += width + n * rng.range(0, 0.012)
  }
}
