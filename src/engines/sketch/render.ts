import type { RgbaImage } from '../../images/png.ts'
import { drawAbstract } from './abstract.ts'
import { Canvas } from './canvas.ts'
import { drawMoon, drawPlanet, drawStars, drawSun } from './celestial.ts'
import { drawSkyline } from './city.ts'
import { drawClouds } from './clouds.ts'
import { mix, type Rgb, rgb } from './colour.ts'
import { bloom, lowPoly, pixelate, watercolour } from './effects.ts'
import { drawBirds, drawBoat, drawCastle, drawCat, drawDog, drawHouse } from './figures.ts'
import { type FinishOptions, finishImage, PLAIN_FINISH } from './finish.ts'
import { drawGridFloor } from './grid-floor.ts'
import { drawLabel } from './label.ts'
import { fractalProfile } from './noise.ts'
import { drawCacti, drawConifer, drawConiferRow, drawFlowers, drawPalms, drawTrees } from './plants.ts'
import { readPrompt } from './prompt-words.ts'
import { foldSeed, hashString, mix32, Random } from './random.ts'
import { type Focus, planScene, type Scene } from './scene.ts'
import { drawSky } from './sky.ts'
import { drawHills, drawMountains, drawPlain, type Ground, type LandLayer } from './terrain.ts'
import { drawRiver, drawWater } from './water.ts'
import { drawFog, drawRain, drawSnowfall } from './weather.ts'

export interface SketchInput {
  prompt: string
  seed: number
  /** Pixels per side. */
  size: number
  /** Where to put the main subject, as fractions of the size (an edit's hole). */
  focus?: Focus | null
}

/**
 * Draws `prompt` at `seed` as a labelled square image: the same input always gives the same
 * pixels. Pure: no I/O, no clock, no global randomness.
 *
 * @example renderSketch({ prompt: 'a red sunset over the ocean', seed: 7, size: 512 })
 */
export function renderSketch(input: SketchInput): RgbaImage {
  const image = renderScene(input)
  drawLabel(image)
  return image
}

/** The picture without its label: what `edit` and `variation` blend with an input image. */
export function renderScene(input: SketchInput): RgbaImage {
  const words = readPrompt(input.prompt)
  const seed = mix32(hashString(input.prompt) ^ foldSeed(input.seed))
  const rng = new Random(seed)
  const scene = planScene(input.prompt, words, rng.fork('plan'), input.focus ?? null)
  const canvas = new Canvas(input.size)
  if (scene.composition === 'abstract') drawAbstract(canvas, scene, rng.fork('abstract'))
  else if (scene.composition === 'space') drawSpace(canvas, scene, rng)
  else drawLandscape(canvas, scene, rng)
  applyStyles(canvas, scene, rng.fork('style'))
  return finishImage(canvas, finishFor(scene, seed))
}

function drawSpace(canvas: Canvas, scene: Scene, rng: Random): void {
  drawSky(canvas, scene, rng.fork('sky'))
  drawStars(canvas, scene, rng.fork('stars'))
  drawPlanet(canvas, scene, rng.fork('planet'))
}

/** Back to front: sky, lights, clouds, far land, water, near land, subjects, weather. */
function drawLandscape(canvas: Canvas, scene: Scene, rng: Random): void {
  const { features } = scene
  const skyRows = drawSky(canvas, scene, rng.fork('sky'))
  if (features.has('stars')) drawStars(canvas, scene, rng.fork('stars'))
  if (features.has('sun')) drawSun(canvas, scene)
  else if (features.has('moon')) drawMoon(canvas, scene, rng.fork('moon'))
  if (features.has('clouds')) drawClouds(canvas, scene, rng.fork('clouds'))
  const land = drawLandAndWater(canvas, scene, rng, skyRows)
  drawSubjects(canvas, scene, rng.fork('subjects'), land)
  if (features.has('birds')) drawBirds(canvas, scene, rng.fork('birds'))
  if (features.has('fog')) drawFog(canvas, scene, rng.fork('fog'))
  if (features.has('rain')) drawRain(canvas, rng.fork('rain'))
  if (features.has('snowfall')) drawSnowfall(canvas, rng.fork('snowfall'))
}

