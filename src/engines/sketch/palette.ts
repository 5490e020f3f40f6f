import type { GradientStop } from './canvas.ts'
import { hsl, mix, multiply, type Rgb, rgb, scale, tint } from './colour.ts'
import type { PromptWords, TimeOfDay } from './prompt-words.ts'

/**
 * Every colour a scene uses. Land colours are a material under the time of day's light, so "snowy
 * mountains at night" and "desert at sunset" come out of the same rules; colour words then pull
 * hues toward what the prompt named.
 */
export interface Palette {
  sky: GradientStop[]
  /** The sky just above the horizon. */
  haze: Rgb
  /**
   * What distant land fades into. The horizon sky itself by day; darker against a low sun, since
   * then the land between is lit from behind.
   */
  mist: Rgb
  sun: Rgb
  sunGlow: Rgb
  moon: Rgb
  cloudTop: Rgb
  cloudBottom: Rgb
  star: Rgb
  /** Lit materials, before distance haze. */
  rock: Rgb
  grass: Rgb
  forest: Rgb
  sand: Rgb
  snow: Rgb
  building: Rgb
  water: Rgb
  /** Near, backlit shapes (animals, boats) and tree trunks. */
  silhouette: Rgb
  /** Lit windows, brightest first. */
  windows: Rgb[]
  /** Flowers, abstract shapes, bubbles; the prompt's colour words come first. */
  accents: Rgb[]
  /** Whether the scene is lit by the sky (day) rather than by windows and the moon. */
  daylight: boolean
}

interface Light {
  sky: GradientStop[]
  sun: Rgb
  sunGlow: Rgb
  cloudTop: Rgb
  cloudBottom: Rgb
  /** The colour and strength of light falling on materials. */
  light: Rgb
  level: number
  /** How much of a material's colour comes from the sky rather than the sun (purple dusk land). */
  ambient: number
  water: Rgb
  accents: Rgb[]
}

const stops = (...pairs: [number, Rgb][]): GradientStop[] => pairs.map(([at, colour]) => ({ at, colour }))

const LIGHTS: Record<TimeOfDay | 'neon', Light> = {
  day: {
    sky: stops([0, rgb(46, 104, 190)], [0.45, rgb(104, 160, 224)], [1, rgb(214, 230, 242)]),
    sun: rgb(255, 252, 236),
    sunGlow: rgb(255, 244, 214),
    cloudTop: rgb(255, 255, 255),
    cloudBottom: rgb(192, 204, 226),
    light: rgb(255, 250, 240),
    level: 1,
    ambient: 0.08,
    water: rgb(34, 96, 150),
    accents: [rgb(235, 70, 90), rgb(255, 200, 60), rgb(250, 250, 245), rgb(170, 90, 210)],
  },
  sunrise: {
    sky: stops([0, rgb(72, 98, 172)], [0.5, rgb(228, 162, 176)], [1, rgb(255, 216, 162)]),
    sun: rgb(255, 248, 214),
    sunGlow: rgb(255, 196, 142),
    cloudTop: rgb(255, 214, 200),
    cloudBottom: rgb(170, 130, 170),
    light: rgb(255, 214, 196),
    level: 0.8,
    ambient: 0.25,
    water: rgb(80, 90, 150),
    accents: [rgb(255, 120, 140), rgb(255, 210, 120), rgb(255, 245, 235), rgb(190, 120, 220)],
  },
  sunset: {
    sky: stops(
      [0, rgb(36, 34, 92)],
      [0.42, rgb(190, 80, 112)],
      [0.78, rgb(248, 146, 86)],
      [1, rgb(255, 200, 112)],
    ),
    sun: rgb(255, 238, 176),
    sunGlow: rgb(255, 142, 72),
    cloudTop: rgb(150, 70, 110),
    cloudBottom: rgb(255, 160, 110),
    light: rgb(255, 150, 170),
    level: 0.45,
    ambient: 0.5,
    water: rgb(70, 44, 96),
    accents: [rgb(255, 90, 90), rgb(255, 190, 80), rgb(255, 230, 200), rgb(200, 90, 180)],
  },
  night: {
    sky: stops([0, rgb(5, 9, 26)], [0.5, rgb(16, 30, 70)], [1, rgb(46, 68, 116)]),
    sun: rgb(240, 238, 222),
    sunGlow: rgb(130, 156, 214),
    cloudTop: rgb(70, 82, 118),
    cloudBottom: rgb(30, 38, 64),
    light: rgb(120, 142, 205),
    level: 0.3,
    ambient: 0.25,
    water: rgb(10, 24, 52),
    accents: [rgb(120, 170, 255), rgb(255, 220, 140), rgb(230, 230, 255), rgb(180, 120, 255)],
  },
  space: {
    sky: stops([0, rgb(3, 3, 12)], [0.5, rgb(9, 8, 26)], [1, rgb(20, 14, 44)]),
    sun: rgb(255, 240, 210),
    sunGlow: rgb(255, 200, 150),
    cloudTop: rgb(80, 70, 120),
    cloudBottom: rgb(30, 24, 60),
    light: rgb(200, 200, 230),
    level: 0.6,
    ambient: 0.1,
    water: rgb(20, 30, 70),
    accents: [rgb(200, 70, 170), rgb(60, 120, 230), rgb(80, 210, 210), rgb(240, 170, 90)],
  },
  neon: {
    sky: stops(
      [0, rgb(10, 3, 28)],
      [0.5, rgb(58, 12, 88)],
      [0.86, rgb(196, 40, 136)],
      [1, rgb(255, 112, 120)],
    ),
    sun: rgb(255, 214, 92),
    sunGlow: rgb(255, 60, 170),
    cloudTop: rgb(110, 30, 120),
    cloudBottom: rgb(255, 90, 160),
    light: rgb(150, 80, 190),
    level: 0.32,
    ambient: 0.4,
    water: rgb(30, 8, 50),
    accents: [rgb(255, 50, 190), rgb(20, 235, 255), rgb(255, 210, 70), rgb(150, 80, 255)],
  },
}

