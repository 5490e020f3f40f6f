import sharp, { type OutputInfo } from 'sharp'
import { type DecodeGate, uploadDecodeGate } from './decode-gate.ts'
import { FORMAT_NAMES, type ImageFormat, type ImageHeader, readImageHeader } from './image-header.ts'
import { pngDataOverflows } from './png-data.ts'

/** Uploads smaller than this on either side are refused: nothing useful can be drawn from them. */
export const MIN_UPLOAD_SIDE = 16
/** The largest square the engines make; an upload is never kept larger than they can use. */
export const MAX_NORMALISED_SIDE = 1024
/** The pixel budget when none is configured (`EASEL_MAX_UPLOAD_PIXELS`'s default). */
export const DEFAULT_MAX_UPLOAD_PIXELS = 4096 * 4096

/** `image`: the picture to edit or vary (PNG, JPEG or WebP); `mask`: OpenAI's mask (PNG). */
export type UploadRole = 'image' | 'mask'

export interface UploadLimits {
  /** Largest file, in bytes. */
  maxBytes: number
  /** Largest image in pixels (width × height), as its header declares it, before any decoding. */
  maxPixels: number
}

/** A check's answer: the value, or what is wrong, worded to follow the field's name. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string }

export interface NormalisedUpload {
  /** What the engines take: a square PNG, `side` pixels wide. */
  png: Buffer
  side: number
  format: ImageFormat
  /** The upload's size as it is seen (turned by its EXIF orientation), before cropping and scaling. */
  width: number
  height: number
  /** Whether a pixel of `png` is fully transparent (alpha 0): for a mask, the area to change. */
  hasTransparentPixel: boolean
}

/**
 * Everything that can be checked without decoding, from the file's length and its header: that
 * it is there, not too long, a format the role takes, and within the pixel budget and the decoded
 * size that follows from it (an 8-bit RGBA image of `maxPixels`, so a 16-bit one gets half the
 * pixels). A file declaring 20000×20000 is refused here, for the price of reading its header.
 */
export function checkUploadHeader(
  bytes: Uint8Array | undefined | null,
  role: UploadRole,
  limits: UploadLimits,
): Checked<ImageHeader> {
  const what = role === 'image' ? 'a PNG, JPEG or WebP file' : 'a PNG file'
  if (!bytes || bytes.length === 0) return refuse(`is required (${what})`)
  if (bytes.length > limits.maxBytes) {
    return refuse(`must be at most ${formatBytes(limits.maxBytes)} (it is ${formatBytes(bytes.length)})`)
  }
  const read = readImageHeader(bytes)
  if (!read.ok && read.problem === 'unknown') {
    return refuse(
      role === 'image' ? 'must be a PNG image, a JPEG or a WebP' : 'must be a PNG image with transparency',
    )
  }
  if (!read.ok) return refuse(`is a damaged or incomplete ${FORMAT_NAMES[read.format]} (${read.why})`)
  const { header } = read
  const { width, height } = header
  if (role === 'mask' && header.format !== 'png') {
    return refuse(`must be a PNG image with transparency (it is a ${FORMAT_NAMES[header.format]})`)
  }
  if (width < MIN_UPLOAD_SIDE || height < MIN_UPLOAD_SIDE) {
    return refuse(`must be at least ${MIN_UPLOAD_SIDE} pixels wide and high (it is ${width}x${height})`)
  }
  if (width * height > limits.maxPixels) {
    return refuse(
      `is ${width}x${height} (${width * height} pixels); at most ${pixelsText(limits.maxPixels)} are allowed`,
    )
  }
  const maxDecodedBytes = limits.maxPixels * 4
  if (header.decodedBytes > maxDecodedBytes) {
    return refuse(
      `would take ${formatBytes(header.decodedBytes)} once decoded (${width}x${height} at ${header.decodedBytes / (width * height)} bytes a pixel); at most ${formatBytes(maxDecodedBytes)}`,
    )
  }
  return { ok: true, value: header }
}

