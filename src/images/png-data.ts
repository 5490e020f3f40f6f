import { promisify } from 'node:util'
import { inflate } from 'node:zlib'

const inflateAsync = promisify(inflate)

/** Bits per pixel of a PNG's stored samples, by colour type (palette: one index a pixel). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

/** Adam7's seven passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const

/**
 * The exact number of bytes a PNG's image data inflates to, from its header: each row is one
 * filter byte plus its packed samples; an interlaced image has seven such passes.
 *
 * @example
 * pngFilteredBytes({ width: 64, height: 64, bitDepth: 8, colourType: 6, interlaced: false }) // 16448
 */
export function pngFilteredBytes(h: {
  width: number
  height: number
  bitDepth: number
  colourType: number
  interlaced: boolean
}): number | null {
  const samples = SAMPLES[h.colourType]
  if (samples === undefined) return null
  const bitsPerPixel = samples * h.bitDepth
  const rows = (width: number, height: number) =>
    width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bitsPerPixel) / 8))
  if (!h.interlaced) return rows(h.width, h.height)
  let total = 0
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(Math.ceil(Math.max(0, h.width - x0) / dx), Math.ceil(Math.max(0, h.height - y0) / dy))
  }
  return total
}

/**
 * Whether a PNG's compressed image data (its IDAT chunks) inflates to more than its header says
 * it holds. Decoders stop using the data at the last row but may still inflate all of it, so a
 * 64×64 PNG can carry 4 GB of zeros that cost seconds of CPU to read: such a file is refused. The
 * check inflates at most the declared size plus one byte, in libuv's threadpool (zlib's async API),
 * never on the event loop. A file with less data than declared is left to the decoder, which
 * finds it cut short.
 */
export async function pngDataOverflows(bytes: Buffer): Promise<boolean> {
  if (bytes.length < 33) return false
  const width = bytes.readUInt32BE(16)
  const height = bytes.readUInt32BE(20)
  const expected = pngFilteredBytes({
    width,
    height,
    bitDepth: bytes[24]!,
    colourType: bytes[25]!,
    interlaced: bytes[28] === 1,
  })
  if (expected === null) return false
  const parts: Buffer[] = []
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at)
    const type = bytes.toString('latin1', at + 4, at + 8)
    const end = Math.min(bytes.length, at + 8 + length)
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, end))
    if (type === 'IEND') break
    at += 12 + length
  }
  try {
    await inflateAsync(Buffer.concat(parts), { maxOutputLength: expected + 1 })
    return false
  } catch (error) {
    // Past the declared size: too much data. Any other zlib error is the decoder's to report.
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
  }
}
