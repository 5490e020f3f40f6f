import zlib from 'node:zlib'
import type { RgbaImage } from '../../images/png.ts'

/**
 * Encodes the engine's opaque images as 8-bit RGB PNGs, fast.
 *
 * Why not `encodePng` from `images/png.ts`: pngjs picks a filter per row by trying all five
 * (filterType -1), which alone costs ~30 ms for a 512² image on our 2-core machine — more than
 * half of the 50 ms the sketch engine has per image. The sketch's images are smooth gradients
 * and flat shapes, where one fixed filter (Paeth, or Up) compresses as well, and dropping the
 * always-opaque alpha channel cuts the bytes to filter and deflate by a quarter.
 */
export function encodeOpaquePng(
  image: RgbaImage,
  options: { level?: number; filter?: 'up' | 'paeth' } = {},
): Buffer {
  // Buffer writes wrap modulo 256, which is exactly PNG's filter arithmetic.
  const { width, height, data } = image
  const stride = width * 3
  const raw = Buffer.allocUnsafe((stride + 1) * height)
  const paeth = options.filter === 'paeth' // Up by default: as small here, and faster
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1)
    const src = y * width * 4
    const above = src - width * 4
    raw[out] = paeth ? 4 : 2
    if (y === 0) {
      // Both filters reduce to "Sub" or "None" on the first row; "Up" with a zero row is "None".
      for (let x = 0, o = out + 1, s = src; x < width; x++, o += 3, s += 4) {
        const r = data[s]!
        const g = data[s + 1]!
        const b = data[s + 2]!
        if (paeth && x > 0) {
          raw[o] = r - data[s - 4]!
          raw[o + 1] = g - data[s - 3]!
          raw[o + 2] = b - data[s - 2]!
        } else {
          raw[o] = r
          raw[o + 1] = g
          raw[o + 2] = b
        }
      }
    } else if (!paeth) {
      for (let x = 0, o = out + 1, s = src; x < width; x++, o += 3, s += 4) {
        raw[o] = data[s]! - data[s - width * 4]!
        raw[o + 1] = data[s + 1]! - data[s + 1 - width * 4]!
        raw[o + 2] = data[s + 2]! - data[s + 2 - width * 4]!
      }
    } else {
      for (let x = 0, o = out + 1; x < width; x++, o += 3) {
        for (let c = 0; c < 3; c++) {
          const s = src + x * 4 + c
          const a = x > 0 ? data[s - 4]! : 0
          const b = data[above + x * 4 + c]!
          const cc = x > 0 ? data[above + x * 4 + c - 4]! : 0
          const p = a + b - cc
          const pa = p > a ? p - a : a - p
          const pb = p > b ? p - b : b - p
          const pc = p > cc ? p - cc : cc - p
          raw[o + c] = data[s]! - (pa <= pb && pa <= pc ? a : pb <= pc ? b : cc)
        }
      }
    }
  }
  const idat = zlib.deflateSync(raw, { level: options.level ?? 1 })
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type: truecolour, no alpha
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, 'latin1')
  body.copy(out, 8)
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + body.length)), 8 + body.length)
  return out
}