/**
 * Decodes an upload whose header passed {@link checkUploadHeader} and makes it what the engines
 * take: a square PNG of at most {@link MAX_NORMALISED_SIDE} pixels. All the work happens in
 * sharp (libuv's threadpool), one `gate` slot at a time, never on the event loop.
 *
 * The rule, the same for the image and its mask so that they stay aligned pixel for pixel:
 * 1. turn it upright by its EXIF orientation (a phone photo's 4032×3024 may be 3024×4032 as seen);
 * 2. cut the largest centred square (`min(width, height)` a side; the longer side loses equally at
 *    both ends, the odd pixel at the far end);
 * 3. scale that square down to 1024 if larger (never up). The image is scaled with a Lanczos
 *    filter; the mask by nearest neighbour, so that its alpha stays exactly as painted (a pixel
 *    transparent after scaling was transparent before; none becomes half transparent).
 * Every upload is written anew by sharp, even a square PNG that needed nothing: a PNG whose
 * image data inflates far past its pixels (a zlib bomb in a 64×64 file) decodes here, but would
 * be refused by an engine's own decoder; engines only ever get PNGs that sharp wrote.
 *
 * `sameSizeAs` (for a mask: the image's upright size) is compared before any pixel is decoded.
 * Anything sharp cannot decode (a damaged or cut-short file) is refused as damaged, never thrown.
 */
export async function normaliseUpload(
  bytes: Buffer,
  header: ImageHeader,
  options: {
    role: UploadRole
    limits: UploadLimits
    sameSizeAs?: { width: number; height: number }
    gate?: DecodeGate
  },
): Promise<Checked<NormalisedUpload>> {
  const { role, limits } = options
  const damaged = refuse<NormalisedUpload>(
    `is a damaged or incomplete ${FORMAT_NAMES[header.format]} (its image data cannot be decoded)`,
  )
  // A second guard behind the header check: sharp refuses to decode more than the budget itself.
  const input = { limitInputPixels: limits.maxPixels, failOn: 'error', sequentialRead: true } as const
  return (options.gate ?? uploadDecodeGate).run(async () => {
    if (header.format === 'png' && (await pngDataOverflows(bytes))) {
      return refuse<NormalisedUpload>(
        `is a damaged PNG: its image data is larger than a ${header.width}x${header.height} image holds`,
      )
    }
    let upright: { width: number; height: number }
    try {
      upright = (await sharp(bytes, input).metadata()).autoOrient
    } catch {
      return damaged
    }
    const { width, height } = upright
    if (options.sameSizeAs && (options.sameSizeAs.width !== width || options.sameSizeAs.height !== height)) {
      const want = options.sameSizeAs
      return refuse(
        `must be the same size as the image (${want.width}x${want.height}), not ${width}x${height}`,
      )
    }
    const side = Math.min(width, height)
    const target = Math.min(side, MAX_NORMALISED_SIDE)
    let pipeline = sharp(bytes, input).autoOrient()
    if (width !== height) {
      pipeline = pipeline.extract({
        left: Math.floor((width - side) / 2),
        top: Math.floor((height - side) / 2),
        width: side,
        height: side,
      })
    }
    if (target !== side) {
      // No shrink-on-load: a JPEG decoded at a reduced scale would not line up with its PNG mask.
      pipeline = pipeline.resize(target, target, {
        kernel: role === 'mask' ? 'nearest' : 'lanczos3',
        fastShrinkOnLoad: false,
      })
    }
    if (role === 'mask') pipeline = pipeline.ensureAlpha()
    let raw: { data: Buffer; info: OutputInfo }
    try {
      // Decoding it whole is what finds a damaged or cut-short file.
      raw = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
    } catch {
      return damaged
    }
    const { channels } = raw.info
    let hasTransparentPixel = false
    if (channels === 4 || channels === 2) {
      for (let i = channels - 1; i < raw.data.length; i += channels) {
        if (raw.data[i] === 0) {
          hasTransparentPixel = true
          break
        }
      }
    }
    const png = await sharp(raw.data, { raw: { width: target, height: target, channels } })
      .png({ compressionLevel: 6 })
      .toBuffer()
    return {
      ok: true,
      value: { png, side: target, format: header.format, width, height, hasTransparentPixel },
    }
  })
}

const refuse = <T>(message: string): Checked<T> => ({ ok: false, message })

/** The budget as people read it: `16777216 pixels (4096x4096)`, or just the count when not a square. */
function pixelsText(pixels: number): string {
  const side = Math.floor(Math.sqrt(pixels))
  return side * side === pixels ? `${pixels} pixels (${side}x${side})` : `${pixels} pixels`
}

/** Sizes as people write them: 4 MB, 1.5 MB, 300 KB. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 100) / 100} MB`
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`
  return `${n} bytes`
}