/** What the land drawing leaves for the subjects: where they can stand, where water ends. */
interface Land {
  /** The top of the nearest land per column, or null when there is none (open sea). */
  front: Float32Array | null
  ground: Ground
  /** The lowest row of water (the near shore of a lake), for placing a boat. */
  waterBottom: number
}

/** Things that need ground to stand on: a lake gets a near shore when one of them is asked for. */
const STANDING = ['cat', 'dog', 'house', 'castle', 'trees', 'flowers', 'forest', 'palms'] as const

function drawLandAndWater(canvas: Canvas, scene: Scene, rng: Random, skyRows: Float32Array): Land {
  const n = canvas.size
  const { features, palette, water } = scene
  const horizon = scene.horizon * n
  const ground: Ground = features.has('snow') ? 'snow' : features.has('desert') ? 'sand' : 'grass'
  // Pines belong in snow: a snowfield without them reads as an empty white page.
  const forest =
    features.has('forest') || (features.has('snow') && water === 'none' && rng.fork('snow pines').chance(0.6))
  if (forest) features.add('forest')
  const treeColour = (distance: number) => mix(palette.forest, palette.mist, 0.55 * distance)
  const withTrees = (layer: LandLayer) => {
    if (!forest) return
    const height = n * (0.05 + 0.1 * (1 - layer.distance))
    drawConiferRow(
      canvas,
      rng.fork(`pines${layer.distance}`),
      layer.ridge,
      height,
      treeColour(layer.distance),
    )
  }
  if (features.has('mountains')) {
    drawMountains(canvas, scene, rng.fork('mountains'), water === 'none' ? n : horizon + 2)
  }
  if (features.has('city')) drawSkyline(canvas, scene, rng.fork('city'), horizon + 1)

  if (water === 'ocean') {
    drawWater(canvas, scene, rng.fork('water'), n)
    if (!features.has('beach')) return { front: null, ground, waterBottom: n }
    const top = n * rng.range(0.83, 0.88)
    const sand = drawHills(canvas, scene, rng.fork('beach'), top, 1, 'sand', undefined, true)[0]!.ridge
    drawFoam(canvas, sand)
    return { front: sand, ground: 'sand', waterBottom: top }
  }
  if (water === 'lake') {
    const open = !features.has('mountains') && !features.has('city')
    if (open) drawHills(canvas, scene, rng.fork('far shore'), horizon - n * 0.04, 1, ground)
    if (forest || open) {
      const shore = new Float32Array(n)
      const bumps = fractalProfile(rng.fork('shore'), n, 3, 2)
      for (let x = 0; x < n; x++) shore[x] = horizon + bumps[x]! * n * 0.004
      drawConiferRow(canvas, rng.fork('shore pines'), shore, n * 0.06, treeColour(0.5), 1.3)
    }
    // A waterfront city is seen across the water, unless something needs ground to stand on.
    const bottom = n * rng.range(0.8, 0.87)
    if (features.has('city') && !STANDING.some((f) => features.has(f))) {
      drawWater(canvas, scene, rng.fork('water'), n)
      return { front: null, ground, waterBottom: n }
    }
    drawWater(canvas, scene, rng.fork('water'), bottom)
    const front = drawHills(canvas, scene, rng.fork('near shore'), bottom, 1, ground)[0]!.ridge
    if (forest) drawForestEdges(canvas, rng.fork('framing pines'), front, treeColour(0))
    return { front, ground, waterBottom: bottom }
  }
  if (water === 'river') {
    if (!features.has('mountains')) {
      drawHills(canvas, scene, rng.fork('far hills'), horizon - n * 0.03, 1, ground, withTrees)
    }
    const floor = horizon + n * 0.015
    const material = ground === 'grass' ? palette.grass : ground === 'sand' ? palette.sand : palette.snow
    drawPlain(canvas, scene, floor, material)
    drawRiver(canvas, scene, rng.fork('river'), floor, skyRows)
    const front = new Float32Array(n).fill(n * 0.93)
    if (forest) drawForestEdges(canvas, rng.fork('framing pines'), front, treeColour(0))
    return { front, ground, waterBottom: n }
  }
  const neonGround = scene.styles.has('neon')
  if (features.has('city') || neonGround) {
    const pavement = neonGround ? rgb(24, 8, 40) : mix(palette.building, palette.silhouette, 0.5)
    drawPlain(canvas, scene, horizon + 1, pavement)
    if (neonGround) drawGridFloor(canvas, scene, horizon + 1)
    return { front: new Float32Array(n).fill(n * 0.96), ground, waterBottom: n }
  }
  const bands = features.has('mountains') ? 2 : 3
  const layers = drawHills(canvas, scene, rng.fork('hills'), horizon, bands, ground, withTrees)
  return { front: layers[layers.length - 1]!.ridge, ground, waterBottom: n }
}

