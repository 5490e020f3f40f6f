import { hsl, type Rgb } from './colour.ts'

/** Things a scene can contain; each is one layer or motif in `render.ts`. */
export type Feature =
  | 'sun'
  | 'moon'
  | 'stars'
  | 'clouds'
  | 'mountains'
  | 'hills'
  | 'forest'
  | 'trees'
  | 'palms'
  | 'flowers'
  | 'ocean'
  | 'lake'
  | 'river'
  | 'beach'
  | 'waves'
  | 'city'
  | 'desert'
  | 'cactus'
  | 'snow'
  | 'snowfall'
  | 'rain'
  | 'fog'
  | 'aurora'
  | 'rainbow'
  | 'birds'
  | 'cat'
  | 'dog'
  | 'house'
  | 'castle'
  | 'boat'
  | 'bubbles'
  | 'hearts'
  | 'planet'
  | 'shapes'

export type TimeOfDay = 'day' | 'sunrise' | 'sunset' | 'night' | 'space'

export type Style =
  | 'watercolor'
  | 'minimal'
  | 'geometric'
  | 'abstract'
  | 'vintage'
  | 'pixel'
  | 'neon'
  | 'dreamy'

export type Tone = 'pastel' | 'dark' | 'bright' | 'muted' | 'mono' | 'warm' | 'cool'

/** What a colour word describes: the word after it ("green valley" is land, "red sunset" sky). */
export type ColourTarget = 'sky' | 'water' | 'land' | 'motif' | null

/** A colour the prompt named. `tints` is false for black and white, which colour motifs only. */
export interface NamedColour {
  colour: Rgb
  tints: boolean
  target: ColourTarget
}

/** What the sketch engine understood of a prompt. */
export interface PromptWords {
  features: Set<Feature>
  time: TimeOfDay | null
  styles: Set<Style>
  tones: Set<Tone>
  colours: NamedColour[]
  /** How many words were recognised; 0 means the composition comes from the prompt's hash. */
  recognised: number
}

type Meaning =
  | { feature: Feature }
  | { time: TimeOfDay; strength: number }
  | { style: Style }
  | { tone: Tone }
  | { colour: NamedColour }

const f = (...features: Feature[]): Meaning[] => features.map((feature) => ({ feature }))
/** A time of day the word names (`sunset`); space outranks it, and it outranks an implied one. */
const t = (time: TimeOfDay, ...features: Feature[]): Meaning[] => [
  { time, strength: time === 'space' ? 3 : 2 },
  ...f(...features),
]
/** A time of day the word implies (`stars` suggest night, but "stars at sunset" is sunset). */
const implied = (time: TimeOfDay, ...features: Feature[]): Meaning[] => [
  { time, strength: 1 },
  ...f(...features),
]
const s = (style: Style, ...more: Meaning[]): Meaning[] => [{ style }, ...more]
const tone = (value: Tone): Meaning[] => [{ tone: value }]
const c = (h: number, sat: number, l: number): Meaning[] => [
  { colour: { colour: hsl(h, sat, l), tints: true, target: null } },
]

/**
 * The vocabulary. Plurals and a trailing -y are folded before lookup (`mountains`, `snowy`), and
 * two-word phrases (`northern lights`, `low poly`) are looked up joined by a hyphen.
 */
