import { deflateSync } from 'node:zlib'
import sharp from 'sharp'

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** One PNG chunk with a correct CRC, so that only what a test means to break is broken. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data])
  let c = 0xffffffff
  for (const b of typed) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  const out = Buffer.alloc(8 + data.length + 4)
  out.writeUInt32BE(data.length)
  typed.copy(out, 4)
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length)
  return out
}

/** An IHDR chunk: `width`×`height`, 8-bit RGBA unless told otherwise. */
export function ihdr(width: number, height: number, bitDepth = 8, colourType = 6): Buffer {
  const data = Buffer.alloc(13)
  data.writeUInt32BE(width, 0)
  data.writeUInt32BE(height, 4)
  data[8] = bitDepth
  data[9] = colourType
  return pngChunk('IHDR', data)
}

/**
 * A decompression bomb: a real, complete PNG declaring `side`×`side` black 1-bit grey pixels.
 * Its rows deflate to almost nothing (20000×20000 is about 50 KB) and decode to `side`² bytes at
 * least (400 MB; 1.6 GB as RGBA).
 */
export function bombPng(side: number): Buffer {
  const rows = Buffer.alloc(side * (1 + Math.ceil(side / 8)))
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(side, side, 1, 0),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A PNG that is only a header claiming `width`×`height` RGBA pixels: 57 bytes. */
export function headerOnlyPng(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 8, 6), pngChunk('IEND', Buffer.alloc(0))])
}

/**
 * One colour, `side`×`side`, opaque: 4096×4096 compresses to about 72 KB and is exactly the
 * default pixel budget, so it passes every header check and must really be decoded.
 */
export function solidPng(side: number, colour = '#19c837'): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 4, background: colour } })
    .png({ compressionLevel: 9 })
    .toBuffer()
}