/** Subjects on the nearest land (or, for a boat, on the water), at an edit's hole when asked. */
function drawSubjects(canvas: Canvas, scene: Scene, rng: Random, land: Land): void {
  const n = canvas.size
  const { features, palette, water } = scene
  const { front, ground } = land
  const focusX = scene.focus ? Math.min(0.92, Math.max(0.08, scene.focus.x)) * n : null
  if (features.has('boat') && (water === 'ocean' || water === 'lake')) {
    const horizon = scene.horizon * n
    const t = rng.range(0.25, 0.55)
    const y = horizon + (Math.min(land.waterBottom, n * 0.95) - horizon) * t
    const x = focusX ?? n * rng.range(0.2, 0.8)
    drawBoat(canvas, scene, x, y, n * (0.05 + 0.12 * t), rng.chance(0.5) ? 1 : -1)
  }
  if (!front) return
  let top = n
  for (const y of front) top = Math.min(top, y)
  const standOn = (x: number) => front[Math.min(n - 1, Math.max(0, Math.round(x)))]!
  // Bare rolling grass is an empty picture: give it a tree or two, or a meadow of flowers.
  if (
    ground === 'grass' &&
    water === 'none' &&
    !features.has('city') &&
    !STANDING.some((f) => features.has(f))
  ) {
    features.add(rng.chance(0.6) ? 'trees' : 'flowers')
  }
  if (features.has('flowers')) drawFlowers(canvas, scene, rng.fork('flowers'), top + n * 0.02)
  if (features.has('cactus') || (ground === 'sand' && water === 'none' && rng.chance(0.5))) {
    drawCacti(canvas, scene, rng.fork('cacti'), front)
  }
  if (features.has('house')) {
    const x = focusX ?? n * rng.range(0.25, 0.75)
    drawHouse(canvas, scene, rng, x, standOn(x) + n * 0.02, n * rng.range(0.12, 0.18))
  }
  if (features.has('castle')) {
    const x = focusX ?? n * rng.range(0.3, 0.7)
    drawCastle(canvas, scene, x, top + (standOn(x) - top) * 0.5 + n * 0.03, n * rng.range(0.3, 0.4))
  }
  if (features.has('trees')) drawTrees(canvas, scene, rng.fork('trees'), front, rng.int(1, 3))
  if (features.has('palms')) drawPalms(canvas, scene, rng.fork('palms'), front)
  const animal = features.has('cat') ? 'cat' : features.has('dog') ? 'dog' : null
  if (animal) {
    const left = focusX === null ? rng.chance(0.5) : focusX < n / 2
    const x = focusX ?? n * (left ? rng.range(0.18, 0.36) : rng.range(0.64, 0.82))
    const feet = Math.min(n * 0.985, standOn(x) + n * 0.05)
    const colour = mix(palette.silhouette, rgb(10, 10, 14), 0.4)
    const h = n * rng.range(0.16, 0.22)
    if (animal === 'cat') drawCat(canvas, x, feet, h, colour, left ? 1 : -1)
    else drawDog(canvas, x, feet, h, colour, left ? 1 : -1)
  }
}

