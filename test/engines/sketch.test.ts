import { afterAll, describe, expect, it } from 'vitest'
import { EngineError, type EngineRequest, type ImageSize, sizeName } from '../../src/engines/engine.ts'
import { SketchEngine } from '../../src/engines/sketch/engine.ts'
import { LABEL_TEXT, labelBox } from '../../src/engines/sketch/label.ts'
import { readPrompt } from '../../src/engines/sketch/prompt-words.ts'
import { decodePng, encodePng, pngInfo, type RgbaImage } from '../../src/images/png.ts'

// Inline drawing for most tests; the thread pool (the default) is checked against it below.
const engine = new SketchEngine({ threads: 0 })
const pooled = new SketchEngine({ threads: 2 })
afterAll(() => pooled.close())
const open = () => new AbortController().signal
/** A request's size fields for a square of `px`. */
const sq = (px: ImageSize) => ({ size: sizeName(px), width: px, height: px, quality: 'standard' as const })

describe('the sketch engine in worker threads', () => {
  it('draws the same bytes as inline drawing, for every operation, several requests at once', async () => {
    const input = encodePng({ width: 256, height: 256, data: new Uint8Array(256 * 256 * 4).fill(200) })
    const requests: EngineRequest[] = [
      {
        operation: 'generate',
        prompt: 'a red sunset over the ocean',
        seed: 7,
        ...sq(256),
        n: 2,
        model: 'sketch',
      },
      {
        operation: 'edit',
        prompt: 'a moon',
        image: input,
        mask: null,
        seed: 3,
        ...sq(256),
        n: 1,
        model: 'sketch',
      },
      { operation: 'variation', image: input, prompt: null, seed: 5, ...sq(256), n: 1, model: 'sketch' },
    ]
    const [inline, threaded] = await Promise.all([
      Promise.all(requests.map((r) => engine.run(r, { signal: open() }))),
      Promise.all(requests.map((r) => pooled.run(r, { signal: open() }))),
    ])
    for (const [i, r] of inline.entries()) {
      expect(
        Buffer.concat(threaded[i]!.images.map((im) => im.png)).equals(
          Buffer.concat(r.images.map((im) => im.png)),
        ),
      ).toBe(true)
    }
  })

  it('reports progress after each image, inline and in threads', async () => {
    const request: EngineRequest = {
      operation: 'generate',
      prompt: 'a fox',
      seed: 2,
      ...sq(256),
      n: 3,
      model: 'sketch',
    }
    for (const drawer of [engine, pooled]) {
      const seen: Array<{ done: number; total: number }> = []
      await drawer.run(request, { signal: open(), onProgress: (progress) => seen.push(progress) })
      expect(seen).toEqual([
        { done: 1, total: 3 },
        { done: 2, total: 3 },
        { done: 3, total: 3 },
      ])
    }
  })

  it('an aborted request is refused at once; a closed pool refuses new work', async () => {
    const controller = new AbortController()
    const running = pooled.run(
      { operation: 'generate', prompt: 'x', seed: 1, ...sq(1024), n: 4, model: 'sketch' },
      { signal: controller.signal },
    )
    controller.abort(new EngineError('CANCELLED', 'stopped by the test'))
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    const closing = new SketchEngine({ threads: 1 })
    await closing.close()
    await expect(
      closing.run(
        { operation: 'generate', prompt: 'x', seed: 1, ...sq(256), n: 1, model: 'sketch' },
        { signal: open() },
      ),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
    })
  })
})

async function generate(prompt: string, seed: number, size: ImageSize = 256, n = 1): Promise<RgbaImage[]> {
  const result = await engine.run(
    { operation: 'generate', prompt, seed, ...sq(size), n, model: 'sketch' },
    { signal: open() },
  )
  return result.images.map((image) => decodePng(image.png))
}

async function pngOf(prompt: string, seed: number, size: ImageSize = 256): Promise<Buffer> {
  const result = await engine.run(
    { operation: 'generate', prompt, seed, ...sq(size), n: 1, model: 'sketch' },
    { signal: open() },
  )
  return result.images[0]!.png
}

