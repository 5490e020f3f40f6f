import { deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DecodeGate } from '../../src/images/decode-gate.ts'
import { readImageHeader } from '../../src/images/image-header.ts'
import { decodePng, encodePng, type RgbaImage } from '../../src/images/png.ts'
import { pngDataOverflows, pngFilteredBytes } from '../../src/images/png-data.ts'
import {
  checkUploadHeader,
  DEFAULT_MAX_UPLOAD_PIXELS,
  type NormalisedUpload,
  normaliseUpload,
  type UploadLimits,
  type UploadRole,
} from '../../src/images/upload.ts'
import { bombPng, headerOnlyPng, pngChunk } from '../support/hostile-images.ts'

const LIMITS: UploadLimits = { maxBytes: 4 * 1024 * 1024, maxPixels: DEFAULT_MAX_UPLOAD_PIXELS }

// ── Test images ──────────────────────────────────────────────────────────────────────────────────

/** RGBA pixels painted by `paint(x, y)`. */
function pixels(width: number, height: number, paint: (x: number, y: number) => number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * 4)
  }
  return { width, height, data }
}

/** Red grows left to right, green top to bottom (written directly: phone-sized is 12 million pixels). */
function gradient(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / height
      data[i + 2] = 128
      data[i + 3] = 255
    }
  }
  return { width, height, data }
}

/** The same pixels in a format sharp writes. */
function encode(image: RgbaImage, format: 'png' | 'jpeg' | 'webp', options: object = {}): Promise<Buffer> {
  const raw = sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
  return raw.toFormat(format, options).toBuffer()
}

const RED = [255, 0, 0, 255]
const BLUE = [0, 0, 255, 255]

/** Checks the header, then normalises: what the studio does with each upload. */
async function normalise(
  bytes: Buffer,
  role: UploadRole,
  options: { limits?: UploadLimits; sameSizeAs?: { width: number; height: number } } = {},
): Promise<{ ok: true; value: NormalisedUpload } | { ok: false; message: string }> {
  const limits = options.limits ?? LIMITS
  const header = checkUploadHeader(bytes, role, limits)
  if (!header.ok) return header
  return normaliseUpload(bytes, header.value, {
    role,
    limits,
    ...(options.sameSizeAs ? { sameSizeAs: options.sameSizeAs } : {}),
  })
}

function ok(result: Awaited<ReturnType<typeof normalise>>): NormalisedUpload {
  if (!result.ok) throw new Error(`refused: ${result.message}`)
  return result.value
}

/** Channel `c` (0 red … 3 alpha) of a pixel. */
const at = (image: RgbaImage, x: number, y: number, c = 0) => image.data[(y * image.width + x) * 4 + c]!

// ── Headers ──────────────────────────────────────────────────────────────────────────────────────

describe('readImageHeader: the declared size, from the first bytes only', () => {
  it.each([
    ['png', {}],
    ['jpeg', {}],
    ['jpeg', { progressive: true }],
    ['webp', {}],
    ['webp', { lossless: true }],
  ] as const)('reads a %s %o as sharp wrote it', async (format, options) => {
    const bytes = await encode(gradient(300, 200), format, options)
    expect(readImageHeader(bytes)).toMatchObject({ ok: true, header: { format, width: 300, height: 200 } })
  })

  it('reads a WebP with an alpha channel from its VP8X header, and counts four bytes a pixel', async () => {
    const bytes = await sharp({ create: { width: 40, height: 30, channels: 4, background: '#ff000080' } })
      .webp()
      .toBuffer()
    expect(readImageHeader(bytes)).toMatchObject({
      ok: true,
      header: { format: 'webp', width: 40, height: 30, decodedBytes: 40 * 30 * 4 },
    })
  })

  it('reads a JPEG whose frame header comes after a large EXIF segment', async () => {
    const bytes = await sharp(Buffer.from(gradient(64, 48).data), {
      raw: { width: 64, height: 48, channels: 4 },
    })
      .jpeg()
      .withExif({ IFD0: { ImageDescription: 'x'.repeat(30_000) } })
      .toBuffer()
    expect(readImageHeader(bytes)).toMatchObject({
      ok: true,
      header: { format: 'jpeg', width: 64, height: 48 },
    })
  })

  it('a 20000×20000 bomb is read from its header; a 16-bit PNG counts two bytes a sample', async () => {
    expect(readImageHeader(bombPng(20_000))).toMatchObject({
      ok: true,
      header: { format: 'png', width: 20_000, height: 20_000 },
    })
    const deep = await sharp({ create: { width: 20, height: 20, channels: 4, background: '#102030' } })
      .toColourspace('rgb16')
      .png()
      .toBuffer()
    expect(readImageHeader(deep)).toMatchObject({ ok: true, header: { decodedBytes: 20 * 20 * 4 * 2 } })
  })

  it('tells what is not an image from an image whose header is broken', () => {
    expect(readImageHeader(Buffer.from('GIF89a…'))).toEqual({ ok: false, problem: 'unknown' })
    expect(readImageHeader(Buffer.alloc(0))).toEqual({ ok: false, problem: 'unknown' })
    const jfifOnly = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00]),
      Buffer.alloc(48, 0x20),
      Buffer.from([0xff, 0xd9]),
    ])
    expect(readImageHeader(jfifOnly)).toMatchObject({ ok: false, problem: 'damaged', format: 'jpeg' })
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toMatchObject({ problem: 'damaged' })
    expect(readImageHeader(headerOnlyPng(0, 10))).toMatchObject({ problem: 'damaged', format: 'png' })
    const riff = Buffer.concat([
      Buffer.from('RIFF'),
      Buffer.alloc(4),
      Buffer.from('WEBPJUNK'),
      Buffer.alloc(20),
    ])
    expect(readImageHeader(riff)).toMatchObject({ problem: 'damaged', format: 'webp' })
  })
})