const WORDS: Record<string, Meaning[]> = {
  // Time of day and sky
  sunset: t('sunset', 'sun'),
  dusk: t('sunset'),
  evening: t('sunset'),
  twilight: t('sunset'),
  sunrise: t('sunrise', 'sun'),
  dawn: t('sunrise', 'sun'),
  morning: t('sunrise'),
  day: t('day'),
  daytime: t('day'),
  noon: t('day', 'sun'),
  summer: t('day', 'sun'),
  sun: f('sun'),
  sunshine: t('day', 'sun'),
  night: t('night'),
  midnight: t('night', 'stars'),
  moon: implied('night', 'moon'),
  moonlight: implied('night', 'moon'),
  moonlit: t('night', 'moon'),
  star: implied('night', 'stars'),
  starry: implied('night', 'stars'),
  starlight: implied('night', 'stars'),
  space: t('space', 'stars'),
  galaxy: t('space', 'stars'),
  cosmos: t('space', 'stars'),
  cosmic: t('space', 'stars'),
  universe: t('space', 'stars'),
  nebula: t('space', 'stars'),
  planet: t('space', 'planet'),
  saturn: t('space', 'planet'),
  astronaut: t('space', 'planet'),
  cloud: f('clouds'),
  cloudy: f('clouds'),
  sky: f('clouds'),
  aurora: implied('night', 'aurora', 'stars'),
  'northern-lights': implied('night', 'aurora', 'stars'),
  rainbow: f('rainbow', 'clouds'),
  // Land
  mountain: f('mountains'),
  peak: f('mountains'),
  alps: f('mountains', 'snow'),
  volcano: f('mountains'),
  hill: f('hills'),
  valley: f('hills', 'mountains'),
  meadow: f('hills', 'flowers'),
  field: f('hills'),
  countryside: f('hills', 'trees', 'house'),
  landscape: f('hills', 'mountains'),
  forest: f('forest'),
  wood: f('forest'),
  woods: f('forest'),
  pine: f('forest'),
  jungle: f('trees', 'palms'),
  tree: f('trees'),
  oak: f('trees'),
  park: f('trees', 'hills'),
  palm: f('palms', 'beach'),
  'palm-tree': f('palms', 'beach'),
  tropical: f('palms', 'beach', 'ocean'),
  island: f('palms', 'ocean', 'beach'),
  flower: f('flowers'),
  garden: f('flowers', 'trees'),
  blossom: f('flowers', 'trees'),
  rose: f('flowers'),
  tulip: f('flowers'),
  spring: f('flowers', 'hills'),
  desert: f('desert'),
  dune: f('desert'),
  sand: f('desert'),
  sahara: f('desert'),
  cactus: f('desert', 'cactus'),
  snow: f('snow'),
  snowy: f('snow'),
  winter: f('snow'),
  ice: f('snow'),
  frozen: f('snow'),
  arctic: f('snow'),
  snowfall: f('snow', 'snowfall'),
  snowing: f('snow', 'snowfall'),
  snowflake: f('snow', 'snowfall'),
  blizzard: f('snow', 'snowfall'),
  // Water
  ocean: f('ocean'),
  sea: f('ocean'),
  seascape: f('ocean'),
  coast: f('ocean', 'beach'),
  beach: f('ocean', 'beach'),
  shore: f('ocean', 'beach'),
  wave: f('ocean', 'waves'),
  surf: f('ocean', 'waves'),
  lake: f('lake'),
  pond: f('lake'),
  reflection: f('lake'),
  river: f('river'),
  stream: f('river'),
  creek: f('river'),
  water: f('lake'),
  // Places and things
  city: f('city'),
  skyline: f('city'),
  town: f('city'),
  building: f('city'),
  skyscraper: f('city'),
  street: f('city'),
  urban: f('city'),
  downtown: f('city'),
  metropolis: f('city'),
  cyberpunk: [...f('city'), ...implied('night'), { style: 'neon' }],
  house: f('house'),
  cabin: f('house', 'forest'),
  cottage: f('house', 'trees'),
  home: f('house'),
  village: f('house', 'hills'),
  castle: f('castle', 'hills'),
  fortress: f('castle', 'hills'),
  palace: f('castle', 'hills'),
  kingdom: f('castle', 'hills'),
  boat: f('boat'),
  ship: f('boat'),
  sail: f('boat'),
  sailboat: f('boat'),
  bird: f('birds'),
  seagull: f('birds'),
  cat: f('cat'),
  kitten: f('cat'),
  kitty: f('cat'),
  dog: f('dog'),
  puppy: f('dog'),
  rain: f('rain', 'clouds'),
  rainy: f('rain', 'clouds'),
  storm: f('rain', 'clouds'),
  fog: f('fog'),
  foggy: f('fog'),
  mist: f('fog'),
  misty: f('fog'),
  haze: f('fog'),
  bubble: f('bubbles'),
  circle: f('shapes'),
  heart: f('hearts'),
  love: f('hearts'),
  shape: f('shapes'),
  pattern: f('shapes'),
  // Styles
  watercolor: s('watercolor'),
  watercolour: s('watercolor'),
  painting: s('watercolor'),
  painted: s('watercolor'),
  minimal: s('minimal'),
  minimalist: s('minimal'),
  simple: s('minimal'),
  flat: s('minimal'),
  geometric: s('geometric'),
  polygon: s('geometric'),
  'low-poly': s('geometric'),
  lowpoly: s('geometric'),
  cubist: s('geometric'),
  abstract: s('abstract'),
  vintage: s('vintage'),
  retro: s('vintage'),
  sepia: s('vintage'),
  antique: s('vintage'),
  old: s('vintage'),
  nostalgic: s('vintage'),
  pixel: s('pixel'),
  pixelated: s('pixel'),
  '8-bit': s('pixel'),
  neon: s('neon'),
  synthwave: s('neon', ...implied('night')),
  vaporwave: s('neon', { tone: 'pastel' }),
  retrowave: s('neon', ...implied('night')),
  glowing: s('neon'),
  dreamy: s('dreamy'),
  dream: s('dreamy'),
  soft: s('dreamy'),
  magical: s('dreamy', { feature: 'stars' }),
  fantasy: s('dreamy'),
  // Tones
  pastel: tone('pastel'),
  dark: tone('dark'),
  moody: tone('dark'),
  gloomy: tone('dark'),
  noir: [...tone('mono'), ...tone('dark')],
  bright: tone('bright'),
  vivid: tone('bright'),
  vibrant: tone('bright'),
  colorful: tone('bright'),
  colourful: tone('bright'),
  muted: tone('muted'),
  dusty: tone('muted'),
  calm: tone('muted'),
  monochrome: tone('mono'),
  grayscale: tone('mono'),
  greyscale: tone('mono'),
  'black-and': tone('mono'),
  warm: tone('warm'),
  cozy: tone('warm'),
  cool: tone('cool'),
  cold: tone('cool'),
  // Colours
  red: c(2, 0.75, 0.5),
  crimson: c(348, 0.8, 0.42),
  scarlet: c(8, 0.9, 0.5),
  orange: c(28, 0.9, 0.55),
  amber: c(40, 0.95, 0.5),
  yellow: c(52, 0.9, 0.58),
  gold: c(44, 0.85, 0.55),
  golden: c(42, 0.85, 0.55),
  green: c(120, 0.5, 0.42),
  emerald: c(145, 0.65, 0.4),
  lime: c(90, 0.7, 0.5),
  mint: c(155, 0.5, 0.72),
  teal: c(180, 0.6, 0.38),
  turquoise: c(174, 0.65, 0.5),
  cyan: c(188, 0.8, 0.5),
  aqua: c(184, 0.7, 0.55),
  blue: c(218, 0.75, 0.5),
  azure: c(205, 0.8, 0.55),
  navy: c(225, 0.65, 0.25),
  indigo: c(250, 0.5, 0.35),
  purple: c(275, 0.55, 0.45),
  violet: c(270, 0.6, 0.55),
  lavender: c(265, 0.5, 0.78),
  magenta: c(310, 0.8, 0.5),
  pink: c(335, 0.75, 0.72),
  brown: c(25, 0.45, 0.32),
  copper: c(22, 0.65, 0.45),
  silver: c(210, 0.08, 0.75),
  gray: c(210, 0.05, 0.5),
  grey: c(210, 0.05, 0.5),
  black: [{ colour: { colour: [20, 20, 24], tints: false, target: null } }],
  white: [{ colour: { colour: [245, 245, 240], tints: false, target: null } }],
}