/** Mean of each channel over the image, outside the label. */
function meanColour(image: RgbaImage): [number, number, number] {
  const box = labelBox(image.width)
  const sum = [0, 0, 0]
  let count = 0
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (y >= box.top && x < box.right) continue
      const i = (y * image.width + x) * 4
      for (let c = 0; c < 3; c++) sum[c]! += image.data[i + c]!
      count++
    }
  }
  return [sum[0]! / count, sum[1]! / count, sum[2]! / count]
}

/** Mean absolute difference per channel over the pixels `where` selects. */
function meanDifference(a: RgbaImage, b: RgbaImage, where: (x: number, y: number) => boolean = () => true) {
  let total = 0
  let count = 0
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!where(x, y)) continue
      const i = (y * a.width + x) * 4
      for (let c = 0; c < 3; c++) total += Math.abs(a.data[i + c]! - b.data[i + c]!)
      count += 3
    }
  }
  return total / count
}

/** Pearson correlation of the two images' luminance. */
function correlation(a: RgbaImage, b: RgbaImage): number {
  const n = a.width * a.height
  const la = new Float64Array(n)
  const lb = new Float64Array(n)
  for (let p = 0; p < n; p++) {
    la[p] = 0.2126 * a.data[p * 4]! + 0.7152 * a.data[p * 4 + 1]! + 0.0722 * a.data[p * 4 + 2]!
    lb[p] = 0.2126 * b.data[p * 4]! + 0.7152 * b.data[p * 4 + 1]! + 0.0722 * b.data[p * 4 + 2]!
  }
  const ma = la.reduce((s, v) => s + v, 0) / n
  const mb = lb.reduce((s, v) => s + v, 0) / n
  let cov = 0
  let va = 0
  let vb = 0
  for (let p = 0; p < n; p++) {
    cov += (la[p]! - ma) * (lb[p]! - mb)
    va += (la[p]! - ma) ** 2
    vb += (lb[p]! - mb) ** 2
  }
  return cov / Math.sqrt(va * vb)
}

function solid(size: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(size * size * 4)
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i)
  return { width: size, height: size, data }
}

const outsideLabel = (size: number) => {
  const box = labelBox(size)
  return (x: number, y: number) => !(y >= box.top - 1 && x < box.right + 1)
}