describe('checkUploadHeader: refused before anything is decoded', () => {
  it('refuses a PNG declaring 20000×20000, naming the sizes and the budget', () => {
    const bomb = bombPng(20_000)
    expect(bomb.length).toBeLessThan(100_000)
    expect(checkUploadHeader(bomb, 'image', LIMITS)).toEqual({
      ok: false,
      message: 'is 20000x20000 (400000000 pixels); at most 16777216 pixels (4096x4096) are allowed',
    })
    expect(checkUploadHeader(headerOnlyPng(20_000, 20_000), 'mask', LIMITS)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/20000x20000/),
    })
  })

  it('takes a 4032×3024 photo (12.2 million pixels: not square, within the budget)', () => {
    const header = Buffer.from([
      ...[0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08],
      ...[0x0b, 0xd0, 0x0f, 0xc0], // 3024 high, 4032 wide
      ...[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01],
    ])
    expect(checkUploadHeader(header, 'image', LIMITS)).toMatchObject({
      ok: true,
      value: { format: 'jpeg', width: 4032, height: 3024 },
    })
  })

  it('refuses the wrong format for the role, a tiny image, too many bytes and too many decoded bytes', async () => {
    const jpeg = await encode(gradient(64, 64), 'jpeg')
    expect(checkUploadHeader(Buffer.from('GIF89a'), 'image', LIMITS)).toMatchObject({
      message: 'must be a PNG image, a JPEG or a WebP',
    })
    expect(checkUploadHeader(jpeg, 'mask', LIMITS)).toMatchObject({
      message: 'must be a PNG image with transparency (it is a JPEG)',
    })
    expect(checkUploadHeader(encodePng(gradient(15, 300)), 'image', LIMITS)).toMatchObject({
      message: 'must be at least 16 pixels wide and high (it is 15x300)',
    })
    expect(checkUploadHeader(jpeg, 'image', { ...LIMITS, maxBytes: 100 })).toMatchObject({
      message: expect.stringMatching(/^must be at most 100 bytes \(it is .*\)$/),
    })
    expect(checkUploadHeader(undefined, 'image', LIMITS)).toMatchObject({
      message: 'is required (a PNG, JPEG or WebP file)',
    })
    const deep = await sharp({ create: { width: 64, height: 64, channels: 4, background: '#102030' } })
      .toColourspace('rgb16')
      .png()
      .toBuffer()
    // 64×64 is within a 4096-pixel budget, but 8 bytes a pixel is twice what it allows decoded.
    expect(checkUploadHeader(deep, 'image', { ...LIMITS, maxPixels: 4096 })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/once decoded \(64x64 at 8 bytes a pixel\); at most 16 KB/),
    })
  })
})

// ── Decoding and normalising ─────────────────────────────────────────────────────────────────────