/** White surf along the water's edge of a beach. */
function drawFoam(canvas: Canvas, ridge: Float32Array): void {
  const n = canvas.size
  const path: number[] = []
  for (let k = 0; k <= 32; k++) {
    const x = (k / 32) * n
    path.push(x, ridge[Math.min(n - 1, Math.round(x))]! + 1, Math.max(1, n / 300))
  }
  canvas.stroke(path, rgb(250, 250, 245), 0.7)
}

/** Big pines at both edges, framing the view. */
function drawForestEdges(canvas: Canvas, rng: Random, ridge: Float32Array, colour: Rgb): void {
  const n = canvas.size
  for (let k = 0; k < 5; k++) {
    const left = k % 2 === 0
    const x = n * (left ? rng.range(-0.02, 0.16) : rng.range(0.84, 1.02))
    const h = n * rng.range(0.3, 0.48)
    drawConifer(canvas, x, ridge[Math.min(n - 1, Math.max(0, Math.round(x)))]! + h * 0.08, h, colour)
  }
}

function applyStyles(canvas: Canvas, scene: Scene, rng: Random): void {
  const n = canvas.size
  const { styles } = scene
  if (styles.has('geometric') && scene.composition !== 'abstract') lowPoly(canvas, rng.fork('facets'), 18)
  if (styles.has('watercolor')) watercolour(canvas, rng.fork('watercolour'))
  if (styles.has('neon')) bloom(canvas, n / 60, 1.1, 140)
  else if (styles.has('dreamy')) bloom(canvas, n / 40, 0.8, 110)
  if (styles.has('pixel')) pixelate(canvas, Math.max(2, Math.round(n / 64)))
}

/** Grading per style and tone; plain pictures get a light vignette and just enough grain to dither. */
function finishFor(scene: Scene, seed: number): FinishOptions {
  const o: FinishOptions = { ...PLAIN_FINISH, vignette: 0.22, contrast: 1.03, seed }
  const { styles, tones } = scene
  if (scene.composition === 'abstract') o.vignette = 0.08
  if (styles.has('minimal')) o.vignette = 0
  if (styles.has('watercolor')) Object.assign(o, { vignette: 0.08, grain: 5 })
  if (styles.has('vintage')) {
    Object.assign(o, {
      sepia: 0.6,
      lift: 0.12,
      liftColour: rgb(236, 220, 190),
      contrast: 0.92,
      vignette: 0.6,
      grain: 9,
    })
  }
  if (styles.has('pixel')) Object.assign(o, { posterize: 7, grain: 0, vignette: 0 })
  if (styles.has('neon')) Object.assign(o, { saturation: 1.2, contrast: 1.06 })
  if (tones.has('pastel') && scene.composition !== 'abstract') {
    Object.assign(o, {
      saturation: o.saturation * 0.7,
      lift: 0.2,
      liftColour: rgb(255, 250, 250),
      contrast: 0.94,
    })
  }
  if (tones.has('muted')) o.saturation *= 0.6
  if (tones.has('bright')) Object.assign(o, { saturation: o.saturation * 1.3, contrast: o.contrast * 1.05 })
  if (tones.has('dark')) Object.assign(o, { exposure: 0.62, contrast: o.contrast * 1.1 })
  if (tones.has('mono')) Object.assign(o, { saturation: 0, contrast: o.contrast * 1.1 })
  return o
}
