import type { Canvas } from './canvas.ts'
import { mix, multiply, type Rgb, rgb } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

/**
 * Small subjects built from discs, ellipses and triangles. Animals are silhouettes (they read at
 * any palette and size); the house and the boat take light from the scene.
 */

/** A cat sitting with its back to the viewer, tail curled along the ground. */
export function drawCat(
  canvas: Canvas,
  x: number,
  ground: number,
  h: number,
  colour: Rgb,
  facing: 1 | -1,
): void {
  canvas.ellipse(x, ground - h * 0.15, h * 0.27, h * 0.16, 0, colour)
  canvas.ellipse(x, ground - h * 0.34, h * 0.21, h * 0.27, 0, colour)
  const hy = ground - h * 0.7
  canvas.circle(x, hy, h * 0.16, colour)
  for (const side of [-1, 1]) {
    canvas.polygon(
      [
        x + side * h * 0.155,
        hy + h * 0.01,
        x + side * h * 0.13,
        hy - h * 0.25,
        x + side * h * 0.02,
        hy - h * 0.12,
      ],
      colour,
    )
  }
  const s = facing
  canvas.stroke(
    [
      x + s * h * 0.2,
      ground - h * 0.05,
      h * 0.05,
      x + s * h * 0.38,
      ground - h * 0.04,
      h * 0.045,
      x + s * h * 0.5,
      ground - h * 0.12,
      h * 0.04,
      x + s * h * 0.52,
      ground - h * 0.26,
      h * 0.035,
    ],
    colour,
  )
}

/** A dog standing side-on, head up, tail raised. */
export function drawDog(
  canvas: Canvas,
  x: number,
  ground: number,
  h: number,
  colour: Rgb,
  facing: 1 | -1,
): void {
  const s = facing
  const body = ground - h * 0.42
  canvas.ellipse(x, body, h * 0.34, h * 0.15, 0, colour)
  for (const lx of [-0.25, -0.15, 0.15, 0.25]) {
    canvas.stroke(
      [x + s * h * lx, body, h * 0.06, x + s * h * lx * 1.04, ground - h * 0.02, h * 0.045],
      colour,
    )
  }
  canvas.stroke(
    [x + s * h * 0.22, body - h * 0.04, h * 0.11, x + s * h * 0.38, ground - h * 0.7, h * 0.09],
    colour,
  )
  const hx = x + s * h * 0.42
  const hy = ground - h * 0.76
  canvas.circle(hx, hy, h * 0.15, colour)
  canvas.ellipse(hx + s * h * 0.15, hy + h * 0.05, h * 0.12, h * 0.075, s * 0.2, colour)
  canvas.ellipse(hx - s * h * 0.06, hy + h * 0.06, h * 0.055, h * 0.13, s * 0.3, colour)
  canvas.stroke(
    [
      x - s * h * 0.3,
      body - h * 0.06,
      h * 0.045,
      x - s * h * 0.42,
      body - h * 0.2,
      h * 0.035,
      x - s * h * 0.46,
      body - h * 0.34,
      h * 0.02,
    ],
    colour,
  )
}

/** A cottage: walls, pitched roof, chimney, door, windows lit after dark. */
export function drawHouse(
  canvas: Canvas,
  scene: Scene,
  rng: Random,
  x: number,
  ground: number,
  w: number,
): void {
  const { palette } = scene
  const light = palette.daylight
  const wall = light
    ? mix(multiply(rgb(236, 222, 196), palette.sun), palette.haze, 0.1)
    : mix(palette.silhouette, palette.building, 0.4)
  const roof = light ? mix(rgb(160, 64, 52), palette.accents[0]!, 0.25) : palette.silhouette
  const window: Rgb = light ? rgb(90, 120, 150) : palette.windows[0]!
  const top = ground - w * 0.55
  canvas.rect(x + w * 0.22, top - w * 0.42, x + w * 0.32, top - w * 0.1, roof)
  canvas.rect(x - w / 2, top, x + w / 2, ground, wall)
  canvas.polygon([x - w * 0.62, top + 1, x, ground - w * 1.05, x + w * 0.62, top + 1], roof)
  canvas.rect(x - w * 0.08, ground - w * 0.3, x + w * 0.08, ground, roof)
  for (const side of [-1, 1]) {
    const wx = x + side * w * 0.3
    if (!light) canvas.glow(wx, ground - w * 0.3, w * 0.08, window, 0.6, 4)
    canvas.rect(wx - w * 0.08, ground - w * 0.4, wx + w * 0.08, ground - w * 0.22, window)
  }
  if (!light && rng.chance(0.5)) canvas.glow(x, ground - w * 0.3, w * 0.5, palette.windows[0]!, 0.15, 3)
}

