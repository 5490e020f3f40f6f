import { inflateSync } from 'node:zlib'
import { PNG } from 'pngjs'

/** Raw pixels, 8-bit RGBA, row-major. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}

export interface PngInfo {
  width: number
  height: number
  /** Whether pixels can be transparent (an alpha channel or a tRNS chunk). */
  hasAlpha: boolean
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/**
 * Reads a PNG's size from its header without decoding it; null when the bytes are not a PNG.
 * Enough to refuse a wrong upload cheaply; `decodePng` finds a PNG that is damaged further on.
 */
export function pngInfo(bytes: Uint8Array): PngInfo | null {
  if (bytes.length < 33) return null
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!buf.subarray(0, 8).equals(SIGNATURE)) return null
  if (buf.readUInt32BE(8) !== 13 || buf.toString('latin1', 12, 16) !== 'IHDR') return null
  const width = buf.readUInt32BE(16)
  const height = buf.readUInt32BE(20)
  const colourType = buf[25]!
  if (width === 0 || height === 0) return null
  // Colour types 4 and 6 carry alpha; others may have a tRNS chunk before the image data.
  let hasAlpha = colourType === 4 || colourType === 6
  if (!hasAlpha) {
    for (let at = 33; at + 8 <= buf.length; ) {
      const length = buf.readUInt32BE(at)
      const type = buf.toString('latin1', at + 4, at + 8)
      if (type === 'tRNS') hasAlpha = true
      if (type === 'IDAT' || type === 'IEND' || type === 'tRNS') break
      at += 12 + length
    }
  }
  return { width, height, hasAlpha }
}

/** Thrown by {@link decodePng} for bytes that are not a readable PNG. */
export class PngError extends Error {
  override name = 'PngError'
}

/** Decodes any PNG (every bit depth, palette, grey, interlaced) to 8-bit RGBA. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return {
      width: png.width,
      height: png.height,
      data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
    }
  } catch (error) {
    throw new PngError(`not a readable PNG: ${(error as Error).message}`)
  }
}

/**
 * Encodes RGBA pixels as a PNG. `level` is zlib's (1 is fast and still compresses the smooth
 * images engines make well; 9 is smallest).
 */
export function encodePng(image: RgbaImage, options: { level?: number } = {}): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 6, inputHasAlpha: true })
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  return PNG.sync.write(png, { deflateLevel: options.level ?? 3, filterType: -1 })
}

/** Bilinear resize to `width` × `height` (a square of `width` when `height` is left out). */
export function resizeRgba(image: RgbaImage, width: number, height: number = width): RgbaImage {
  if (image.width === width && image.height === height) return image
  const out = new Uint8Array(width * height * 4)
  const sx = image.width / width
  const sy = image.height / height
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5)
    const y0 = Math.min(image.height - 1, Math.floor(fy))
    const y1 = Math.min(image.height - 1, y0 + 1)
    const wy = fy - y0
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5)
      const x0 = Math.min(image.width - 1, Math.floor(fx))
      const x1 = Math.min(image.width - 1, x0 + 1)
      const wx = fx - x0
      const a = (y0 * image.width + x0) * 4
      const b = (y0 * image.width + x1) * 4
      const c = (y1 * image.width + x0) * 4
      const d = (y1 * image.width + x1) * 4
      const o = (y * width + x) * 4
      for (let k = 0; k < 4; k++) {
        const top = image.data[a + k]! * (1 - wx) + image.data[b + k]! * wx
        const bottom = image.data[c + k]! * (1 - wx) + image.data[d + k]! * wx
        out[o + k] = Math.round(top * (1 - wy) + bottom * wy)
      }
    }
  }
  return { width, height, data: out }
}

/** What {@link toSizedPng} made of an engine's output: the PNG, or what is wrong with the bytes. */
export type SizedPng =
  | { readonly ok: true; readonly png: Buffer }
  | { readonly ok: false; readonly problem: 'not a PNG' | 'damaged'; readonly cause?: unknown }
