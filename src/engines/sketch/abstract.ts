import type { Canvas } from './canvas.ts'
import { hsl, mix, type Rgb, rgb, toHsl } from './colour.ts'
import type { Random } from './random.ts'
import type { Scene } from './scene.ts'

type ShapeKind =
  | 'circle'
  | 'ring'
  | 'half'
  | 'rect'
  | 'triangle'
  | 'hexagon'
  | 'stripes'
  | 'dots'
  | 'heart'
  | 'bubble'

const SOFT_KINDS: readonly ShapeKind[] = [
  'circle',
  'ring',
  'half',
  'rect',
  'triangle',
  'stripes',
  'dots',
  'circle',
]
const GEOMETRIC_KINDS: readonly ShapeKind[] = [
  'triangle',
  'rect',
  'hexagon',
  'triangle',
  'rect',
  'hexagon',
  'stripes',
]

/**
 * A poster of overlapping flat shapes on a paper-toned ground, in five harmonising colours built
 * around the prompt's first colour (or its hash). Big shapes first, each with a faint drop shadow.
 */
export function drawAbstract(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const named = scene.palette.accents[0]
  const hue = scene.namedColour && named ? toHsl(named)[0] : scene.hue
  const dark = scene.time === 'night' || scene.tones.has('dark') || scene.styles.has('neon')
  // Pastel is chosen here rather than washed over in the finish, so the shapes stay distinct.
  const pastel = scene.tones.has('pastel')
  const sat = pastel ? 0.62 : 0.7
  const light = pastel ? 0.2 : 0
  // Split complements around the lead hue, one dark anchor and one light: poster colours.
  const colours: Rgb[] = [
    hsl(hue, sat, 0.55 + light),
    hsl(hue + 150, sat * 0.85, 0.6 + light),
    hsl(hue + 210, sat * 0.75, 0.5 + light),
    hsl(hue + 30, sat, 0.66 + light * 0.6),
    hsl(hue + 190, 0.45, pastel ? 0.5 : 0.24),
    hsl(hue + 60, 0.5, 0.86),
  ]
  if (scene.namedColour) colours.unshift(...scene.palette.accents.slice(0, 2))
  const paper = dark ? hsl(hue + 200, 0.35, 0.12) : mix(rgb(247, 241, 229), hsl(hue, 0.5, 0.85), 0.25)
  const paper2 = dark ? hsl(hue + 240, 0.4, 0.2) : mix(rgb(238, 228, 212), hsl(hue + 30, 0.5, 0.8), 0.3)
  canvas.fillRows(
    canvas.gradientRows([
      { at: 0, colour: paper },
      { at: 1, colour: paper2 },
    ]),
  )
  canvas.glow(n * rng.range(0.2, 0.8), n * rng.range(0.2, 0.8), n * 0.25, colours[1]!, dark ? 0.25 : 0.15, 3)

  const { features, styles } = scene
  let kinds = styles.has('geometric') ? GEOMETRIC_KINDS : SOFT_KINDS
  if (features.has('hearts')) kinds = ['heart', 'heart', 'circle', 'heart']
  if (features.has('bubbles')) kinds = ['bubble']
  const count = styles.has('minimal')
    ? rng.int(3, 5)
    : kinds[0] === 'bubble'
      ? rng.int(18, 28)
      : rng.int(10, 15)
  const sizes: number[] = []
  for (let k = 0; k < count; k++) sizes.push(n * (rng.next() ** 1.3 * 0.42 + 0.05))
  sizes.sort((a, b) => b - a)
  const shadow: Rgb = dark ? rgb(0, 0, 0) : mix(paper2, rgb(40, 30, 50), 0.6)
  for (const [k, s] of sizes.entries()) {
    const kind = rng.pick(kinds)
    // Big shapes near the middle hold the composition together; small ones may wander.
    const spread = 0.2 + 0.55 * (1 - s / (n * 0.47))
    let x = n * (0.5 + rng.range(-spread, spread) * 0.8)
    let y = n * (0.5 + rng.range(-spread, spread) * 0.8)
    if (k === 0 && scene.focus) {
      x = scene.focus.x * n
      y = scene.focus.y * n
    }
    const angle = styles.has('geometric')
      ? rng.range(0, Math.PI)
      : rng.pick([0, Math.PI / 4, Math.PI / 2, rng.range(0, Math.PI)])
    const colour = colours[rng.int(0, colours.length - 1)]!
    if (kind !== 'bubble') drawShape(canvas, kind, x + n * 0.01, y + n * 0.014, s, angle, shadow, 0.16)
    drawShape(canvas, kind, x, y, s, angle, colour, kind === 'bubble' ? 1 : rng.chance(0.25) ? 0.75 : 1)
  }
}

function drawShape(
  canvas: Canvas,
  kind: ShapeKind,
  x: number,
  y: number,
  s: number,
  angle: number,
  c: Rgb,
  alpha: number,
): void {
  switch (kind) {
    case 'circle':
      canvas.circle(x, y, s * 0.5, c, alpha)
      return
    case 'ring':
      canvas.ring(x, y, s * 0.5, s * 0.14, c, alpha)
      return
    case 'half': {
      const points: number[] = []
      for (let k = 0; k <= 24; k++) {
        const a = angle + (k / 24) * Math.PI
        points.push(x + Math.cos(a) * s * 0.55, y + Math.sin(a) * s * 0.55)
      }
      canvas.polygon(points, c, alpha)
      return
    }
    case 'rect':
      canvas.polygon(regular(x, y, s * 0.55, 4, angle), c, alpha)
      return
    case 'triangle':
      canvas.polygon(regular(x, y, s * 0.6, 3, angle), c, alpha)
      return
    case 'hexagon':
      canvas.polygon(regular(x, y, s * 0.5, 6, angle), c, alpha)
      return
    case 'stripes': {
      const cos = Math.cos(angle)
      const sin = Math.sin(angle)
      for (let k = -2; k <= 2; k++) {
        const ox = x - sin * k * s * 0.16
        const oy = y + cos * k * s * 0.16
        const half = s * 0.6
        canvas.stroke(
          [ox - cos * half, oy - sin * half, s * 0.035, ox + cos * half, oy + sin * half, s * 0.035],
          c,
          alpha,
        )
      }
      return
    }
    case 'dots':
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++)
          canvas.circle(x + (i - 1.5) * s * 0.22, y + (j - 1.5) * s * 0.22, s * 0.05, c, alpha)
      }
      return
    case 'heart':
      canvas.circle(x - s * 0.24, y - s * 0.12, s * 0.27, c, alpha)
      canvas.circle(x + s * 0.24, y - s * 0.12, s * 0.27, c, alpha)
      canvas.polygon([x - s * 0.49, y - s * 0.04, x + s * 0.49, y - s * 0.04, x, y + s * 0.52], c, alpha)
      return
    case 'bubble':
      canvas.circle(x, y, s * 0.5, c, 0.22 * alpha, 2)
      canvas.ring(x, y, s * 0.5, Math.max(1, s * 0.035), mix(c, rgb(255, 255, 255), 0.5), 0.7 * alpha)
      canvas.circle(x - s * 0.2, y - s * 0.2, s * 0.08, rgb(255, 255, 255), 0.7 * alpha, s * 0.04)
      return
  }
}

/** Corners of a regular polygon around (x, y). */
function regular(x: number, y: number, r: number, sides: number, angle: number): number[] {
  const points: number[] = []
  for (let k = 0; k < sides; k++) {
    const a = angle + (k / sides) * Math.PI * 2
    points.push(x + Math.cos(a) * r, y + Math.sin(a) * r)
  }
  return points
}
