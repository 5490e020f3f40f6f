import { type EngineRequest, type ImageSize, sizeName } from '../src/engines/engine.ts'
import { SketchEngine } from '../src/engines/sketch/engine.ts'
import { decodePng, encodePng } from '../src/images/png.ts'

export interface EngineBenchOptions {
  /** Measuring time for the headline figure (generate at 512 px); the others get half. */
  seconds: number
}

/** The images/s the sketch engine must reach at 512 px on one core of the reference machine. */
const TARGET_512 = 20

/** A mix of what the engine draws: landscapes, water, a city, abstract, and the costlier styles. */
const PROMPTS = [
  'a red sunset over the ocean',
  'snowy mountains at night with stars',
  'neon city skyline',
  'a watercolor forest by a lake',
  'abstract geometric shapes in pastel colors',
  'a cat on a hill under a rainbow',
  'desert dunes with cactus at sunrise',
  'vintage photo of a cottage by a river',
]

/**
 * Images per second of the sketch engine on one thread, through `run` (drawing, PNG encoding and
 * the event-loop yield between images), one image per call over a fixed mix of prompts.
 */
export async function benchEngine(o: EngineBenchOptions, print: (line: string) => void): Promise<void> {
  const engine = new SketchEngine({ threads: 0 })
  const signal = new AbortController().signal
  let seed = 0
  const generate = (size: ImageSize): EngineRequest => ({
    operation: 'generate',
    prompt: PROMPTS[seed % PROMPTS.length]!,
    seed: seed++,
    size: sizeName(size),
    width: size,
    height: size,
    quality: 'standard',
    n: 1,
    model: 'sketch',
  })
  const measure = async (seconds: number, next: () => EngineRequest) => {
    const until = performance.now() + seconds * 1000
    const start = performance.now()
    let images = 0
    while (performance.now() < until || images < PROMPTS.length) {
      images += (await engine.run(next(), { signal })).images.length
    }
    return images / ((performance.now() - start) / 1000)
  }

  await measure(1, () => generate(512)) // warm-up: JIT
  const rates = new Map<ImageSize, number>()
  for (const size of [512, 256, 1024] as const) {
    rates.set(size, await measure(size === 512 ? o.seconds : o.seconds / 2, () => generate(size)))
  }
  const at512 = rates.get(512)!
  print(
    `bench engine sketch generate size=512 images_per_s=${at512.toFixed(1)} ms_per_image=${(1000 / at512).toFixed(1)} target=${TARGET_512} ratio=${(at512 / TARGET_512).toFixed(2)}`,
  )
  for (const size of [256, 1024] as const) {
    const rate = rates.get(size)!
    print(
      `bench engine sketch generate size=${size} images_per_s=${rate.toFixed(1)} ms_per_image=${(1000 / rate).toFixed(1)} cost_vs_512=${(at512 / rate).toFixed(2)}`,
    )
  }

  // Edit and variation start from a picture: one of the engine's own, with a hole for the edit.
  const input = (await engine.run(generate(512), { signal })).images[0]!.png
  const mask = decodePng(input)
  for (let y = 128; y < 320; y++) for (let x = 160; x < 400; x++) mask.data[(y * 512 + x) * 4 + 3] = 0
  const maskPng = encodePng(mask)
  const operations: [string, () => EngineRequest][] = [
    [
      'edit',
      () => ({
        operation: 'edit',
        prompt: 'a full moon',
        image: input,
        mask: maskPng,
        seed: seed++,
        size: '512x512',
        width: 512,
        height: 512,
        quality: 'standard',
        n: 1,
        model: 'sketch',
      }),
    ],
    [
      'variation',
      () => ({
        operation: 'variation',
        image: input,
        prompt: null,
        seed: seed++,
        size: '512x512',
        width: 512,
        height: 512,
        quality: 'standard',
        n: 1,
        model: 'sketch',
      }),
    ],
  ]
  for (const [name, next] of operations) {
    const rate = await measure(o.seconds / 2, next)
    print(
      `bench engine sketch ${name} size=512 images_per_s=${rate.toFixed(1)} ms_per_image=${(1000 / rate).toFixed(1)}`,
    )
  }
}