describe('normaliseUpload: a square PNG of at most 1024, decoded by sharp', () => {
  it('takes a 4032×3024 phone photo (JPEG): centre-cropped to 3024 and scaled to 1024', async () => {
    const photo = await encode(gradient(4032, 3024), 'jpeg', { quality: 80 })
    const out = ok(await normalise(photo, 'image'))
    expect(out).toMatchObject({ format: 'jpeg', width: 4032, height: 3024, side: 1024 })
    const png = decodePng(out.png)
    expect([png.width, png.height]).toEqual([1024, 1024])
    // The crop is centred: the left edge of the result is column 504 of the photo (red ≈ 32).
    expect(at(png, 0, 512)).toBeGreaterThan(24)
    expect(at(png, 0, 512)).toBeLessThan(40)
  })

  it('turns a photo upright by its EXIF orientation before cutting it', async () => {
    // Stored 300×200 with orientation 6 (turn a quarter clockwise): 200×300 as seen.
    const stored = await sharp(Buffer.from(gradient(300, 200).data), {
      raw: { width: 300, height: 200, channels: 4 },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    expect(readImageHeader(stored)).toMatchObject({ ok: true, header: { width: 300, height: 200 } })
    const out = ok(await normalise(stored, 'image'))
    expect(out).toMatchObject({ width: 200, height: 300, side: 200 })
  })

  it('takes a WebP, lossy and lossless', async () => {
    for (const lossless of [false, true]) {
      const out = ok(await normalise(await encode(gradient(640, 480), 'webp', { lossless }), 'image'))
      expect(out).toMatchObject({ format: 'webp', width: 640, height: 480, side: 480 })
      expect(decodePng(out.png).width).toBe(480)
    }
  })

  it('writes even a square PNG of at most 1024 anew, with the same pixels', async () => {
    const picture = gradient(256, 256)
    const png = encodePng(picture)
    const out = ok(await normalise(png, 'image'))
    expect(out.side).toBe(256)
    expect(Buffer.from(decodePng(out.png).data).equals(Buffer.from(decodePng(png).data))).toBe(true)
  })

  it('a zlib bomb in a small PNG (image data inflating far past its pixels) never reaches an engine', async () => {
    // 64×64 RGBA needs 16,640 bytes of filtered data; this one's IDAT inflates to 8 MB.
    const raw = Buffer.alloc(8 * 1024 * 1024)
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(64, 0)
    ihdr.writeUInt32BE(64, 4)
    ihdr[8] = 8
    ihdr[9] = 6
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(raw)),
      pngChunk('IEND', Buffer.alloc(0)),
    ])
    expect(await pngDataOverflows(bomb)).toBe(true)
    const out = await normalise(bomb, 'image')
    expect(out).toEqual({
      ok: false,
      message: 'is a damaged PNG: its image data is larger than a 64x64 image holds',
    })
  })

  it('knows exactly how much image data a PNG holds: plain, interlaced, palette, grey, 16-bit', async () => {
    const base = sharp({ create: { width: 37, height: 23, channels: 4, background: '#336699cc' } })
    const files = [
      await base.clone().png().toBuffer(),
      await base.clone().png({ progressive: true }).toBuffer(),
      await base.clone().png({ palette: true, colours: 16 }).toBuffer(),
      await base.clone().greyscale().png().toBuffer(),
      await base.clone().toColourspace('rgb16').png().toBuffer(),
      encodePng(gradient(300, 200)),
    ]
    for (const png of files) expect(await pngDataOverflows(png)).toBe(false)
    expect(pngFilteredBytes({ width: 64, height: 64, bitDepth: 8, colourType: 6, interlaced: false })).toBe(
      64 * (1 + 64 * 4),
    )
    // Adam7 on 1×1: only the first pass has a pixel.
    expect(pngFilteredBytes({ width: 1, height: 1, bitDepth: 8, colourType: 2, interlaced: true })).toBe(4)
  })

  it('cuts and scales the mask exactly like the image, so that they stay aligned', async () => {
    // A picture with a red square at 60% across and 40% down, and a mask whose transparent area is
    // that square. 1500×1000 loses 250 columns each side (1000 a side, not scaled); 2400×1600 loses
    // 400 each side and is scaled 1600 → 1024. Either way the red pixels are the transparent ones.
    for (const [width, height] of [
      [1500, 1000],
      [2400, 1600],
    ] as const) {
      const inSquare = (x: number, y: number) =>
        x >= width * 0.6 &&
        x < width * 0.6 + width / 15 &&
        y >= height * 0.4 &&
        y < height * 0.4 + height / 10
      const picture = new Uint8Array(width * height * 4)
      const mask = new Uint8Array(width * height * 4)
      for (let y = 0, i = 0; y < height; y++) {
        for (let x = 0; x < width; x++, i += 4) {
          const square = inSquare(x, y)
          picture.set(square ? RED : BLUE, i)
          mask[i + 3] = square ? 0 : 255
        }
      }
      const image = ok(await normalise(await encode({ width, height, data: picture }, 'png'), 'image'))
      const normalMask = ok(
        await normalise(await encode({ width, height, data: mask }, 'png'), 'mask', { sameSizeAs: image }),
      )
      expect(normalMask.side).toBe(image.side)
      expect(normalMask.hasTransparentPixel).toBe(true)
      const a = decodePng(image.png)
      const m = decodePng(normalMask.png)
      const red = (x: number, y: number) => at(a, x, y) > 128
      /** Within 2 pixels of the square's edge, which the image's filter may blur by a pixel. */
      const nearEdge = (x: number, y: number) => {
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const nx = Math.min(a.width - 1, Math.max(0, x + dx))
            const ny = Math.min(a.height - 1, Math.max(0, y + dy))
            if (red(nx, ny) !== red(x, y)) return true
          }
        }
        return false
      }
      let transparent = 0
      let mismatched = 0
      for (let y = 0; y < a.height; y++) {
        for (let x = 0; x < a.width; x++) {
          const clear = at(m, x, y, 3) === 0
          if (clear) transparent++
          if (red(x, y) !== clear && !nearEdge(x, y)) mismatched++
        }
      }
      expect(transparent).toBeGreaterThan(1000)
      expect(mismatched).toBe(0)
      // Nearest neighbour: the mask's alpha stays exactly 0 or 255.
      expect(new Set([...m.data].filter((_, i) => i % 4 === 3))).toEqual(new Set([0, 255]))
    }
  })

  it("refuses a mask that is not the image's size before decoding it, and one that is scaled to nothing", async () => {
    const mask = encodePng(pixels(200, 100, (x) => [0, 0, 0, x === 0 ? 0 : 255]))
    expect(await normalise(mask, 'mask', { sameSizeAs: { width: 100, height: 200 } })).toEqual({
      ok: false,
      message: 'must be the same size as the image (100x200), not 200x100',
    })
    // Its only transparent column is cut away with the sides.
    expect(ok(await normalise(mask, 'mask', { sameSizeAs: { width: 200, height: 100 } }))).toMatchObject({
      side: 100,
      hasTransparentPixel: false,
    })
  })

  it('refuses damaged and cut-short files as damaged, with the format named', async () => {
    const png = encodePng(gradient(64, 64))
    const jpeg = await encode(gradient(200, 200), 'jpeg')
    const webp = await encode(gradient(200, 200), 'webp')
    const corrupt = Buffer.from(png)
    for (let i = 60; i < corrupt.length - 20; i += 7) corrupt[i] = corrupt[i]! ^ 0x5a
    const cases: Array<[Buffer, RegExp]> = [
      [headerOnlyPng(4096, 4096), /^is a damaged or incomplete PNG/],
      [png.subarray(0, png.length - 40), /^is a damaged or incomplete PNG/],
      [corrupt, /^is a damaged or incomplete PNG/],
      [jpeg.subarray(0, Math.floor(jpeg.length / 2)), /^is a damaged or incomplete JPEG/],
      [webp.subarray(0, Math.floor(webp.length / 2)), /^is a damaged or incomplete WebP/],
    ]
    for (const [bytes, message] of cases) {
      const result = await normalise(bytes, 'image')
      expect(result.ok, String(message)).toBe(false)
      expect(!result.ok && result.message).toMatch(message)
    }
  })

  it('decodes one upload at a time through the gate it is given', async () => {
    const gate = new DecodeGate(1)
    const png = encodePng(gradient(300, 200))
    const header = checkUploadHeader(png, 'image', LIMITS)
    if (!header.ok) throw new Error(header.message)
    const runs = Array.from({ length: 4 }, () =>
      normaliseUpload(png, header.value, { role: 'image', limits: LIMITS, gate }),
    )
    expect(gate.size).toEqual({ running: 1, waiting: 3 })
    const results = await Promise.all(runs)
    expect(results.every((r) => r.ok)).toBe(true)
    expect(gate.started).toBe(4)
    expect(gate.size).toEqual({ running: 0, waiting: 0 })
  })
})

describe('DecodeGate', () => {
  it('runs at most `slots` at once, the rest in arrival order, and frees a slot when work fails', async () => {
    const gate = new DecodeGate(2)
    const order: number[] = []
    const releases: Array<() => void> = []
    const runs = [0, 1, 2, 3].map((i) =>
      gate.run(async () => {
        order.push(i)
        await new Promise<void>((resolve) => releases.push(resolve))
        if (i === 0) throw new Error('a decode failed')
        return i
      }),
    )
    await Promise.resolve()
    expect(order).toEqual([0, 1])
    expect(gate.size).toEqual({ running: 2, waiting: 2 })
    releases[0]!()
    await expect(runs[0]).rejects.toThrow('a decode failed')
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([0, 1, 2])
    releases[1]!()
    releases[2]!()
    await runs[2]
    releases[3]!()
    expect(await Promise.all(runs.slice(1))).toEqual([1, 2, 3])
    expect(gate.size).toEqual({ running: 0, waiting: 0 })
  })
})