/** The name it had while every size was square. */
export type SquarePng = SizedPng

/**
 * An engine's output as a PNG of exactly `width` × `height`: the bytes themselves when their header
 * already says so, else decoded, cut to the asked shape (the middle kept, as a cover crop: nothing
 * is squashed) and scaled. Halving first keeps the bilinear resize from skipping pixels when 1024
 * becomes 256. Bad bytes are an answer an upstream may give, so they are a value.
 *
 * @example
 * const sized = toSizedPng(Buffer.from(b64, 'base64'), 1536, 1024) // a 1024 px square, cut and scaled
 * if (!sized.ok) throw new EngineError('UPSTREAM_ERROR', `the upstream returned ${sized.problem}`)
 */
export function toSizedPng(bytes: Buffer, width: number, height: number): SizedPng {
  const info = pngInfo(bytes)
  if (!info) return { ok: false, problem: 'not a PNG' }
  if (info.width === width && info.height === height) return { ok: true, png: bytes }
  let image: RgbaImage
  try {
    image = decodePng(bytes)
  } catch (error) {
    return { ok: false, problem: 'damaged', cause: error }
  }
  image = cropToAspect(image, width / height)
  while (image.width >= width * 2 && image.height >= height * 2) {
    image = resizeRgba(image, Math.floor(image.width / 2), Math.floor(image.height / 2))
  }
  return { ok: true, png: encodePng(resizeRgba(image, width, height)) }
}

/** {@link toSizedPng} for a square of `size` pixels per side. */
export function toSquarePng(bytes: Buffer, size: number): SizedPng {
  return toSizedPng(bytes, size, size)
}

/**
 * The largest middle part of `image` with the shape `aspect` (width / height); the image itself
 * when it has that shape already (to within a pixel).
 */
export function cropToAspect(image: RgbaImage, aspect: number): RgbaImage {
  const width = Math.min(image.width, Math.round(image.height * aspect))
  const height = Math.min(image.height, Math.round(image.width / aspect))
  if (Math.abs(width - image.width) <= 1 && Math.abs(height - image.height) <= 1) return image
  const left = Math.floor((image.width - width) / 2)
  const top = Math.floor((image.height - height) / 2)
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 4
    data.set(image.data.subarray(from, from + width * 4), y * width * 4)
  }
  return { width, height, data }
}

/**
 * Whether a PNG's compressed image data really holds every row its header declares. A PNG that is
 * only a header (or whose data stops short) would otherwise be "decoded" into a buffer the size
 * the header claims, filled with whatever memory held: refused instead, before any work is done.
 */
export function pngDataComplete(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const info = pngInfo(buf)
  if (!info) return false
  const bitDepth = buf[24]!
  const channels = CHANNELS[buf[25]!]
  const interlaced = buf[28] === 1
  if (channels === undefined) return false
  const parts: Buffer[] = []
  let ended = false
  for (let at = 8; at + 8 <= buf.length; ) {
    const length = buf.readUInt32BE(at)
    const type = buf.toString('latin1', at + 4, at + 8)
    if (at + 12 + length > buf.length) return false
    if (type === 'IDAT') parts.push(buf.subarray(at + 8, at + 8 + length))
    if (type === 'IEND') {
      ended = true
      break
    }
    at += 12 + length
  }
  if (!ended || parts.length === 0) return false
  const rowBytes = Math.ceil((info.width * bitDepth * channels) / 8)
  // Interlaced images store seven passes with their own filter bytes: at least the plain size.
  const expected = info.height * (1 + rowBytes)
  try {
    const raw = inflateSync(Buffer.concat(parts), {
      maxOutputLength: expected + (interlaced ? expected : 0) + 1024,
    })
    return raw.length >= (interlaced ? Math.floor(expected * 0.9) : expected)
  } catch {
    return false
  }
}

/** Samples per pixel by PNG colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
