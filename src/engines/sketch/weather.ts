import type { Canvas } from './canvas.ts'
import { mix, rgb } from './colour.ts'
import { fractalProfile } from './noise.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/** Banks of mist lying along the horizon and in front of the far layers. */
export function drawFog(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const colour = mix(scene.palette.haze, rgb(235, 235, 240), scene.palette.daylight ? 0.3 : 0)
  const d = canvas.data
  const banks = [
    [scene.horizon - 0.03, 0.07, 0.7],
    [scene.horizon + 0.08, 0.06, 0.45],
  ] as const
  for (const [centre, spread, strength] of banks) {
    const wisps = fractalProfile(rng, n, rng.range(2, 4), 3)
    const cy = centre * n
    const half = spread * n
    for (let y = Math.max(0, Math.floor(cy - half * 2)); y < Math.min(n, Math.ceil(cy + half * 2)); y++) {
      const v = (y - cy) / half
      const band = Math.exp(-v * v) * strength
      for (let x = 0; x < n; x++) {
        const a = band * (0.55 + 0.45 * wisps[x]!)
        if (a <= 0) continue
        const i = (y * n + x) * 3
        d[i]! += (colour[0] - d[i]!) * a
        d[i + 1]! += (colour[1] - d[i + 1]!) * a
        d[i + 2]! += (colour[2] - d[i + 2]!) * a
      }
    }
  }
}

/** Slanting streaks of rain over everything. */
export function drawRain(canvas: Canvas, rng: Random): void {
  const n = canvas.size
  const colour = rgb(210, 220, 235)
  const slant = rng.range(-0.25, 0.25)
  const width = Math.max(0.6, n / 700)
  for (let k = 0; k < 420; k++) {
    const x = rng.next() * n
    const y = rng.next() * n
    const length = n * rng.range(0.02, 0.05)
    canvas.stroke([x, y, width, x + slant * length, y + length, width], colour, rng.range(0.12, 0.3))
  }
}

/** Falling snow: soft flakes, bigger ones nearer the viewer. */
export function drawSnowfall(canvas: Canvas, rng: Random): void {
  const n = canvas.size
  const unit = n / 512
  const colour = rgb(250, 252, 255)
  for (let k = 0; k < 500; k++) {
    const near = rng.next() ** 3
    canvas.circle(
      rng.next() * n,
      rng.next() * n,
      unit * (0.8 + 3 * near),
      colour,
      0.5 + 0.4 * near,
      1 + unit * near,
    )
  }
}
