import { pngInfo } from './png.ts'

/** The image formats uploads may come in (what gpt-image takes). */
export type ImageFormat = 'png' | 'jpeg' | 'webp'

export const FORMAT_NAMES: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' }

/** What an image file declares about itself before a single pixel is decoded. */
export interface ImageHeader {
  format: ImageFormat
  /** As stored; a JPEG's EXIF orientation may turn it a quarter (same pixel count). */
  width: number
  height: number
  /**
   * Bytes its pixels take once decoded, as declared: width × height × channels × bytes per sample
   * (16-bit PNGs and 12-bit JPEGs take two bytes a sample).
   */
  decodedBytes: number
}

export type HeaderRead =
  | { ok: true; header: ImageHeader }
  /** `unknown`: not a PNG, JPEG or WebP at all; `damaged`: one of them whose header is broken. */
  | { ok: false; problem: 'unknown' }
  | { ok: false; problem: 'damaged'; format: ImageFormat; why: string }

/**
 * Reads an image's format and declared size from its first bytes — PNG's IHDR, JPEG's frame
 * header (SOF), WebP's VP8/VP8L/VP8X header — without inflating anything, so that an upload too
 * large to decode is refused for the price of reading a few dozen bytes.
 *
 * @example
 * const read = readImageHeader(bytes)
 * if (read.ok && read.header.width * read.header.height > maxPixels) refuse()
 */
export function readImageHeader(bytes: Uint8Array): HeaderRead {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return pngHeader(buf)
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return jpegHeader(buf)
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP')
    return webpHeader(buf)
  return { ok: false, problem: 'unknown' }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Samples per pixel by PNG colour type, once decoded (a palette becomes RGB). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }

function pngHeader(buf: Buffer): HeaderRead {
  const info = pngInfo(buf)
  const channels = PNG_CHANNELS[buf[25] ?? -1]
  if (!info || channels === undefined) {
    return { ok: false, problem: 'damaged', format: 'png', why: 'its header (IHDR) is missing or invalid' }
  }
  // A tRNS chunk adds an alpha channel to grey, RGB and palette images.
  const decodedChannels = info.hasAlpha && (channels === 1 || channels === 3) ? channels + 1 : channels
  const sampleBytes = buf[24] === 16 ? 2 : 1
  return {
    ok: true,
    header: {
      format: 'png',
      width: info.width,
      height: info.height,
      decodedBytes: info.width * info.height * decodedChannels * sampleBytes,
    },
  }
}

/**
 * Walks a JPEG's marker segments up to its frame header. Every segment before it (APPn with EXIF,
 * ICC profiles, tables) carries its own length, so this reads a few bytes per segment; the scan
 * data, where a decoder spends its time, comes after the frame header and is never reached.
 */
function jpegHeader(buf: Buffer): HeaderRead {
  const damaged = (why: string): HeaderRead => ({ ok: false, problem: 'damaged', format: 'jpeg', why })
  let at = 2
  for (;;) {
    if (at >= buf.length) return damaged('it ends before its frame header')
    if (buf[at] !== 0xff) return damaged('its segments are malformed')
    // Any number of 0xff fill bytes may precede a marker.
    while (at < buf.length && buf[at] === 0xff) at++
    if (at >= buf.length) return damaged('it ends before its frame header')
    const marker = buf[at]!
    at++
    // Markers without a segment: TEM and the restart markers.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue
    if (marker === 0xd9 || marker === 0xda) return damaged('it has no frame header before its image data')
    if (at + 2 > buf.length) return damaged('it ends before its frame header')
    const length = buf.readUInt16BE(at)
    if (length < 2) return damaged('its segments are malformed')
    if (isStartOfFrame(marker)) {
      if (at + 8 > buf.length || length < 8) return damaged('its frame header is cut short')
      const precision = buf[at + 2]!
      const height = buf.readUInt16BE(at + 3)
      const width = buf.readUInt16BE(at + 5)
      const components = buf[at + 7]!
      // A height of 0 means "given later, after the first scan" (a DNL marker): not worth supporting.
      if (width === 0 || height === 0 || components === 0) {
        return damaged(`its frame header declares ${width}x${height} pixels`)
      }
      return {
        ok: true,
        header: {
          format: 'jpeg',
          width,
          height,
          decodedBytes: width * height * Math.max(3, components) * (precision > 8 ? 2 : 1),
        },
      }
    }
    at += length
  }
}

/** SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

/** The first chunk of a WebP tells its size: VP8X (extended, the canvas), VP8L (lossless) or VP8. */
function webpHeader(buf: Buffer): HeaderRead {
  const damaged = (why: string): HeaderRead => ({ ok: false, problem: 'damaged', format: 'webp', why })
  if (buf.length < 30) return damaged('it ends inside its header')
  const chunk = buf.toString('latin1', 12, 16)
  const data = 20
  let width: number
  let height: number
  let alpha: boolean
  switch (chunk) {
    case 'VP8X':
      alpha = (buf[data]! & 0x10) !== 0
      width = buf.readUIntLE(data + 4, 3) + 1
      height = buf.readUIntLE(data + 7, 3) + 1
      break
    case 'VP8L': {
      if (buf[data] !== 0x2f) return damaged('its lossless header is invalid')
      const bits = buf.readUInt32LE(data + 1)
      width = (bits & 0x3fff) + 1
      height = ((bits >>> 14) & 0x3fff) + 1
      alpha = ((bits >>> 28) & 1) === 1
      break
    }
    case 'VP8 ':
      // A key frame's start code, then 14-bit width and height (the top two bits are scaling).
      if (buf[data + 3] !== 0x9d || buf[data + 4] !== 0x01 || buf[data + 5] !== 0x2a) {
        return damaged('its frame header is invalid')
      }
      width = buf.readUInt16LE(data + 6) & 0x3fff
      height = buf.readUInt16LE(data + 8) & 0x3fff
      alpha = false
      break
    default:
      return damaged(`it starts with an unknown chunk "${chunk.replace(/[^\x20-\x7e]/g, '?')}"`)
  }
  if (width === 0 || height === 0) return damaged(`its header declares ${width}x${height} pixels`)
  return {
    ok: true,
    header: { format: 'webp', width, height, decodedBytes: width * height * (alpha ? 4 : 3) },
  }
}