/** Words that are spelled differently but mean what the key means, checked before de-pluralising. */
const STEMS: Record<string, string> = {
  stars: 'star',
  woods: 'woods',
  leaves: 'tree',
  trees: 'tree',
  cacti: 'cactus',
  skies: 'sky',
  puppies: 'puppy',
  kitties: 'kitty',
  butterflies: 'flower',
  colors: 'shape',
  colours: 'shape',
}

const TARGETS: Record<Feature, ColourTarget> = {
  sun: 'sky',
  moon: 'sky',
  stars: 'sky',
  clouds: 'sky',
  aurora: 'sky',
  rainbow: 'sky',
  planet: 'sky',
  rain: 'sky',
  fog: 'sky',
  snowfall: 'sky',
  ocean: 'water',
  lake: 'water',
  river: 'water',
  waves: 'water',
  mountains: 'land',
  hills: 'land',
  forest: 'land',
  trees: 'land',
  palms: 'land',
  beach: 'land',
  desert: 'land',
  cactus: 'land',
  snow: 'land',
  city: 'land',
  flowers: 'motif',
  birds: 'motif',
  cat: 'motif',
  dog: 'motif',
  house: 'motif',
  castle: 'motif',
  boat: 'motif',
  bubbles: 'motif',
  hearts: 'motif',
  shapes: 'motif',
}

/** Reads the words of a prompt into scene features, time, styles and colours. */
export function readPrompt(prompt: string): PromptWords {
  let timeStrength = 0
  const words: PromptWords = {
    features: new Set(),
    time: null,
    styles: new Set(),
    tones: new Set(),
    colours: [],
    recognised: 0,
  }
  const tokens = prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((token) => token.length > 0)
  const pending: NamedColour[] = []
  for (let i = 0; i < tokens.length; i++) {
    const pair = i + 1 < tokens.length ? `${tokens[i]}-${tokens[i + 1]}` : ''
    let meanings = pair ? lookup(pair) : undefined
    if (meanings) i++
    else meanings = lookup(tokens[i]!)
    if (!meanings) continue
    words.recognised++
    // Colour words waiting for the thing they describe take the first one that comes.
    const described = meanings.find((m) => 'feature' in m || 'time' in m)
    if (described) {
      const target = 'time' in described ? 'sky' : 'feature' in described ? TARGETS[described.feature] : null
      for (const colour of pending) colour.target = target
      pending.length = 0
    }
    for (const meaning of meanings) {
      if ('feature' in meaning) words.features.add(meaning.feature)
      else if ('time' in meaning) {
        if (meaning.strength > timeStrength) {
          words.time = meaning.time
          timeStrength = meaning.strength
        }
      } else if ('style' in meaning) words.styles.add(meaning.style)
      else if ('tone' in meaning) words.tones.add(meaning.tone)
      else {
        const colour = { ...meaning.colour }
        words.colours.push(colour)
        pending.push(colour)
      }
    }
  }
  return words
}

function lookup(token: string): Meaning[] | undefined {
  const direct = WORDS[token] ?? WORDS[STEMS[token] ?? '']
  if (direct) return direct
  if (token.endsWith('ies')) return WORDS[`${token.slice(0, -3)}y`]
  if (token.endsWith('es') && WORDS[token.slice(0, -2)]) return WORDS[token.slice(0, -2)]
  if (token.endsWith('s')) return WORDS[token.slice(0, -1)]
  if (token.endsWith('y')) return WORDS[token.slice(0, -1)]
  return undefined
}
