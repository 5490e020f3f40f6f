import type { Canvas } from './canvas.ts'
import { mix } from './colour.ts'
import type { Scene } from './scene.ts'

/**
 * The retro-futurist floor: glowing lines running to a vanishing point on the horizon, crossed by
 * lines that space out toward the viewer. Drawn over dark ground from `top` down.
 */
export function drawGridFloor(canvas: Canvas, scene: Scene, top: number): void {
  const n = canvas.size
  const depth = n - top
  const line = scene.palette.accents[0]!
  const rim = scene.palette.accents[1]!
  const d = canvas.data
  const unit = n / 512
  const spacing = n * 0.14
  const lines = Math.ceil(n / 2 / spacing) * 4
  for (let y = Math.ceil(top); y < n; y++) {
    const t = (y + 0.5 - top) / depth
    const width = unit * (0.4 + 1.6 * t)
    const fade = Math.min(1, t * 4)
    for (let m = -lines; m <= lines; m++) {
      const cx = n / 2 + m * spacing * t * 1.8
      if (cx < -width * 4 || cx > n + width * 4) continue
      const x0 = Math.max(0, Math.floor(cx - width * 4))
      const x1 = Math.min(n - 1, Math.ceil(cx + width * 4))
      for (let x = x0; x <= x1; x++) {
        const dist = Math.abs(x + 0.5 - cx)
        let a = width - dist + 0.5
        a = a > 1 ? 1 : Math.max(a, 0)
        // A faint halo four line-widths wide makes the lines glow.
        const halo = Math.max(0, 1 - dist / (width * 4)) * 0.25
        const k = Math.max(a, halo) * fade
        if (k <= 0) continue
        const i = (y * n + x) * 3
        d[i]! += (line[0] - d[i]!) * k
        d[i + 1]! += (line[1] - d[i + 1]!) * k
        d[i + 2]! += (line[2] - d[i + 2]!) * k
      }
    }
  }
  for (let k = 1; k <= 16; k++) {
    const t = (k / 16) ** 2.2
    const y = top + depth * t
    const thick = unit * (0.5 + 2 * t)
    canvas.rect(0, y - thick * 2, n, y + thick * 3, line, 0.18)
    canvas.rect(0, y, n, y + thick, line, Math.min(1, 0.3 + t * 2))
  }
  canvas.rect(0, top - unit, n, top + unit * 1.5, mix(rim, line, 0.3), 0.9)
  canvas.glow(n / 2, top, n * 0.12, line, 0.35, 5)
}