/** Materials in white daylight. */
const MATERIAL = {
  rock: rgb(122, 128, 148),
  grass: rgb(98, 150, 72),
  forest: rgb(34, 86, 56),
  sand: rgb(230, 186, 126),
  snow: rgb(240, 245, 252),
  building: rgb(86, 96, 118),
  silhouette: rgb(34, 40, 44),
}

/**
 * The palette for `time` and the prompt's colour words. `promptHue` is used when the prompt names
 * no colour and nothing the engine knows (the palette then still follows the prompt, via its hash).
 */
export function choosePalette(time: TimeOfDay, words: PromptWords, promptHue: number | null): Palette {
  const neon = words.styles.has('neon') && time !== 'day'
  const light = LIGHTS[neon ? 'neon' : time]
  const sky = mix(light.sky[0]!.colour, light.sky[1]!.colour, 0.5)
  const lit = (material: Rgb) =>
    mix(scale(multiply(material, light.light), light.level), scale(sky, 0.55), light.ambient)
  const haze = light.sky[light.sky.length - 1]!.colour
  const night = time === 'night' || time === 'space' || neon
  const palette: Palette = {
    sky: light.sky,
    haze,
    mist: time === 'sunset' || time === 'sunrise' ? mix(scale(haze, 0.7), light.sky[1]!.colour, 0.45) : haze,
    sun: light.sun,
    sunGlow: light.sunGlow,
    moon: rgb(244, 240, 224),
    cloudTop: light.cloudTop,
    cloudBottom: light.cloudBottom,
    star: rgb(255, 250, 238),
    rock: lit(MATERIAL.rock),
    grass: lit(MATERIAL.grass),
    forest: lit(MATERIAL.forest),
    sand: lit(MATERIAL.sand),
    // Snow reflects what light there is: moonlit snow stays pale where grass goes black.
    snow: mix(
      scale(multiply(MATERIAL.snow, light.light), Math.max(light.level, 0.62)),
      haze,
      night ? 0.15 : 0.05,
    ),
    building: lit(MATERIAL.building),
    water: light.water,
    silhouette: scale(mix(MATERIAL.silhouette, light.sky[0]!.colour, 0.35), night ? 0.45 : 0.8),
    windows: neon
      ? [rgb(255, 70, 200), rgb(40, 230, 255), rgb(255, 214, 90)]
      : [rgb(255, 214, 130), rgb(255, 236, 180), rgb(255, 190, 110)],
    accents: [...light.accents],
    daylight: !night,
  }

  // Each colour word tints what it describes most, and the rest of the picture a little, so the
  // whole image leans its way: "green valley" is green land under a barely green sky.
  const named = words.colours.filter((c) => c.tints)
  if (named.length === 0 && promptHue !== null) {
    tintSky(palette, hsl(promptHue, 0.7, 0.55), 0.45)
    tintLand(palette, hsl(promptHue, 0.7, 0.55), 0.3)
  }
  const skyDone = named.some((c) => c.target === 'sky' || c.target === 'water')
  const landDone = named.some((c) => c.target === 'land')
  for (const [k, { colour, target }] of named.entries()) {
    if (target === 'sky') tintSky(palette, colour, 0.6)
    else if (target === 'water') {
      palette.water = tint(palette.water, colour, 0.7)
      tintSky(palette, colour, 0.35)
    } else if (target === 'land') {
      tintLand(palette, colour, 0.5)
      if (!skyDone) tintSky(palette, colour, 0.15)
    } else if (target === 'motif') {
      if (!skyDone && k === 0) tintSky(palette, colour, 0.2)
    } else {
      // Not tied to anything ("in red", "pastel blue colours"): the sky first, then the land.
      if (!skyDone) tintSky(palette, colour, k === 0 ? 0.6 : 0.3)
      if (!landDone) tintLand(palette, colour, k === 0 ? 0.3 : 0.45)
    }
  }
  if (words.tones.has('warm')) tintAll(palette, rgb(255, 150, 60), 0.22)
  if (words.tones.has('cool')) tintAll(palette, rgb(60, 130, 255), 0.22)
  // Colour words name what the flowers, windows and shapes are before anything else.
  const motifs = words.colours.map((c) => c.colour)
  palette.accents = [...motifs, ...palette.accents.filter((_, i) => i >= motifs.length)]
  return palette
}

function tintSky(p: Palette, target: Rgb, amount: number): void {
  p.sky = p.sky.map((s) => ({ at: s.at, colour: tint(s.colour, target, amount) }))
  p.haze = tint(p.haze, target, amount)
  p.mist = tint(p.mist, target, amount)
  p.sunGlow = tint(p.sunGlow, target, amount * 0.8)
  p.cloudTop = tint(p.cloudTop, target, amount * 0.4)
  p.cloudBottom = tint(p.cloudBottom, target, amount * 0.6)
  p.water = tint(p.water, target, amount * 0.8)
}

function tintLand(p: Palette, target: Rgb, amount: number): void {
  p.rock = tint(p.rock, target, amount)
  p.grass = tint(p.grass, target, amount)
  p.forest = tint(p.forest, target, amount)
  p.sand = tint(p.sand, target, amount * 0.6)
  p.building = tint(p.building, target, amount)
  p.silhouette = tint(p.silhouette, target, amount * 0.5)
}

function tintAll(p: Palette, target: Rgb, amount: number): void {
  tintSky(p, target, amount)
  tintLand(p, target, amount)
  p.sun = tint(p.sun, target, amount)
}