describe('SketchEngine', () => {
  it('describes itself as the procedural sketch engine for every operation and size', () => {
    expect(engine.name).toBe('sketch')
    expect(engine.models).toEqual(['sketch'])
    expect(engine.procedural).toBe(true)
    expect(engine.sizes).toEqual(['256x256', '512x512', '1024x1024'])
    expect(['generate', 'edit', 'variation'].every((op) => engine.supports(op as 'generate'))).toBe(true)
  })

  it('draws byte-identical PNGs for the same prompt, seed and size', async () => {
    const a = await pngOf('a red sunset over the ocean', 42)
    const b = await pngOf('a red sunset over the ocean', 42)
    expect(a.equals(b)).toBe(true)
  })

  it('draws visibly different images for different seeds, and for seed+k within one request', async () => {
    const [first, second] = await generate('snowy mountains at night with stars', 7, 256, 2)
    expect(meanDifference(first!, second!)).toBeGreaterThan(4)
    const [alone] = await generate('snowy mountains at night with stars', 8)
    expect(meanDifference(second!, alone!)).toBe(0)
  })

  it.each<ImageSize>([256, 512, 1024])('returns %ipx square PNGs that decode to that size', async (size) => {
    const result = await engine.run(
      { operation: 'generate', prompt: 'neon city skyline', seed: 1, ...sq(size), n: 1, model: 'sketch' },
      { signal: open() },
    )
    const image = result.images[0]!
    expect([image.width, image.height]).toEqual([size, size])
    expect(pngInfo(image.png)).toMatchObject({ width: size, height: size })
    const decoded = decodePng(image.png)
    expect([decoded.width, decoded.height]).toEqual([size, size])
  })

  it('lets colour words pick the palette: a red sunset is redder than a blue ocean', async () => {
    for (const seed of [1, 2, 3]) {
      const [red] = await generate('a red sunset', seed)
      const [blue] = await generate('a blue ocean', seed)
      const [rr, , rb] = meanColour(red!)
      const [br, , bb] = meanColour(blue!)
      expect(rr - rb).toBeGreaterThan(br - bb + 40)
    }
  })

  it('gives prompts it does not understand a palette of their own', async () => {
    const [a] = await generate('qwerty zxcvb', 1)
    const [b] = await generate('lorem ipsum dolor', 1)
    const [ar, ag, ab] = meanColour(a!)
    const [br, bg, bb] = meanColour(b!)
    expect(Math.abs(ar - br) + Math.abs(ag - bg) + Math.abs(ab - bb)).toBeGreaterThan(10)
  })

  it('letters every image with the procedural label in the bottom-left corner', async () => {
    for (const size of [256, 512, 1024] as const) {
      const [image] = await generate('a watercolor forest by a lake', 3, size)
      const box = labelBox(size)
      let ink = 0
      for (let y = box.top; y < box.bottom; y++) {
        for (let x = box.left; x < box.right; x++) {
          const i = (y * size + x) * 4
          if (image!.data[i] === 240 && image!.data[i + 1] === 238 && image!.data[i + 2] === 230) ink++
        }
      }
      // Every letter of the label has at least a handful of dots, each scale² pixels.
      expect(ink).toBeGreaterThan(LABEL_TEXT.replace(/ /g, '').length * 8 * box.scale ** 2)
    }
  })

  describe('edit', () => {
    const size = 256 as const
    const hole = (x: number, y: number) => x >= 64 && x < 192 && y >= 48 && y < 160
    const mask = (() => {
      const data = new Uint8Array(size * size * 4)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) data[(y * size + x) * 4 + 3] = hole(x, y) ? 0 : 255
      }
      return encodePng({ width: size, height: size, data })
    })()
    const edit = async (image: Buffer, mask: Buffer | null, seed = 1, prompt = 'a full moon and stars') => {
      const request: EngineRequest = {
        operation: 'edit',
        prompt,
        image,
        mask,
        seed,
        ...sq(size),
        n: 1,
        model: 'sketch',
      }
      return decodePng((await engine.run(request, { signal: open() })).images[0]!.png)
    }

    it('keeps the input where the mask is opaque and repaints where it is transparent', async () => {
      const input = await pngOf('a red sunset over the ocean', 5)
      const original = decodePng(input)
      const out = await edit(input, mask)
      const label = outsideLabel(size)
      // Two pixels either side of the hole's edge are feathered; everything further out is kept.
      const far = (x: number, y: number) =>
        label(x, y) && !(x >= 64 - 3 && x < 192 + 3 && y >= 48 - 3 && y < 160 + 3)
      expect(meanDifference(out, original, far)).toBe(0)
      const inside = (x: number, y: number) => x >= 67 && x < 189 && y >= 51 && y < 157
      expect(meanDifference(out, original, inside)).toBeGreaterThan(10)
    })

    it('fills the hole differently for different seeds', async () => {
      const input = await pngOf('a red sunset over the ocean', 5)
      const a = await edit(input, mask, 1)
      const b = await edit(input, mask, 2)
      expect(meanDifference(a, b, hole)).toBeGreaterThan(3)
    })

    it("without a mask, repaints the image's own transparent pixels and keeps the rest", async () => {
      const data = solid(size, [40, 90, 160, 255]).data
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) if (hole(x, y)) data[(y * size + x) * 4 + 3] = 0
      const out = await edit(encodePng({ width: size, height: size, data }), null)
      const kept = solid(size, [40, 90, 160, 255])
      const label = outsideLabel(size)
      const far = (x: number, y: number) => label(x, y) && !(x >= 61 && x < 195 && y >= 45 && y < 163)
      expect(meanDifference(out, kept, far)).toBe(0)
      expect(meanDifference(out, kept, (x, y) => x >= 67 && x < 189 && y >= 51 && y < 157)).toBeGreaterThan(
        10,
      )
      expect(out.data.every((v, i) => i % 4 !== 3 || v === 255)).toBe(true)
    })

    it('without a mask or transparency, repaints the whole image lightly over the original', async () => {
      const input = await pngOf('a red sunset over the ocean', 5)
      const original = decodePng(input)
      const out = await edit(input, null, 1, 'a green forest')
      expect(meanDifference(out, original, outsideLabel(size))).toBeGreaterThan(10)
      expect(correlation(out, original)).toBeGreaterThan(0.3)
    })

    it('draws the label over an all-white picture on a dark strip', async () => {
      const white = encodePng(solid(size, [255, 255, 255, 255]))
      const opaque = encodePng(solid(size, [0, 0, 0, 255]))
      const out = await edit(white, opaque)
      const box = labelBox(size)
      expect(meanDifference(out, solid(size, [255, 255, 255, 255]), outsideLabel(size))).toBe(0)
      const strip = out.data.subarray(((box.top + 1) * size + 1) * 4, ((box.top + 1) * size + 1) * 4 + 3)
      expect(Math.max(...strip)).toBeLessThan(130)
    })
  })

  describe('variation', () => {
    const size = 256 as const
    const vary = async (image: Buffer, n: number, seed = 3) => {
      const request: EngineRequest = {
        operation: 'variation',
        image,
        prompt: null,
        seed,
        ...sq(size),
        n,
        model: 'sketch',
      }
      return (await engine.run(request, { signal: open() })).images.map((image) => decodePng(image.png))
    }

    it('is recognisably the input: it correlates with it far more than with another picture', async () => {
      const input = await pngOf('snowy mountains at night with stars', 2)
      const other = decodePng(await pngOf('a red sunset over the ocean', 9))
      const [out] = await vary(input, 1)
      const withInput = correlation(out!, decodePng(input))
      expect(withInput).toBeGreaterThan(0.6)
      expect(withInput).toBeGreaterThan(correlation(out!, other) + 0.3)
    })

    it('makes each of the n images different', async () => {
      const input = await pngOf('a watercolor forest by a lake', 2)
      const [a, b, c] = await vary(input, 3)
      expect(meanDifference(a!, b!)).toBeGreaterThan(4)
      expect(meanDifference(b!, c!)).toBeGreaterThan(4)
    })
  })

  describe('stopping and refusing', () => {
    const request: EngineRequest = {
      operation: 'generate',
      prompt: 'a cat',
      seed: 1,
      ...sq(256),
      n: 10,
      model: 'sketch',
    }

    it('rejects with TIMEOUT when the signal has already aborted', async () => {
      const controller = new AbortController()
      controller.abort()
      await expect(engine.run(request, { signal: controller.signal })).rejects.toMatchObject({
        code: 'TIMEOUT',
      })
    })

    it("stops between images when aborted mid-request, with the abort's own EngineError", async () => {
      const controller = new AbortController()
      const running = engine.run(request, { signal: controller.signal })
      controller.abort(new EngineError('CANCELLED', 'the user cancelled'))
      const error = await running.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EngineError)
      expect((error as EngineError).code).toBe('CANCELLED')
    })

    it('refuses sizes it does not draw and inputs that are not PNGs', async () => {
      await expect(
        engine.run({ ...request, size: '1536x1024', width: 1536, height: 1024 }, { signal: open() }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED' })
      const broken: EngineRequest = {
        operation: 'variation',
        image: Buffer.from('not a png at all, not even close to one'),
        prompt: null,
        seed: 1,
        ...sq(256),
        n: 1,
        model: 'sketch',
      }
      await expect(engine.run(broken, { signal: open() })).rejects.toMatchObject({
        code: 'UPSTREAM_REJECTED',
      })
    })
  })
})

describe('readPrompt', () => {
  it('reads scene, time, style and colour words, plurals and two-word phrases included', () => {
    const words = readPrompt('Snowy mountains at night, northern lights, in watercolour, golden')
    expect([...words.features]).toEqual(expect.arrayContaining(['snow', 'mountains', 'aurora', 'stars']))
    expect(words.time).toBe('night')
    expect(words.styles.has('watercolor')).toBe(true)
    expect(words.colours).toHaveLength(1)
  })

  it('lets a named time of day outrank one that words only imply', () => {
    expect(readPrompt('stars over a desert at sunset').time).toBe('sunset')
    expect(readPrompt('stars in deep space').time).toBe('space')
  })

  it('recognises nothing in a prompt without known words', () => {
    expect(readPrompt('qwerty zxcvb').recognised).toBe(0)
  })
})
