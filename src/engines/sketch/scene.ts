import { choosePalette, type Palette } from './palette.ts'
import type { Feature, PromptWords, Style, TimeOfDay, Tone } from './prompt-words.ts'
import { hashString, Random } from './random.ts'

/** Whole-image layouts: a landscape under a sky, deep space, or abstract shapes. */
export type Composition = 'landscape' | 'space' | 'abstract'

export type Water = 'none' | 'ocean' | 'lake' | 'river'

/** A point as fractions of the image size. */
export interface Focus {
  x: number
  y: number
}

/** The plan `render.ts` draws: what is in the picture and where the big divisions fall. */
export interface Scene {
  composition: Composition
  time: TimeOfDay
  features: Set<Feature>
  styles: Set<Style>
  tones: Set<Tone>
  palette: Palette
  water: Water
  /** Where land or water meets the sky, as a fraction of the height. */
  horizon: number
  /** A hue from the prompt's hash, for colours the prompt does not name. */
  hue: number
  /** Whether the prompt named a colour (its first colour then leads `palette.accents`). */
  namedColour: boolean
  /** Where the main subject goes (fractions of the size), when a caller asked for a place. */
  focus: Focus | null
  /** Sun or moon centre, as fractions of the size. */
  lightX: number
  lightY: number
}

const LAND: readonly Feature[] = [
  'mountains',
  'hills',
  'forest',
  'trees',
  'palms',
  'flowers',
  'ocean',
  'lake',
  'river',
  'beach',
  'waves',
  'city',
  'desert',
  'cactus',
  'snow',
  'house',
  'castle',
  'boat',
]

/** Landscapes for prompts that name no place ("a red sunset", "a cat", or unknown words). */
const DEFAULT_LANDS: readonly (readonly Feature[])[] = [
  ['hills', 'trees'],
  ['mountains', 'lake'],
  ['ocean'],
  ['mountains', 'forest'],
  ['hills', 'forest', 'river'],
  ['desert'],
  ['ocean', 'beach'],
]

/**
 * Decides the scene for a prompt. Choices that make the picture *about* the prompt (time of day,
 * default landscape, palette) come from the prompt alone; placement comes from `rng` (the seed),
 * so the n images of a request are variations on one theme.
 */
export function planScene(
  prompt: string,
  words: PromptWords,
  rng: Random,
  focus: Focus | null = null,
): Scene {
  const promptRng = new Random(hashString(`scene:${prompt.toLowerCase().trim()}`))
  const features = new Set(words.features)
  const styles = new Set(words.styles)
  const tones = new Set(words.tones)
  const hasLand = LAND.some((f) => features.has(f))

  let time = words.time
  if (time === null) {
    const roll = promptRng.next()
    if (styles.has('neon')) time = 'night'
    else time = roll < 0.45 ? 'day' : roll < 0.8 ? 'sunset' : 'sunrise'
  }

  let composition: Composition = 'landscape'
  if (time === 'space') composition = 'space'
  else if (!hasLand) {
    const motif = features.has('shapes') || features.has('bubbles') || features.has('hearts')
    const unknown = words.recognised === 0 && promptRng.chance(0.25)
    if (styles.has('abstract') || motif || unknown) composition = 'abstract'
    // The neon style has its own land: the glowing grid floor.
    else if (!styles.has('neon')) for (const f of promptRng.pick(DEFAULT_LANDS)) features.add(f)
  } else if (styles.has('abstract')) {
    // An abstract take on a named place keeps the place and breaks it into facets.
    styles.add('geometric')
  }

  if (features.has('rain')) tones.add('muted')
  const hue = promptRng.next() * 360
  const hashPalette = words.recognised === 0 || (words.colours.length === 0 && !hasLand && !words.time)
  const palette = choosePalette(time, { ...words, styles }, hashPalette ? hue : null)

  let water: Water = 'none'
  if (features.has('ocean')) water = 'ocean'
  else if (features.has('lake')) water = 'lake'
  else if (features.has('river')) water = 'river'
  else if (features.has('boat')) water = 'lake'
  else if (features.has('city') && !features.has('hills') && rng.chance(0.55)) water = 'lake'

  let horizon: number
  if (water === 'ocean') horizon = rng.range(0.56, 0.64)
  else if (water === 'lake') horizon = rng.range(0.54, 0.6)
  else if (features.has('mountains')) horizon = rng.range(0.6, 0.68)
  else horizon = rng.range(0.56, 0.66)

  const night = time === 'night'
  const minimal = styles.has('minimal')
  if (night && !features.has('sun')) {
    features.add('stars')
    if (features.has('moon') || rng.chance(features.has('aurora') ? 0.3 : 0.65)) features.add('moon')
  }
  if ((time === 'sunset' || time === 'sunrise') && !features.has('moon')) features.add('sun')
  if (time === 'day' && !features.has('rain') && rng.chance(0.55)) features.add('sun')
  if (!minimal && !night && rng.chance(time === 'day' ? 0.7 : 0.5)) features.add('clouds')
  if (
    !minimal &&
    (time === 'day' || time === 'sunset' || time === 'sunrise') &&
    (water === 'ocean' || water === 'lake') &&
    rng.chance(0.35)
  ) {
    features.add('birds')
  }
  if (features.has('rain')) {
    for (const clear of ['sun', 'moon', 'stars', 'aurora'] as const) features.delete(clear)
    features.add('clouds')
  }

  let lightX = rng.range(0.22, 0.78)
  let lightY =
    time === 'sunset' || time === 'sunrise'
      ? horizon - rng.range(0.05, 0.17)
      : styles.has('neon')
        ? horizon - rng.range(0.12, 0.2)
        : rng.range(0.13, 0.28)

  // An edit asks for its subject where the hole is: the sun or moon goes there if it is sky.
  if (focus) {
    lightX = focus.x
    if (focus.y < horizon - 0.06) lightY = Math.max(0.08, focus.y)
  }
  const namedColour = words.colours.length > 0
  return {
    composition,
    time,
    features,
    styles,
    tones,
    palette,
    water,
    horizon,
    hue,
    namedColour,
    focus,
    lightX,
    lightY,
  }
}
