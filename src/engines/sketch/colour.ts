/** Colours as floating RGB triples on the 0–255 scale; blending happens in this space. */
export type Rgb = readonly [number, number, number]

export function rgb(r: number, g: number, b: number): Rgb {
  return [r, g, b]
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

export function scale(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k]
}

/** Per-channel product on the 0–255 scale (a light colour falling on a material). */
export function multiply(c: Rgb, light: Rgb): Rgb {
  return [(c[0] * light[0]) / 255, (c[1] * light[1]) / 255, (c[2] * light[2]) / 255]
}

/** Hue in degrees, saturation and lightness in [0, 1]. */
export function hsl(h: number, s: number, l: number): Rgb {
  const hue = (((h % 360) + 360) % 360) / 60
  const chroma = (1 - Math.abs(2 * l - 1)) * s
  const x = chroma * (1 - Math.abs((hue % 2) - 1))
  const m = l - chroma / 2
  let r = 0
  let g = 0
  let b = 0
  if (hue < 1) [r, g, b] = [chroma, x, 0]
  else if (hue < 2) [r, g, b] = [x, chroma, 0]
  else if (hue < 3) [r, g, b] = [0, chroma, x]
  else if (hue < 4) [r, g, b] = [0, x, chroma]
  else if (hue < 5) [r, g, b] = [x, 0, chroma]
  else [r, g, b] = [chroma, 0, x]
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255]
}

export function toHsl(c: Rgb): [number, number, number] {
  const r = clamp01(c[0] / 255)
  const g = clamp01(c[1] / 255)
  const b = clamp01(c[2] / 255)
  const max = Math.max(r, g, b)
  const min = Math.min(r, g, b)
  const l = (max + min) / 2
  if (max === min) return [0, 0, l]
  const d = max - min
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min)
  let h: number
  if (max === r) h = (g - b) / d + (g < b ? 6 : 0)
  else if (max === g) h = (b - r) / d + 2
  else h = (r - g) / d + 4
  return [h * 60, s, l]
}

/**
 * Pulls a colour's hue (and some saturation) toward `target`, keeping its lightness: the layers of
 * a scene stay light and dark where they were, only their colour follows the prompt.
 */
export function tint(c: Rgb, target: Rgb, amount: number): Rgb {
  if (amount <= 0) return c
  const [h, s, l] = toHsl(c)
  const [th, ts] = toHsl(target)
  if (ts < 0.08) return hsl(h, s * (1 - amount), l)
  const delta = ((th - h + 540) % 360) - 180
  const hue = s < 0.05 ? th : h + delta * amount
  const sat = s + (Math.max(s, ts * 0.9) - s) * amount
  return hsl(hue, Math.min(1, sat), l)
}

/** Rotates hue by `degrees` and scales saturation and lightness (clamped). */
export function adjust(c: Rgb, degrees: number, saturation = 1, lightness = 1): Rgb {
  const [h, s, l] = toHsl(c)
  return hsl(h + degrees, clamp01(s * saturation), clamp01(l * lightness))
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1)
}
