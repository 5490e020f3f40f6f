import { deflateSync } from 'node:zlib'
import { encodePng } from '../../../src/images/png.ts'
import { ihdr, PNG_SIGNATURE, pngChunk } from '../../support/hostile-images.ts'
import { type Build, type Send, send } from './requests.ts'

/*
 * The uploads' side of the sweep: multipart bodies built part by part, the images they carry (good
 * ones, damaged ones, decompression bombs), and the three routes that take them.
 */

// ── Multipart ────────────────────────────────────────────────────────────────────────────────────

export type Part =
  | { name: string; value: string }
  | { name: string; file: Buffer; filename?: string; type?: string }

const BOUNDARY = 'easel-bad-input-boundary'

export function multipartBody(parts: readonly Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    if ('value' in p) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`,
        ),
      )
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename ?? `${p.name}.png`}"\r\nContent-Type: ${p.type ?? 'image/png'}\r\n\r\n`,
        ),
        p.file,
        Buffer.from('\r\n'),
      )
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

export const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`

// ── Images ───────────────────────────────────────────────────────────────────────────────────────

/** A gradient; with `hole`, a fully transparent square in the middle (what a mask needs). */
function picture(width: number, height = width, hole = false): Buffer {
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const inHole = hole && Math.abs(x - width / 2) < width / 4 && Math.abs(y - height / 2) < height / 4
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / height
      data[i + 2] = 128
      data[i + 3] = inHole ? 0 : 255
    }
  }
  return encodePng({ width, height, data })
}

/** A PNG that is only a header: it claims a size and carries no image data. */
const headerOnlyPng = (width: number, height: number) =>
  Buffer.concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IEND', Buffer.alloc(0))])

/** A well-formed 64×64 PNG whose IDAT's compressed stream is damaged (its CRC still right). */
function corruptIdatPng(): Buffer {
  const size = 64
  const raw = Buffer.alloc(size * (1 + size * 4))
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size * 4; x++) raw[y * (1 + size * 4) + 1 + x] = (x * 7 + y * 13) & 0xff
  }
  const idat = deflateSync(raw)
  for (let i = 10; i < idat.length - 10; i += 3) idat[i] = idat[i]! ^ 0xa5
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(size, size),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * A decompression bomb: a PNG declaring `width`×`height` whose IDAT is `inflated` bytes of zeros
 * deflated (16 MB of zeros deflate to about 16 KB, well under the upload limit).
 */
function zlibBombPng(width: number, height: number, inflated: number, bitDepth = 8): Buffer {
  const idat = deflateSync(Buffer.alloc(inflated), { level: 9 })
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, bitDepth),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

export const PNG_256 = picture(256)
export const MASK_256 = picture(256, 256, true)
export const IMAGES = {
  gif: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'),
  jpeg: Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00]),
    Buffer.alloc(48, 0x20),
    Buffer.from([0xff, 0xd9]),
  ]),
  corruptIdat: corruptIdatPng(),
  onePixel: encodePng({ width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) }),
  headerOnly5000: headerOnlyPng(5000, 5000),
  headerOnly4096: headerOnlyPng(4096, 4096),
  mask128: picture(128, 128, true),
  opaqueMask: picture(256),
  // Over the suite's 1 MB upload limit.
  tooLarge: Buffer.concat([PNG_256, Buffer.alloc(1_200_000)]),
  // Decompression: a few dozen bytes, or a few KB, that would inflate to gigabytes.
  headerOnly20000: headerOnlyPng(20000, 20000),
  bomb20000: zlibBombPng(20000, 20000, 16 * 1024 * 1024),
  // Within the pixel budget (4096x4096) but 16 bits a sample: 128 MB once decoded, twice the budget.
  bomb4096x16bit: zlibBombPng(4096, 4096, 16 * 1024 * 1024, 16),
  // A 64x64 PNG needs 16 KB of image data; this one's inflates to 16 MB (decoders disagree on it).
  bombIn64: zlibBombPng(64, 64, 16 * 1024 * 1024),
  // Under the 1 MB upload limit, so that only the whole body is over its limit.
  almostTooLarge: Buffer.concat([PNG_256, Buffer.alloc(900 * 1024)]),
}

export interface MultipartRoute {
  label: string
  url: string
  /** The text fields of a valid request. */
  fields: Part[]
  v1: boolean
  takesMask: boolean
}

export const MULTIPART_ROUTES: MultipartRoute[] = [
  {
    label: 'POST /v1/images/edits',
    url: '/v1/images/edits',
    fields: [
      { name: 'prompt', value: 'add a red boat' },
      { name: 'n', value: '1' },
      { name: 'size', value: '256x256' },
    ],
    v1: true,
    takesMask: true,
  },
  {
    label: 'POST /v1/images/variations',
    url: '/v1/images/variations',
    fields: [
      { name: 'n', value: '1' },
      { name: 'size', value: '256x256' },
    ],
    v1: true,
    takesMask: false,
  },
  {
    label: 'POST /api/jobs (multipart)',
    url: '/api/jobs',
    fields: [
      { name: 'kind', value: 'edit' },
      { name: 'prompt', value: 'add a red boat' },
      { name: 'n', value: '1' },
      { name: 'size', value: '256x256' },
    ],
    v1: false,
    takesMask: true,
  },
]

export const image = (file: Buffer, name = 'image'): Part => ({ name, file })

export function multipart(
  route: MultipartRoute,
  parts: Part[],
  extra: Omit<Send, 'method' | 'url'> = {},
): Build {
  return send({ method: 'POST', url: route.url, raw: multipartBody(parts), type: MULTIPART, ...extra })
}