/** A castle: a curtain wall with battlements between round towers with pointed roofs. */
export function drawCastle(canvas: Canvas, scene: Scene, x: number, ground: number, w: number): void {
  const { palette } = scene
  const stone = palette.daylight
    ? mix(multiply(rgb(200, 192, 180), palette.sun), palette.mist, 0.15)
    : palette.silhouette
  const roof = palette.daylight ? mix(rgb(70, 80, 140), palette.accents[0]!, 0.3) : palette.silhouette
  const window: Rgb = palette.daylight ? rgb(50, 50, 70) : palette.windows[0]!
  const wallTop = ground - w * 0.32
  const merlon = w * 0.05
  canvas.rect(x - w * 0.4, wallTop, x + w * 0.4, ground + 1, stone)
  for (let k = 0; k < 8; k++) {
    const left = x - w * 0.4 + k * merlon * 2
    canvas.rect(left, wallTop - merlon, left + merlon, wallTop + 1, stone)
  }
  // The keep in the middle, then a tower at each end, taller toward the middle.
  const towers: [number, number, number][] = [
    [x, w * 0.14, w * 0.62],
    [x - w * 0.42, w * 0.1, w * 0.46],
    [x + w * 0.42, w * 0.1, w * 0.46],
  ]
  for (const [tx, half, height] of towers) {
    const top = ground - height
    canvas.rect(tx - half, top, tx + half, ground + 1, stone)
    canvas.polygon([tx - half * 1.25, top + 1, tx, top - half * 2.4, tx + half * 1.25, top + 1], roof)
    canvas.rect(tx - half * 0.22, top + height * 0.2, tx + half * 0.22, top + height * 0.32, window)
  }
  canvas.polygon(
    [
      x - w * 0.07,
      ground + 1,
      x - w * 0.07,
      ground - w * 0.13,
      x,
      ground - w * 0.18,
      x + w * 0.07,
      ground - w * 0.13,
      x + w * 0.07,
      ground + 1,
    ],
    mix(stone, rgb(20, 16, 14), 0.7),
  )
}

/** A sailboat on the water line `y`, with a faint reflection. */
export function drawBoat(
  canvas: Canvas,
  scene: Scene,
  x: number,
  y: number,
  s: number,
  facing: 1 | -1,
): void {
  const { palette } = scene
  const hull = palette.silhouette
  const sail = palette.daylight
    ? mix(rgb(250, 248, 240), palette.sun, 0.3)
    : mix(palette.moon, palette.silhouette, 0.55)
  const f = facing
  canvas.polygon(
    [
      x - s * 0.5,
      y + s * 0.04,
      x + s * 0.5,
      y + s * 0.04,
      x + s * 0.36,
      y + s * 0.2,
      x - s * 0.36,
      y + s * 0.2,
    ],
    hull,
    0.2,
  )
  canvas.polygon(
    [x + f * s * 0.02, y + s * 0.1, x + f * s * 0.02, y + s * 0.7, x + f * s * 0.4, y + s * 0.1],
    sail,
    0.15,
  )
  canvas.polygon(
    [
      x - s * 0.5,
      y - s * 0.12,
      x + s * 0.5,
      y - s * 0.12,
      x + s * 0.36,
      y + s * 0.02,
      x - s * 0.36,
      y + s * 0.02,
    ],
    hull,
  )
  canvas.rect(x - s * 0.012, y - s * 1.02, x + s * 0.012, y - s * 0.1, hull)
  canvas.polygon(
    [x + f * s * 0.03, y - s * 0.98, x + f * s * 0.03, y - s * 0.18, x + f * s * 0.44, y - s * 0.18],
    sail,
  )
  canvas.polygon(
    [x - f * s * 0.03, y - s * 0.86, x - f * s * 0.03, y - s * 0.18, x - f * s * 0.3, y - s * 0.18],
    sail,
  )
}

/** A loose flock of gliding birds, drawn as shallow Ms. */
export function drawBirds(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const colour = mix(scene.palette.silhouette, scene.palette.haze, 0.15)
  const cx = n * rng.range(0.2, 0.8)
  const cy = n * scene.horizon * rng.range(0.25, 0.55)
  const count = rng.int(3, 7)
  for (let k = 0; k < count; k++) {
    const x = cx + rng.range(-0.16, 0.16) * n
    const y = cy + rng.range(-0.07, 0.07) * n
    const s = n * rng.range(0.009, 0.018)
    const r = Math.max(0.6, s * 0.11)
    const lift = rng.range(0.2, 0.5)
    canvas.stroke(
      [
        x - s,
        y - s * lift,
        r * 0.5,
        x - s * 0.5,
        y - s * 0.45,
        r,
        x,
        y + s * 0.1,
        r * 1.2,
        x + s * 0.5,
        y - s * 0.45,
        r,
        x + s,
        y - s * lift,
        r * 0.5,
      ],
      colour,
    )
  }
}
