import { Readable } from 'node:stream'
import { deflateSync, gzipSync } from 'node:zlib'
import type { InjectOptions } from 'fastify'
import { sql } from 'kysely'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodePng } from '../../src/images/png.ts'
import { BACKENDS } from '../support/backends.ts'
import { ihdr, PNG_SIGNATURE, pngChunk } from '../support/hostile-images.ts'
import { type TestServer, type TestUser, useTestServer } from '../support/server.ts'

/*
 * The bad-input sweep: every route of both surfaces, sent what a careless or hostile client sends.
 * Each refusal must be a 4xx (never a 5xx) in the surface's error shape (OpenAI's under /v1, ours
 * elsewhere), with a message that names what is wrong, and must leave everything as it was: the
 * caller's credits (available unchanged, nothing held), no job, image, user, key, session, lot or
 * journal row more or less, and a ledger that verifies.
 *
 * The cases are tables. A case builds its request from a fresh caller (an account with 5 credits,
 * an API key, and a browser session on demand) and the suite's fixtures: an administrator, and
 * another account with a finished job, two images (one a favourite), a signed link and a second key.
 */

// ── Fixtures ─────────────────────────────────────────────────────────────────────────────────────

interface Session {
  cookie: string
  csrf: string
}

interface Subject {
  user: TestUser
  /** A signed-in browser session of the subject (made on first use). */
  session(): Promise<Session>
}

interface Fixtures {
  admin: TestUser
  other: TestUser
  otherJobId: string
  /** The other account's favourite image, and one that is not a favourite. */
  otherFavouriteId: string
  otherPlainId: string
  /** A working signed link to `otherFavouriteId`. */
  link: { file: string; expires: number; signature: string }
  otherKeyId: string
}

interface Ctx {
  me: Subject
  f: Fixtures
  t: TestServer
}

type Build = (c: Ctx) => InjectOptions | Promise<InjectOptions>

interface Refusal {
  name: string
  request: Build
  /** The status a correct server answers with (one of them, where two are defensible). */
  status: number | readonly number[]
  /** What the message must say. */
  message: RegExp
  /** The error code: OpenAI's `code` under /v1, ours elsewhere. */
  code?: string
  /** Under /v1: the `param` the error must name. */
  param?: string | null
}

// ── Requests ─────────────────────────────────────────────────────────────────────────────────────

type As = 'me' | 'admin' | 'nobody' | 'session' | 'cookie-without-csrf'

interface Send {
  method: InjectOptions['method']
  url: string
  /** Sent as JSON. */
  body?: unknown
  /** Sent as it is, with `type` (default application/json). */
  raw?: string | Buffer
  type?: string
  headers?: Record<string, string>
  as?: As
}

const bearer = (u: TestUser) => ({ authorization: `Bearer ${u.apiKey}` })

async function credentials(as: As, c: Ctx): Promise<Record<string, string>> {
  switch (as) {
    case 'me':
      return bearer(c.me.user)
    case 'admin':
      return bearer(c.f.admin)
    case 'nobody':
      return {}
    case 'session': {
      const s = await c.me.session()
      return { cookie: s.cookie, 'x-csrf-token': s.csrf }
    }
    case 'cookie-without-csrf':
      return { cookie: (await c.me.session()).cookie }
  }
}

function send(s: Send): Build {
  return async (c) => {
    const headers: Record<string, string> = { ...(await credentials(s.as ?? 'me', c)) }
    let payload: string | Buffer | undefined
    if (s.raw !== undefined) {
      payload = s.raw
      headers['content-type'] = s.type ?? 'application/json'
    } else if (s.body !== undefined) {
      payload = JSON.stringify(s.body)
      headers['content-type'] = s.type ?? 'application/json'
    }
    return {
      method: s.method,
      url: s.url,
      headers: { ...headers, ...s.headers },
      ...(payload === undefined ? {} : { payload }),
    }
  }
}

const post = (url: string, body: unknown, extra: Omit<Send, 'method' | 'url' | 'body'> = {}) =>
  send({ method: 'POST', url, body, ...extra })
const get = (url: string, extra: Omit<Send, 'method' | 'url'> = {}) => send({ method: 'GET', url, ...extra })

async function signIn(t: TestServer, user: TestUser): Promise<Session> {
  const res = await t.server.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { email: user.email, password: user.password },
  })
  expect(res.statusCode, res.body).toBe(200)
  const cookie = res.cookies.find((c) => c.name === 'easel_session')
  if (!cookie) throw new Error('sign-in set no session cookie')
  return { cookie: `easel_session=${cookie.value}`, csrf: res.json().csrfToken }
}

// ── Multipart ────────────────────────────────────────────────────────────────────────────────────

type Part = { name: string; value: string } | { name: string; file: Buffer; filename?: string; type?: string }

const BOUNDARY = 'easel-bad-input-boundary'

function multipartBody(parts: readonly Part[], boundary = BOUNDARY): Buffer {
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

const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`

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

const PNG_256 = picture(256)
const MASK_256 = picture(256, 256, true)
const IMAGES = {
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

// ── The routes' valid requests, which each bad one departs from in one way ────────────────────────

const GEN = { prompt: 'a lighthouse at dusk', n: 1, size: '256x256' }
const JOB = { kind: 'generate', prompt: 'a lighthouse at dusk', n: 1, size: '256x256' }
const CARD = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' }
const PURCHASE = { packId: 'pack-115', quantity: 1, card: CARD }
const ID_TAIL = '01jd3q8z6x4c9m2k7w5e0t1r8b' // well-formed, names nothing

/** Strings that are not ids, whatever the route expects (raw: encode them for a path). */
const NOT_IDS = [
  ['a wrong prefix', (prefix: string) => `${prefix === 'job' ? 'img' : 'job'}_${ID_TAIL}`],
  ['an SQL-looking string', () => "1' OR '1'='1' --"],
  ['a path traversal', () => '../../etc/passwd'],
  ['unicode', (prefix: string) => `${prefix}_ünïcødé✓🙂`],
  ['an id 4 000 characters long', (prefix: string) => `${prefix}_${'a'.repeat(4000)}`],
] as const

/** A not-an-id in a path: percent-encoded, so that it reaches the route as one segment. */
const inPath = (id: string) => encodeURIComponent(id)

/**
 * How refusing a not-an-id in a path must look: the route's "must be a job_… id", or, for an id too
 * long for the router to match (over Fastify's maxParamLength), a 400/404/414 that says so.
 */
function pathIdRefusal(what: string, prefix: string): Pick<Refusal, 'status' | 'message'> {
  const mustBe = `id: must be a ${prefix}_… id`
  return what === 'an id 4 000 characters long'
    ? { status: [400, 404, 414], message: new RegExp(`${mustBe}|too long|length|no route`, 'i') }
    : { status: 400, message: new RegExp(mustBe) }
}

interface MultipartRoute {
  label: string
  url: string
  /** The text fields of a valid request. */
  fields: Part[]
  v1: boolean
  takesMask: boolean
}

const MULTIPART_ROUTES: MultipartRoute[] = [
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

const image = (file: Buffer, name = 'image'): Part => ({ name, file })

function multipart(route: MultipartRoute, parts: Part[], extra: Omit<Send, 'method' | 'url'> = {}): Build {
  return send({ method: 'POST', url: route.url, raw: multipartBody(parts), type: MULTIPART, ...extra })
}

function multipartRefusals(route: MultipartRoute): Refusal[] {
  const f = route.fields
  const valid = [...f, image(PNG_256)]
  const truncated = (() => {
    const whole = multipartBody(valid)
    // Cut inside the image's bytes: no closing boundary ever comes.
    return whole.subarray(0, whole.length - Math.floor(PNG_256.length / 2))
  })()
  const bad = (name: string, file: Buffer, message: RegExp): Refusal => ({
    name,
    request: multipart(route, [...f, image(file)]),
    status: 400,
    message,
    param: 'image',
  })
  const cases: Refusal[] = [
    {
      name: 'multipart without a boundary',
      request: send({
        method: 'POST',
        url: route.url,
        raw: multipartBody(valid),
        type: 'multipart/form-data',
      }),
      status: 400,
      message: /multipart|boundary/i,
    },
    {
      name: 'a truncated multipart body (cut inside the image, no closing boundary)',
      request: send({ method: 'POST', url: route.url, raw: truncated, type: MULTIPART }),
      status: 400,
      message: /multipart|end|truncated|incomplete/i,
    },
    {
      name: 'a body that is not multipart under a multipart content type',
      request: send({ method: 'POST', url: route.url, raw: 'this is not a form', type: MULTIPART }),
      status: 400,
      message: /multipart|boundary|form/i,
    },
    {
      name: 'an image field with an empty file',
      request: multipart(route, [...f, image(Buffer.alloc(0))]),
      status: 400,
      message: /image is required/,
      param: 'image',
    },
    {
      name: 'the image sent as a text field, not a file',
      request: multipart(route, [...f, { name: 'image', value: PNG_256.toString('latin1') }]),
      status: 400,
      message: /image must be sent as a file/,
      param: 'image',
    },
    {
      name: 'two images',
      request: multipart(route, [...f, image(PNG_256), image(PNG_256)]),
      status: 400,
      message: /image: send one image/,
      param: 'image',
    },
    bad('a GIF instead of a PNG', IMAGES.gif, /image must be a PNG image/),
    // JPEG is taken (as gpt-image takes it); this one is only a stub with no image data.
    bad('a JPEG stub with no image data', IMAGES.jpeg, /image is a damaged or incomplete JPEG/),
    bad('a PNG whose IDAT is corrupted', IMAGES.corruptIdat, /image is a damaged or incomplete PNG/),
    bad('a 1x1 PNG', IMAGES.onePixel, /image must be at least 16 pixels wide and high \(it is 1x1\)/),
    bad(
      'a header-only PNG claiming 5000x5000',
      IMAGES.headerOnly5000,
      /image is 5000x5000 \(25000000 pixels\); at most 16777216 pixels/,
    ),
    bad(
      'a header-only PNG claiming 4096x4096 (the largest allowed)',
      IMAGES.headerOnly4096,
      /damaged or incomplete PNG/,
    ),
    // A PNG that is not square is taken and cut to its centred square (test/http/uploads.test.ts).
    {
      name: 'an image over the upload limit',
      request: multipart(route, [...f, image(IMAGES.tooLarge)]),
      status: 413,
      message: /image must be at most 1 MB/,
      param: 'image',
    },
    {
      name: 'an unexpected file field',
      request: multipart(route, [...f, image(PNG_256), image(PNG_256, 'photo')]),
      status: 400,
      message: /photo: unexpected file field/,
      param: 'photo',
    },
    {
      name: 'five files (more than the four a form may carry)',
      request: multipart(route, [...f, ...Array.from({ length: 5 }, () => image(PNG_256, 'image[]'))]),
      status: [400, 413],
      message: /at most 4 files|too many files/i,
    },
    {
      name: '31 text fields (more than the 30 a form may carry)',
      request: multipart(route, [
        ...f,
        ...Array.from({ length: 31 }, (_, i) => ({ name: `extra${i}`, value: 'x' })),
        image(PNG_256),
      ]),
      status: [400, 413],
      message: /at most 30 fields|too many fields/i,
    },
    {
      name: 'form-urlencoded instead of multipart',
      request: send({
        method: 'POST',
        url: route.url,
        raw: 'prompt=add+a+red+boat&n=1',
        type: 'application/x-www-form-urlencoded',
      }),
      status: 415,
      message: /content type/i,
    },
    {
      name: 'an Idempotency-Key of 300 characters',
      request: multipart(route, valid, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
      status: 400,
      message: /Idempotency-Key must be 1 to 255 characters/,
      param: 'Idempotency-Key',
    },
    {
      name: 'no credentials (and an empty form): refused as unauthenticated, before the form is read',
      request: send({
        method: 'POST',
        url: route.url,
        raw: multipartBody([]),
        type: MULTIPART,
        as: 'nobody',
      }),
      status: 401,
      message: route.v1 ? /API key/ : /sign in/,
      code: route.v1 ? 'invalid_api_key' : 'UNAUTHENTICATED',
    },
    {
      name: 'a session cookie without the CSRF token',
      request: multipart(route, valid, { as: 'cookie-without-csrf' }),
      status: 403,
      message: /x-csrf-token/,
      code: route.v1 ? 'csrf' : 'CSRF',
    },
  ]
  // Decompression: refused from the header, for the price of reading it, before anything is inflated.
  const decompression = (file: 'image' | 'mask') =>
    (
      [
        ['a tiny PNG whose IHDR declares 20000x20000', IMAGES.headerOnly20000, /20000x20000/],
        ['a zlib bomb: 16 KB declaring 20000x20000 that inflate to 16 MB', IMAGES.bomb20000, /20000x20000/],
        [
          'a zlib bomb of 16-bit samples: 4096x4096 that would take 128 MB once decoded',
          IMAGES.bomb4096x16bit,
          /once decoded|pixels|too large/i,
        ],
      ] as const
    ).map(
      ([what, bytes, message]): Refusal => ({
        name: `${file === 'mask' ? 'a mask that is ' : ''}${what}`,
        request: multipart(route, [
          ...f,
          image(file === 'image' ? bytes : PNG_256),
          ...(file === 'mask' ? [image(bytes, 'mask')] : []),
        ]),
        status: [400, 413],
        message: new RegExp(`^${file} .*(${message.source})`, message.flags),
        param: file,
      }),
    )
  cases.push(...decompression('image'), {
    name: 'a zlib bomb in a small PNG: 64x64 declared, its image data inflating to 16 MB',
    request: multipart(route, [...f, image(IMAGES.bombIn64)]),
    status: [400, 413],
    message: /^image .*(damaged|incomplete|too much|too large)/i,
    param: 'image',
  })
  if (route.takesMask) cases.push(...decompression('mask'))
  // What the route takes (an image, and a mask where it takes one), and one file more.
  const files = [image(PNG_256), ...(route.takesMask ? [image(MASK_256, 'mask')] : [])]
  // Each file under the 1 MB upload limit and each field under 64 KB, but 2.4 MB in all: over the
  // whole form's limit (two files at the upload limit and 256 KB for the rest).
  const oversized = [
    ...f,
    ...Array.from({ length: 24 }, (_, i) => ({ name: `note${i}`, value: 'n'.repeat(60 * 1024) })),
    image(IMAGES.almostTooLarge),
  ]
  cases.push(
    {
      name: `${files.length + 1} files, one more than the ${files.length} it takes`,
      request: multipart(route, [...f, ...files, image(PNG_256, 'image[]')]),
      status: [400, 413],
      message: /too many files|send one image|at most \d+ files/i,
    },
    {
      name: 'a body of 2.4 MB, over the whole form’s limit though each part is under its own',
      request: multipart(route, oversized),
      status: [400, 413],
      message: /too large|at most/i,
    },
    {
      name: 'a body of 2.4 MB sent without a Content-Length (chunked)',
      request: async (c) => {
        const built = await multipart(route, oversized)(c)
        return { ...built, payload: Readable.from([built.payload as Buffer]) }
      },
      status: [400, 413],
      message: /too large|at most/i,
    },
    {
      name: 'a gzip bomb sent as the body with content-encoding: gzip',
      request: send({
        method: 'POST',
        url: route.url,
        raw: gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }),
        type: MULTIPART,
        headers: { 'content-encoding': 'gzip' },
      }),
      status: [400, 415],
      message: /encoding|multipart|boundary|form/i,
    },
  )
  if (route.v1) {
    cases.push(
      {
        name: 'JSON instead of multipart',
        request: post(route.url, { prompt: 'add a red boat', image: PNG_256.toString('base64') }),
        status: 415,
        message: /multipart\/form-data/,
      },
      {
        name: 'text/plain instead of multipart',
        request: send({ method: 'POST', url: route.url, raw: 'add a red boat', type: 'text/plain' }),
        status: 415,
        message: /multipart\/form-data/,
      },
      {
        name: 'n that is not a number',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'n'),
          { name: 'n', value: 'three' },
          image(PNG_256),
        ]),
        status: 400,
        message: /^n: /,
        param: 'n',
      },
      {
        name: 'response_format xml',
        request: multipart(route, [...valid, { name: 'response_format', value: 'xml' }]),
        status: 400,
        message: /response_format: must be url or b64_json/,
        param: 'response_format',
      },
      {
        name: 'a size the engines do not make (100x100)',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'size'),
          { name: 'size', value: '100x100' },
          image(PNG_256),
        ]),
        status: 400,
        message: /size must be one of 256x256, 512x512, 1024x1024/,
        param: 'size',
      },
    )
  }
  if (route.takesMask) {
    cases.push(
      {
        name: 'a mask of another size than the image',
        request: multipart(route, [...valid, image(IMAGES.mask128, 'mask')]),
        status: 400,
        message: /mask must be the same size as the image \(256x256\), not 128x128/,
        param: 'mask',
      },
      {
        name: 'a mask without any transparent pixel',
        request: multipart(route, [...valid, image(IMAGES.opaqueMask, 'mask')]),
        status: 400,
        message: /mask must have transparency/,
        param: 'mask',
      },
      {
        name: 'a GIF as the mask',
        request: multipart(route, [...valid, image(IMAGES.gif, 'mask')]),
        status: 400,
        message: /mask must be a PNG image/,
        param: 'mask',
      },
      {
        name: 'a mask and no image',
        request: multipart(route, [...f, image(MASK_256, 'mask')]),
        status: 400,
        message: /image is required/,
        param: 'image',
      },
    )
  } else {
    cases.push({
      name: 'a mask, which variations do not take',
      request: multipart(route, [...valid, image(MASK_256, 'mask')]),
      status: 400,
      message: /mask: unexpected file field/,
      param: 'mask',
    })
  }
  if (route.url === '/api/jobs') {
    cases.push(
      {
        name: 'an uploaded image and an imageId',
        request: multipart(route, [...valid, { name: 'imageId', value: `img_${ID_TAIL}` }]),
        status: 400,
        message: /imageId: give an imageId or upload an image, not both/,
      },
      {
        name: 'an image uploaded for a generation',
        request: multipart(route, [
          ...f.filter((p) => p.name !== 'kind'),
          { name: 'kind', value: 'generate' },
          image(PNG_256),
        ]),
        status: 400,
        message: /image is only for edits and variations/,
      },
    )
  }
  return cases
}

// ── The tables ───────────────────────────────────────────────────────────────────────────────────

const GENERATIONS: Refusal[] = [
  {
    name: 'no prompt',
    request: post('/v1/images/generations', { n: 1 }),
    status: 400,
    message: /prompt: is required/,
    param: 'prompt',
  },
  {
    name: 'a number as the prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: 42 }),
    status: 400,
    message: /^prompt: /,
    param: 'prompt',
  },
  {
    name: 'an array as the prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: ['a', 'b'] }),
    status: 400,
    message: /^prompt: /,
    param: 'prompt',
  },
  {
    name: 'an empty prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: '' }),
    status: 400,
    message: /prompt: must not be empty/,
    param: 'prompt',
  },
  {
    name: 'a prompt of spaces',
    request: post('/v1/images/generations', { ...GEN, prompt: '     ' }),
    status: 400,
    message: /prompt is required/,
    param: 'prompt',
  },
  {
    name: 'a prompt over the 4000-character limit',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a'.repeat(4001) }),
    status: 400,
    message: /prompt must be at most 4000 characters \(it has 4001\)/,
    param: 'prompt',
  },
  {
    name: 'a 2 MB prompt (over the body limit)',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a'.repeat(2 * 1024 * 1024) }),
    status: 413,
    message: /too large/,
  },
  {
    name: 'a prompt with a NUL character',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a lighthouse\u0000at dusk' }),
    status: 400,
    message: /prompt/,
    param: 'prompt',
  },
  {
    name: 'a blocked prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a scene full of gore' }),
    status: 400,
    message: /content policy.*nothing was charged/,
    code: 'content_policy_violation',
  },
  {
    name: 'n = 0',
    request: post('/v1/images/generations', { ...GEN, n: 0 }),
    status: 400,
    message: /n: must be at least 1/,
    param: 'n',
  },
  {
    name: 'n = 11',
    request: post('/v1/images/generations', { ...GEN, n: 11 }),
    status: 400,
    message: /n: must be at most 10/,
    param: 'n',
  },
  {
    name: 'n = 1.5',
    request: post('/v1/images/generations', { ...GEN, n: 1.5 }),
    status: 400,
    message: /n: must be a whole number/,
    param: 'n',
  },
  {
    name: 'n = "many"',
    request: post('/v1/images/generations', { ...GEN, n: 'many' }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'n = true (a boolean)',
    request: post('/v1/images/generations', { ...GEN, n: true }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'n = [2] (an array)',
    request: post('/v1/images/generations', { ...GEN, n: [2] }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'a size that is not square',
    request: post('/v1/images/generations', { ...GEN, size: '1024x512' }),
    status: 400,
    message: /size: Easel makes square images/,
    param: 'size',
  },
  {
    name: 'a size that is not a size',
    request: post('/v1/images/generations', { ...GEN, size: 'huge' }),
    status: 400,
    message: /size: must be 256x256, 512x512, 1024x1024 or auto, not "huge"/,
    param: 'size',
  },
  {
    name: 'a number as the size',
    request: post('/v1/images/generations', { ...GEN, size: 1024 }),
    status: 400,
    message: /^size: /,
    param: 'size',
  },
  {
    name: 'a size the engine does not make',
    request: post('/v1/images/generations', { ...GEN, size: '2048x2048' }),
    status: 400,
    message: /size must be one of/,
    param: 'size',
  },
  {
    name: 'response_format xml',
    request: post('/v1/images/generations', { ...GEN, response_format: 'xml' }),
    status: 400,
    message: /response_format: must be url or b64_json/,
    param: 'response_format',
  },
  {
    name: 'stream: true',
    request: post('/v1/images/generations', { ...GEN, stream: true }),
    status: 400,
    message: /stream: streaming is not supported/,
    param: 'stream',
  },
  {
    name: 'a negative seed',
    request: post('/v1/images/generations', { ...GEN, seed: -1 }),
    status: 400,
    message: /^seed: /,
    param: 'seed',
  },
  {
    name: 'a seed over 2^31 - 1',
    request: post('/v1/images/generations', { ...GEN, seed: 2 ** 31 }),
    status: 400,
    message: /^seed: /,
    param: 'seed',
  },
  {
    name: 'an unknown model',
    request: post('/v1/images/generations', { ...GEN, model: 'dall-e-2' }),
    status: 400,
    message: /model "dall-e-2" is not a model of this installation/,
    param: 'model',
  },
  {
    name: 'a model name of 101 characters',
    request: post('/v1/images/generations', { ...GEN, model: 'm'.repeat(101) }),
    status: 400,
    message: /^model: /,
    param: 'model',
  },
  {
    name: 'output_format jpeg',
    request: post('/v1/images/generations', { ...GEN, output_format: 'jpeg' }),
    status: 400,
    message: /output_format: must be png/,
    param: 'output_format',
  },
  {
    name: 'a JSON array as the body',
    request: post('/v1/images/generations', [GEN]),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'JSON null as the body',
    request: post('/v1/images/generations', null),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'malformed JSON',
    request: send({ method: 'POST', url: '/v1/images/generations', raw: '{"prompt": "a lighthouse",' }),
    status: 400,
    message: /JSON/,
  },
  {
    name: 'an empty body said to be JSON',
    request: send({ method: 'POST', url: '/v1/images/generations', raw: '' }),
    status: 400,
    message: /empty/i,
  },
  {
    name: 'form-urlencoded',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: 'prompt=a+lighthouse',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'text/plain',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: 'a lighthouse at dusk',
      type: 'text/plain',
    }),
    status: [400, 415],
    message: /expected object|JSON|content type/i,
  },
  {
    name: 'multipart',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: multipartBody([{ name: 'prompt', value: 'a lighthouse' }]),
      type: MULTIPART,
    }),
    status: [400, 415],
    message: /expected object|JSON|content type/i,
  },
  {
    name: 'an Idempotency-Key of 300 characters',
    request: post('/v1/images/generations', GEN, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
    param: 'Idempotency-Key',
  },
  {
    name: 'an Idempotency-Key used before for another request',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/v1/images/generations',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'reused-key' },
        payload: GEN,
      })
      expect(first.statusCode, first.body).toBe(200)
      return post(
        '/v1/images/generations',
        { ...GEN, prompt: 'a different picture' },
        { headers: { 'idempotency-key': 'reused-key' } },
      )(c)
    },
    status: 409,
    message: /Idempotency-Key "reused-key" was already used for a different request/,
  },
  {
    name: 'no credentials (and an empty body): unauthenticated before the body is checked',
    request: post('/v1/images/generations', {}, { as: 'nobody' }),
    status: 401,
    message: /API key/,
    code: 'invalid_api_key',
  },
  {
    name: 'a session cookie without the CSRF token',
    request: post('/v1/images/generations', GEN, { as: 'cookie-without-csrf' }),
    status: 403,
    message: /x-csrf-token/,
    code: 'csrf',
  },
]

/** Malformed Authorization headers, each on a request that would charge a credit were it let through. */
const AUTHORIZATION: Refusal[] = (
  [
    ['Basic credentials', () => 'Basic dXNlcjpwYXNzd29yZA==', /must be "Bearer <API key>"/],
    ['"Bearer" and no key', () => 'Bearer', /must be "Bearer <API key>"/],
    ['an empty header', () => '', /must be "Bearer <API key>"/],
    [
      'a key and something after it',
      (u: TestUser) => `Bearer ${u.apiKey} extra`,
      /must be "Bearer <API key>"/,
    ],
    [
      'the key in another scheme ("Token")',
      (u: TestUser) => `Token ${u.apiKey}`,
      /must be "Bearer <API key>"/,
    ],
    ['an unknown key', () => `Bearer easel_sk_${'0'.repeat(43)}`, /not valid/],
    ['a key 10 000 characters long', () => `Bearer easel_sk_${'A'.repeat(10_000)}`, /not valid/],
    ['an SQL-looking key', () => "Bearer easel_sk_'OR'1'='1'--", /not valid/],
  ] as const
).flatMap(([what, header, message]) =>
  (
    [
      ['POST /v1/images/generations', '/v1/images/generations', GEN, 'invalid_api_key'],
      ['POST /api/jobs', '/api/jobs', JOB, 'UNAUTHENTICATED'],
    ] as const
  ).map(
    ([route, url, body, code]): Refusal => ({
      name: `${route} with ${what}`,
      request: (c) => post(url, body, { as: 'nobody', headers: { authorization: header(c.me.user) } })(c),
      status: 401,
      message,
      code,
    }),
  ),
)
AUTHORIZATION.push({
  name: 'POST /v1/images/generations with a revoked key',
  request: async (c) => {
    const { accounts } = c.t.server.services
    const made = await accounts.createApiKey(c.me.user.user.id, { name: 'to revoke' })
    if (!made.ok) throw new Error(made.error.message)
    const revoked = await accounts.revokeApiKey(c.me.user.user.id, made.value.key.id)
    if (!revoked.ok) throw new Error(revoked.error.message)
    return post('/v1/images/generations', GEN, {
      as: 'nobody',
      headers: { authorization: `Bearer ${made.value.secret}` },
    })(c)
  },
  status: 401,
  message: /not valid: it is unknown, revoked or expired/,
  code: 'invalid_api_key',
})

const COOKIES: Refusal[] = [
  ...(
    [
      ['a garbage session cookie', () => 'easel_session=garbage'],
      ['a session cookie of 10 000 characters', () => `easel_session=${'a'.repeat(10_000)}`],
      ['a session cookie with broken percent-encoding', () => 'easel_session=%E0%A4%A'],
      ['a cookie header with no value', () => 'easel_session'],
      ['an SQL-looking session cookie', () => "easel_session=' OR '1'='1"],
    ] as const
  ).flatMap(([what, cookie]) => [
    {
      name: `GET /api/me with ${what}`,
      request: get('/api/me', { as: 'nobody', headers: { cookie: cookie() } }),
      status: 401,
      message: /sign in first/,
      code: 'UNAUTHENTICATED',
    },
    {
      name: `POST /v1/images/generations with ${what}`,
      request: post('/v1/images/generations', GEN, { as: 'nobody', headers: { cookie: cookie() } }),
      status: 401,
      message: /no API key given/,
      code: 'invalid_api_key',
    },
  ]),
  {
    name: 'GET /api/me with the cookie of a session that signed out',
    request: async (c) => {
      const s = await signIn(c.t, c.me.user)
      const out = await c.t.server.app.inject({
        method: 'DELETE',
        url: '/api/session',
        headers: { cookie: s.cookie },
      })
      expect(out.statusCode).toBe(204)
      return get('/api/me', { as: 'nobody', headers: { cookie: s.cookie } })(c)
    },
    status: 401,
    message: /sign in first/,
  },
]

/** Cookie-authenticated writes with a bad CSRF token: each would change something were it let through. */
const CSRF: Refusal[] = (
  [
    ['no x-csrf-token', async () => ({})],
    ['a wrong x-csrf-token', async () => ({ 'x-csrf-token': 'not-the-token' })],
    ['an empty x-csrf-token', async () => ({ 'x-csrf-token': '' })],
    [
      'the session token with a space after it',
      async (c: Ctx) => ({ 'x-csrf-token': `${(await c.me.session()).csrf} ` }),
    ],
    [
      'another session’s x-csrf-token',
      async (c: Ctx) => ({ 'x-csrf-token': (await signIn(c.t, c.f.other)).csrf }),
    ],
  ] as const
).flatMap(([what, token]) =>
  (
    [
      ['POST /api/jobs', 'POST', '/api/jobs', JOB],
      ['POST /api/keys', 'POST', '/api/keys', { name: 'forged' }],
      ['POST /api/purchases', 'POST', '/api/purchases', PURCHASE],
      ['PUT /api/images/:id/favourite', 'PUT', 'own-image', undefined],
    ] as const
  ).map(
    ([route, method, url, body]): Refusal => ({
      name: `${route} with ${what}`,
      request: async (c) => {
        let target: string = url
        if (url === 'own-image') {
          // An image of the subject's own, not yet a favourite.
          const made = await c.t.server.app.inject({
            method: 'POST',
            url: '/v1/images/generations',
            headers: bearer(c.me.user),
            payload: GEN,
          })
          expect(made.statusCode, made.body).toBe(200)
          const own = await c.t.server.services.db.kysely
            .selectFrom('images')
            .select('id')
            .where('account_id', '=', c.me.user.user.accountId)
            .executeTakeFirstOrThrow()
          target = `/api/images/${own.id}/favourite`
        }
        return send({ method, url: target, body, as: 'cookie-without-csrf', headers: await token(c) })(c)
      },
      status: 403,
      message: /this request needs the x-csrf-token header of the signed-in session/,
      code: 'CSRF',
    }),
  ),
)

const SESSIONS: Refusal[] = [
  {
    name: 'POST /api/session with no body fields',
    request: post('/api/session', {}, { as: 'nobody' }),
    status: 400,
    message: /^email: is required/,
  },
  {
    name: 'POST /api/session with a number as the email',
    request: post('/api/session', { email: 42, password: 'whatever password' }, { as: 'nobody' }),
    status: 400,
    message: /^email: /,
  },
  {
    name: 'POST /api/session with an email of 255 characters',
    request: post(
      '/api/session',
      { email: `${'a'.repeat(243)}@example.test`, password: 'whatever password' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^email: /,
  },
  {
    name: 'POST /api/session with a password of 201 characters',
    request: post('/api/session', { email: 'a@example.test', password: 'p'.repeat(201) }, { as: 'nobody' }),
    status: 400,
    message: /^password: /,
  },
  {
    name: 'POST /api/session with a wrong password',
    request: async (c) =>
      post('/api/session', { email: c.me.user.email, password: 'not the password' }, { as: 'nobody' })(c),
    status: 401,
    message: /wrong email or password/,
  },
  {
    name: 'POST /api/session with an SQL-looking email',
    request: post(
      '/api/session',
      { email: "' OR '1'='1' --", password: 'whatever password' },
      { as: 'nobody' },
    ),
    status: 401,
    message: /wrong email or password/,
  },
  {
    name: 'POST /api/session form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/session',
      raw: 'email=a%40example.test&password=x',
      type: 'application/x-www-form-urlencoded',
      as: 'nobody',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/signup with an email that is not one',
    request: post(
      '/api/signup',
      { email: 'not-an-email', password: 'a long enough password' },
      { as: 'nobody' },
    ),
    status: 400,
    message: /email: must be an address/,
  },
  {
    name: 'POST /api/signup with a short password',
    request: post('/api/signup', { email: 'new-signup@example.test', password: 'short' }, { as: 'nobody' }),
    status: 400,
    message: /password: must be at least 10 characters/,
  },
  {
    name: 'POST /api/signup with an email already taken',
    request: async (c) =>
      post(
        '/api/signup',
        { email: c.me.user.email, password: 'a long enough password' },
        { as: 'nobody' },
      )(c),
    status: 409,
    message: /email/i,
  },
  {
    name: 'POST /api/signup with an SQL-looking invite code',
    request: post(
      '/api/signup',
      { email: 'invited@example.test', password: 'a long enough password', inviteCode: "' OR '1'='1' --" },
      { as: 'nobody' },
    ),
    status: 403,
    message: /invite code is unknown, used up or expired/,
  },
  {
    name: 'POST /api/signup with an invite code of 201 characters',
    request: post(
      '/api/signup',
      { email: 'invited@example.test', password: 'a long enough password', inviteCode: 'c'.repeat(201) },
      { as: 'nobody' },
    ),
    status: 400,
    message: /^inviteCode: /,
  },
  {
    name: 'POST /api/setup once the installation has its owner',
    request: post(
      '/api/setup',
      { email: 'second-owner@example.test', password: 'a long enough password' },
      { as: 'nobody' },
    ),
    status: 409,
    message: /already/i,
  },
  {
    name: 'POST /api/setup with a number as the password',
    request: post('/api/setup', { email: 'owner@example.test', password: 12345678 }, { as: 'nobody' }),
    status: 400,
    message: /^password: /,
  },
]

const CREDITS: Refusal[] = [
  ...pagination('/api/credits/history', 200),
  {
    name: 'GET /api/credits/history with a cursor of another kind of id',
    request: get(`/api/credits/history?before=job_${ID_TAIL}`),
    status: 400,
    message: /before: must be a txn_… id/,
  },
  {
    name: 'GET /api/credits/history with a cursor holding a NUL',
    request: get('/api/credits/history?before=txn_%00'),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/credits/history with an SQL-looking cursor',
    request: get(`/api/credits/history?before=${encodeURIComponent("txn_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'POST /api/quotes with no operation',
    request: post('/api/quotes', {}),
    status: 400,
    message: /^operation: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/quotes with an unknown operation',
    request: post('/api/quotes', { operation: 'paint' }),
    status: 400,
    message: /^operation: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/quotes with n as a string',
    request: post('/api/quotes', { operation: 'generate', n: '2' }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/quotes with n = 0',
    request: post('/api/quotes', { operation: 'generate', n: 0 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/quotes with an unknown size',
    request: post('/api/quotes', { operation: 'generate', size: '100x100' }),
    status: 400,
    message: /^size: must be 256x256, 512x512 or 1024x1024/,
  },
  {
    name: 'POST /api/quotes with an unknown model',
    request: post('/api/quotes', { operation: 'generate', model: 'dall-e-2' }),
    status: 400,
    message: /model: "dall-e-2" is not a model of this installation/,
  },
  {
    name: 'POST /api/quotes with a JSON array',
    request: post('/api/quotes', [{ operation: 'generate' }]),
    status: 400,
    message: /expected object/,
  },
]

/** limit below, at 0, above the maximum, huge, not a number, fractional, repeated; and a cursor too long. */
function pagination(path: string, max: number, cursor = 'before'): Refusal[] {
  return [
    ['-1', /limit: /],
    ['0', /limit: /],
    [String(max + 1), /limit: /],
    ['1000000000000', /limit: /],
    ['ten', /limit: /],
    ['1.5', /limit: /],
    ['1&limit=2', /limit: /],
  ]
    .map(
      ([limit, message]): Refusal => ({
        name: `GET ${path} with limit=${limit}`,
        request: get(`${path}?limit=${limit}`, { as: path.startsWith('/api/admin') ? 'admin' : 'me' }),
        status: 400,
        message: message as RegExp,
      }),
    )
    .concat({
      name: `GET ${path} with a ${cursor} cursor of 61 characters`,
      request: get(`${path}?${cursor}=${'x'.repeat(61)}`, {
        as: path.startsWith('/api/admin') ? 'admin' : 'me',
      }),
      status: 400,
      message: new RegExp(`${cursor}: `),
    })
}

const JOBS: Refusal[] = [
  {
    name: 'POST /api/jobs with no kind',
    request: post('/api/jobs', { prompt: 'a lighthouse' }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with an unknown kind',
    request: post('/api/jobs', { ...JOB, kind: 'paint' }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with a number as the kind',
    request: post('/api/jobs', { ...JOB, kind: 7 }),
    status: 400,
    message: /kind: must be generate, edit or variation/,
  },
  {
    name: 'POST /api/jobs with a number as the prompt',
    request: post('/api/jobs', { ...JOB, prompt: 7 }),
    status: 400,
    message: /^prompt: /,
  },
  {
    name: 'POST /api/jobs generating without a prompt',
    request: post('/api/jobs', { kind: 'generate' }),
    status: 400,
    message: /prompt is required/,
  },
  {
    name: 'POST /api/jobs with a prompt with a NUL character',
    request: post('/api/jobs', { ...JOB, prompt: 'a\u0000b' }),
    status: 400,
    message: /prompt/,
  },
  {
    name: 'POST /api/jobs with n = 0',
    request: post('/api/jobs', { ...JOB, n: 0 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with n = 11',
    request: post('/api/jobs', { ...JOB, n: 11 }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with n = "x"',
    request: post('/api/jobs', { ...JOB, n: 'x' }),
    status: 400,
    message: /^n: must be a whole number/,
  },
  {
    name: 'POST /api/jobs with n = true (a boolean)',
    request: post('/api/jobs', { ...JOB, n: true }),
    status: 400,
    message: /^n: /,
  },
  {
    name: 'POST /api/jobs with an unknown size',
    request: post('/api/jobs', { ...JOB, size: '300x300' }),
    status: 400,
    message: /size: must be 256x256, 512x512 or 1024x1024/,
  },
  {
    name: 'POST /api/jobs with a number as the size',
    request: post('/api/jobs', { ...JOB, size: 256 }),
    status: 400,
    message: /size: must be 256x256, 512x512 or 1024x1024/,
  },
  {
    name: 'POST /api/jobs with a negative seed',
    request: post('/api/jobs', { ...JOB, seed: -5 }),
    status: 400,
    message: /^seed: /,
  },
  {
    name: 'POST /api/jobs with an unknown model',
    request: post('/api/jobs', { ...JOB, model: 'dall-e-2' }),
    status: 400,
    message: /model "dall-e-2" is not a model of this installation/,
  },
  {
    name: 'POST /api/jobs editing without an image',
    request: post('/api/jobs', { kind: 'edit', prompt: 'add a boat' }),
    status: 400,
    message: /image is required/,
  },
  {
    name: 'POST /api/jobs generating from an imageId',
    request: async (c) => post('/api/jobs', { ...JOB, imageId: c.f.otherPlainId })(c),
    status: [400, 404],
    message: /image/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `POST /api/jobs with an imageId that is ${what}`,
    request: post('/api/jobs', { kind: 'variation', imageId: id('img') }),
    status: 400,
    message: /imageId: must be an img_… id/,
  })),
  {
    name: 'POST /api/jobs with a JSON array',
    request: post('/api/jobs', [JOB]),
    status: 400,
    message: /body: /,
  },
  { name: 'POST /api/jobs with JSON null', request: post('/api/jobs', null), status: 400, message: /kind: / },
  {
    name: 'POST /api/jobs with malformed JSON',
    request: send({ method: 'POST', url: '/api/jobs', raw: '{"kind":' }),
    status: 400,
    message: /JSON/,
  },
  {
    name: 'POST /api/jobs form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/jobs',
      raw: 'kind=generate&prompt=x',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'POST /api/jobs as text/plain',
    request: send({ method: 'POST', url: '/api/jobs', raw: 'kind=generate', type: 'text/plain' }),
    status: [400, 415],
    message: /body: |expected object|content type/i,
  },
  {
    name: 'POST /api/jobs with an Idempotency-Key of 300 characters',
    request: post('/api/jobs', JOB, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
  },
  {
    name: 'POST /api/jobs with an Idempotency-Key used before for another request',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'job-key' },
        payload: JOB,
      })
      expect(first.statusCode, first.body).toBe(202)
      await c.t.server.services.studio.waitForJob(c.me.user.user.accountId, first.json().id)
      return post('/api/jobs', { ...JOB, n: 2 }, { headers: { 'idempotency-key': 'job-key' } })(c)
    },
    status: 409,
    message: /Idempotency-Key "job-key" was already used for a different request/,
  },
  ...pagination('/api/jobs', 100),
  {
    name: 'GET /api/jobs with favourites=yes',
    request: get('/api/jobs?favourites=yes'),
    status: 400,
    message: /favourites: /,
  },
  {
    name: 'GET /api/jobs with a cursor that is not a job id (SQL-looking)',
    request: get(`/api/jobs?before=${encodeURIComponent("job_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/jobs with a cursor holding a NUL',
    request: get('/api/jobs?before=job_%00'),
    status: 400,
    message: /before/,
  },
  ...NOT_IDS.flatMap(([what, id]) => [
    {
      name: `GET /api/jobs/:id with ${what}`,
      request: get(`/api/jobs/${inPath(id('job'))}`),
      ...pathIdRefusal(what, 'job'),
    },
    {
      name: `GET /api/jobs/:id/events with ${what}`,
      request: get(`/api/jobs/${inPath(id('job'))}/events`),
      ...pathIdRefusal(what, 'job'),
    },
  ]),
  {
    name: 'GET /api/jobs/:id of no job',
    request: get(`/api/jobs/job_${ID_TAIL}`),
    status: 404,
    message: /no job job_/,
  },
]

const IMAGE_ROUTES: Refusal[] = [
  ...pagination('/api/images', 200),
  {
    name: 'GET /api/images with favourites=1',
    request: get('/api/images?favourites=1'),
    status: 400,
    message: /favourites: /,
  },
  {
    name: 'GET /api/images with a cursor that is not an image id (SQL-looking)',
    request: get(`/api/images?before=${encodeURIComponent("img_' OR '1'='1")}`),
    status: 400,
    message: /before/,
  },
  {
    name: 'GET /api/images with a cursor holding a NUL',
    request: get('/api/images?before=img_%00'),
    status: 400,
    message: /before/,
  },
  ...NOT_IDS.flatMap(([what, id]) =>
    (
      [
        ['GET', ''],
        ['GET', '/content'],
        ['GET', '/download'],
        ['PUT', '/favourite'],
        ['DELETE', '/favourite'],
      ] as const
    ).map(([method, suffix]) => ({
      name: `${method} /api/images/:id${suffix} with ${what}`,
      request: send({ method, url: `/api/images/${inPath(id('img'))}${suffix}` }),
      ...pathIdRefusal(what, 'img'),
    })),
  ),
]

/** Another account's objects: "not found", exactly like ids that name nothing, and left as they were. */
const OTHER_ACCOUNT: Refusal[] = [
  {
    name: 'GET /api/jobs/:id of another account',
    request: async (c) => get(`/api/jobs/${c.f.otherJobId}`)(c),
    status: 404,
    message: /no job job_/,
  },
  {
    name: 'GET /api/jobs/:id/events of another account',
    request: async (c) => get(`/api/jobs/${c.f.otherJobId}/events`)(c),
    status: 404,
    message: /no job job_/,
  },
  {
    name: 'GET /api/images/:id of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'GET /api/images/:id/content of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}/content`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'GET /api/images/:id/download of another account',
    request: async (c) => get(`/api/images/${c.f.otherFavouriteId}/download`)(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'PUT /api/images/:id/favourite of another account',
    request: async (c) => send({ method: 'PUT', url: `/api/images/${c.f.otherPlainId}/favourite` })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'DELETE /api/images/:id/favourite of another account',
    request: async (c) => send({ method: 'DELETE', url: `/api/images/${c.f.otherFavouriteId}/favourite` })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'POST /api/jobs varying an image of another account',
    request: async (c) => post('/api/jobs', { kind: 'variation', imageId: c.f.otherPlainId })(c),
    status: 404,
    message: /no image img_/,
  },
  {
    name: 'DELETE /api/keys/:id of another user',
    request: async (c) => send({ as: 'session', method: 'DELETE', url: `/api/keys/${c.f.otherKeyId}` })(c),
    status: 404,
    message: /API key key_/,
  },
  {
    name: 'DELETE /api/admin/keys/:id by a user who is not an administrator',
    request: async (c) => send({ method: 'DELETE', url: `/api/admin/keys/${c.f.otherKeyId}` })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'POST /api/admin/grants to oneself by a user who is not an administrator',
    request: async (c) =>
      post('/api/admin/grants', { userId: c.me.user.user.id, amount: 100, reason: 'free credits' })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'PATCH /api/admin/users/:id making oneself an administrator',
    request: async (c) =>
      send({ method: 'PATCH', url: `/api/admin/users/${c.me.user.user.id}`, body: { role: 'admin' } })(c),
    status: 403,
    message: /only administrators/,
  },
  {
    name: 'GET /api/admin/users by a user who is not an administrator',
    request: get('/api/admin/users'),
    status: 403,
    message: /only administrators/,
  },
]

const SIGNED_LINKS: Refusal[] = [
  {
    name: 'a tampered signature',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${flip(c.f.link.signature)}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /this image link is not valid or has expired/,
  },
  {
    name: 'a later expiry under the same signature',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires + 86_400_000}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a correctly signed link that has expired',
    request: async (c) => {
      const expires = c.t.server.services.clock.now() - 1000
      const signature = c.t.server.services.signer.sign(c.f.otherFavouriteId, expires)
      return get(`/files/images/${c.f.otherFavouriteId}.png?expires=${expires}&signature=${signature}`, {
        as: 'nobody',
      })(c)
    },
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'the signature of another image',
    request: async (c) =>
      get(
        `/files/images/${c.f.otherPlainId}.png?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'no signature',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}`, { as: 'nobody' })(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'no expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'an expiry that is not a number',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=soon&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a fractional expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}.5&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a negative expiry',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=-1&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'an expiry of 1e30',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=1e30&signature=${c.f.link.signature}`, { as: 'nobody' })(c),
    status: 400,
    message: /expires: /,
  },
  {
    name: 'a signature of 101 characters',
    request: async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${'s'.repeat(101)}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'the signature given twice',
    request: async (c) =>
      get(
        `/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${c.f.link.signature}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 400,
    message: /signature: /,
  },
  {
    name: 'a .jpg file name',
    request: async (c) =>
      get(
        `/files/images/${c.f.otherFavouriteId}.jpg?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a path traversal as the file',
    request: async (c) =>
      get(
        `/files/images/..%2F..%2F..%2Fetc%2Fpasswd?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a job id as the file',
    request: async (c) =>
      get(`/files/images/${c.f.otherJobId}.png?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a unicode file name',
    request: async (c) =>
      get(
        `/files/images/${encodeURIComponent('img_✓.png')}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`,
        { as: 'nobody' },
      )(c),
    status: 404,
    message: /not valid or has expired/,
  },
  {
    name: 'a file name of 61 characters',
    request: async (c) =>
      get(`/files/images/${'f'.repeat(61)}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    status: 400,
    message: /file: /,
  },
]

/** One character of a base64url signature changed. */
const flip = (signature: string) => (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)

const KEYS: Refusal[] = [
  {
    // Keys are managed from a browser session: a key may not mint or revoke keys.
    name: 'POST /api/keys with an API key',
    request: post('/api/keys', { name: 'minted' }),
    status: 403,
    message: /API keys cannot create or revoke API keys/,
  },
  {
    name: 'POST /api/keys with a name of 101 characters',
    request: post('/api/keys', { name: 'n'.repeat(101) }, { as: 'session' }),
    status: 400,
    message: /^name: /,
  },
  {
    name: 'POST /api/keys with a name of spaces',
    request: post('/api/keys', { name: '    ' }, { as: 'session' }),
    status: 400,
    message: /name:? must be 1 to 100 characters/,
  },
  {
    name: 'POST /api/keys with a number as the name',
    request: post('/api/keys', { name: 5 }, { as: 'session' }),
    status: 400,
    message: /^name: /,
  },
  {
    name: 'POST /api/keys with a name with a NUL character',
    request: post('/api/keys', { name: 'ci\u0000key' }, { as: 'session' }),
    status: 400,
    message: /name/,
  },
  ...(
    [
      ['0', 0],
      ['-1', -1],
      ['1.5', 1.5],
      ['"30" (a string)', '30'],
      ['3651', 3651],
    ] as const
  ).map(([what, value]) => ({
    name: `POST /api/keys with expiresInDays ${what}`,
    request: post('/api/keys', { name: 'ci', expiresInDays: value }, { as: 'session' }),
    status: 400,
    message: /^expiresInDays: /,
  })),
  {
    name: 'POST /api/keys with a JSON array',
    request: post('/api/keys', [{ name: 'ci' }], { as: 'session' }),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'POST /api/keys form-urlencoded',
    request: send({
      as: 'session',
      method: 'POST',
      url: '/api/keys',
      raw: 'name=ci',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `DELETE /api/keys/:id with ${what}`,
    request: send({ as: 'session', method: 'DELETE', url: `/api/keys/${inPath(id('key'))}` }),
    ...pathIdRefusal(what, 'key'),
  })),
  {
    name: 'DELETE /api/keys/:id of no key',
    request: send({ as: 'session', method: 'DELETE', url: `/api/keys/key_${ID_TAIL}` }),
    status: 404,
    message: /API key key_/,
  },
]

const PURCHASE_CASES: Refusal[] = [
  { name: 'no pack', request: post('/api/purchases', { card: CARD }), status: 400, message: /^packId: / },
  {
    name: 'an unknown pack',
    request: post('/api/purchases', { ...PURCHASE, packId: 'pack-999' }),
    status: 400,
    message: /packId: "pack-999" is not a pack/,
  },
  {
    name: 'a path traversal as the pack',
    request: post('/api/purchases', { ...PURCHASE, packId: '../../etc/passwd' }),
    status: 400,
    message: /packId: /,
  },
  {
    name: 'a pack id of 101 characters',
    request: post('/api/purchases', { ...PURCHASE, packId: 'p'.repeat(101) }),
    status: 400,
    message: /^packId: /,
  },
  {
    name: 'quantity 0',
    request: post('/api/purchases', { ...PURCHASE, quantity: 0 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity 101',
    request: post('/api/purchases', { ...PURCHASE, quantity: 101 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity "2" (a string)',
    request: post('/api/purchases', { ...PURCHASE, quantity: '2' }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'quantity 1.5',
    request: post('/api/purchases', { ...PURCHASE, quantity: 1.5 }),
    status: 400,
    message: /^quantity: /,
  },
  {
    name: 'no card',
    request: post('/api/purchases', { packId: 'pack-115' }),
    status: 400,
    message: /^card: /,
  },
  {
    name: 'a card number of letters',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: 'abcd efgh ijkl mnop' } }),
    status: 400,
    message: /card\.number is not a valid card number/,
  },
  {
    name: 'a card number failing its checksum',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: '4242 4242 4242 4241' } }),
    status: 400,
    message: /card\.number is not a valid card number/,
  },
  {
    name: 'expiry month 13',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, expMonth: 13 } }),
    status: 400,
    message: /card\.expMonth must be 1 to 12/,
  },
  {
    name: 'a CVC of letters',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, cvc: 'abc' } }),
    status: 400,
    message: /card\.cvc must be 3 or 4 digits/,
  },
  {
    name: 'a CVC of 5 digits',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, cvc: '12345' } }),
    status: 400,
    message: /card\.cvc: /,
  },
  {
    name: 'a card that declines',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, number: '4000 0000 0000 0002' } }),
    status: 402,
    message: /declined.*Nothing was charged/,
  },
  {
    name: 'an expired card',
    request: post('/api/purchases', { ...PURCHASE, card: { ...CARD, expYear: 2001 } }),
    status: 402,
    message: /expired/,
  },
  {
    name: 'an Idempotency-Key of 300 characters',
    request: post('/api/purchases', PURCHASE, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
  },
  {
    name: 'an Idempotency-Key used before for another request (another quantity)',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/api/purchases',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'purchase-key' },
        payload: PURCHASE,
      })
      expect(first.statusCode, first.body).toBe(201)
      return post(
        '/api/purchases',
        { ...PURCHASE, quantity: 3 },
        { headers: { 'idempotency-key': 'purchase-key' } },
      )(c)
    },
    status: 409,
    message: /already used for a different purchase/,
  },
  {
    name: 'form-urlencoded',
    request: send({
      method: 'POST',
      url: '/api/purchases',
      raw: 'packId=pack-115',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
]
const PURCHASES: Refusal[] = PURCHASE_CASES.map((r) => ({ ...r, name: `POST /api/purchases with ${r.name}` }))

/** Administrators' routes, called by an administrator, aimed at the subject where they aim at someone. */
const ADMIN: Refusal[] = [
  ...pagination('/api/admin/users', 200, 'cursor'),
  {
    name: 'GET /api/admin/users with a cursor holding a NUL',
    request: get('/api/admin/users?cursor=user_%00', { as: 'admin' }),
    status: 400,
    message: /cursor/,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `PATCH /api/admin/users/:id with ${what}`,
    request: send({
      method: 'PATCH',
      url: `/api/admin/users/${inPath(id('user'))}`,
      body: { plan: 'pro' },
      as: 'admin',
    }),
    ...pathIdRefusal(what, 'user'),
  })),
  ...(
    [
      ['role root', { role: 'root' }, /^role: /],
      ['a plan that is not a name', { plan: 'Pro Plan!' }, /plan: must be 1 to 40 lower-case letters/],
      ['cohorts as a string', { cohorts: 'beta' }, /^cohorts: /],
      ['21 cohorts', { cohorts: Array.from({ length: 21 }, (_, i) => `c${i}`) }, /^cohorts: /],
      [
        'a cohort that is not a name',
        { cohorts: ["beta'; drop table users; --"] },
        /cohorts\.0: must be 1 to 40 lower-case letters/,
      ],
      ['disabled "yes"', { disabled: 'yes' }, /^disabled: /],
    ] as const
  ).map(([what, body, message]) => ({
    name: `PATCH /api/admin/users/:id with ${what}`,
    request: async (c: Ctx) =>
      send({ method: 'PATCH', url: `/api/admin/users/${c.me.user.user.id}`, body, as: 'admin' })(c),
    status: 400,
    message,
  })),
  {
    name: 'PATCH /api/admin/users/:id demoting oneself',
    request: async (c) =>
      send({
        method: 'PATCH',
        url: `/api/admin/users/${c.f.admin.user.id}`,
        body: { role: 'user' },
        as: 'admin',
      })(c),
    status: 400,
    message: /you cannot demote or disable yourself/,
  },
  {
    name: 'PATCH /api/admin/users/:id of no user',
    request: send({
      method: 'PATCH',
      url: `/api/admin/users/user_${ID_TAIL}`,
      body: { plan: 'pro' },
      as: 'admin',
    }),
    status: 404,
    message: /user_/,
  },
  ...(
    [
      ['amount 0', { amount: 0 }, /^amount: /],
      ['a negative amount', { amount: -5 }, /^amount: /],
      ['a fractional amount', { amount: 1.5 }, /^amount: /],
      ['amount "10" (a string)', { amount: '10' }, /^amount: /],
      ['amount 1 000 001', { amount: 1_000_001 }, /^amount: /],
      ['an empty reason', { reason: '' }, /reason: say why/],
      ['a reason of spaces', { reason: '     ' }, /reason: say why/],
      ['a reason of 501 characters', { reason: 'r'.repeat(501) }, /^reason: /],
      ['a reason with a NUL character', { reason: 'goodwill\u0000' }, /reason/],
      ['an unknown source', { source: 'gift' }, /^source: /],
      ['expiresInDays 0', { expiresInDays: 0 }, /^expiresInDays: /],
      [
        'an account id as the user',
        { userId: 'acct_01jd3q8z6x4c9m2k7w5e0t1r8b' },
        /userId: must be a user_… id/,
      ],
    ] as const
  ).map(([what, patch, message]) => ({
    name: `POST /api/admin/grants with ${what}`,
    request: async (c: Ctx) =>
      post(
        '/api/admin/grants',
        { userId: c.me.user.user.id, amount: 10, reason: 'goodwill', ...patch },
        { as: 'admin' },
      )(c),
    status: 400,
    message,
  })),
  {
    name: 'POST /api/admin/grants to no user',
    request: post(
      '/api/admin/grants',
      { userId: `user_${ID_TAIL}`, amount: 10, reason: 'goodwill' },
      { as: 'admin' },
    ),
    status: 404,
    message: /no user user_/,
  },
  {
    name: 'POST /api/admin/grants with an Idempotency-Key of 300 characters',
    request: async (c) =>
      post(
        '/api/admin/grants',
        { userId: c.me.user.user.id, amount: 10, reason: 'goodwill' },
        { as: 'admin', headers: { 'idempotency-key': 'k'.repeat(300) } },
      )(c),
    status: 400,
    message: /idempotency/i,
  },
  {
    name: 'POST /api/admin/invites with maxUses 0',
    request: post('/api/admin/invites', { maxUses: 0 }, { as: 'admin' }),
    status: 400,
    message: /^maxUses: /,
  },
  {
    name: 'POST /api/admin/invites with a cohort that is not a name',
    request: post('/api/admin/invites', { cohort: 'Beta Testers' }, { as: 'admin' }),
    status: 400,
    message: /cohort: must be 1 to 40 lower-case letters/,
  },
  {
    name: 'POST /api/admin/invites with expiresInDays -1',
    request: post('/api/admin/invites', { expiresInDays: -1 }, { as: 'admin' }),
    status: 400,
    message: /^expiresInDays: /,
  },
  ...NOT_IDS.map(([what, id]) => ({
    name: `DELETE /api/admin/keys/:id with ${what}`,
    request: send({ method: 'DELETE', url: `/api/admin/keys/${inPath(id('key'))}`, as: 'admin' }),
    ...pathIdRefusal(what, 'key'),
  })),
  {
    name: 'DELETE /api/admin/keys/:id of no key',
    request: send({ method: 'DELETE', url: `/api/admin/keys/key_${ID_TAIL}`, as: 'admin' }),
    status: 404,
    message: /API key key_/,
  },
  {
    name: 'GET /api/admin/report with no period',
    request: get('/api/admin/report', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
  {
    name: 'GET /api/admin/report with a period that ends before it starts',
    request: get('/api/admin/report?from=2000&to=1000', { as: 'admin' }),
    status: 400,
    message: /to: must be a time after from/,
  },
  {
    name: 'GET /api/admin/report with a from that is not a time',
    request: get('/api/admin/report?from=yesterday&to=1000', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
  {
    name: 'GET /api/admin/report with a from of 1e300',
    request: get('/api/admin/report?from=1e300&to=2e300', { as: 'admin' }),
    status: 400,
    message: /^from: /,
  },
]

/** Every route that takes a body, with who may call it (so that the body is what gets refused). */
const BODY_ROUTES: ReadonlyArray<{ route: string; url: (c: Ctx) => string; as: As; multipartOnly?: true }> = [
  { route: 'POST /v1/images/generations', url: () => '/v1/images/generations', as: 'me' },
  { route: 'POST /v1/images/edits', url: () => '/v1/images/edits', as: 'me', multipartOnly: true },
  { route: 'POST /v1/images/variations', url: () => '/v1/images/variations', as: 'me', multipartOnly: true },
  { route: 'POST /api/setup', url: () => '/api/setup', as: 'nobody' },
  { route: 'POST /api/signup', url: () => '/api/signup', as: 'nobody' },
  { route: 'POST /api/session', url: () => '/api/session', as: 'nobody' },
  { route: 'POST /api/quotes', url: () => '/api/quotes', as: 'me' },
  { route: 'POST /api/jobs', url: () => '/api/jobs', as: 'me' },
  { route: 'POST /api/keys', url: () => '/api/keys', as: 'session' },
  { route: 'POST /api/purchases', url: () => '/api/purchases', as: 'me' },
  { route: 'PATCH /api/admin/users/:id', url: (c) => `/api/admin/users/${c.me.user.user.id}`, as: 'admin' },
  { route: 'POST /api/admin/grants', url: () => '/api/admin/grants', as: 'admin' },
  { route: 'POST /api/admin/invites', url: () => '/api/admin/invites', as: 'admin' },
]

/**
 * JSON nested past the 32 levels any request needs: a 400 that says so, before it is parsed (a
 * route that takes only multipart may say that instead, as long as the text is never parsed).
 */
const DEEP_NESTING: Refusal[] = BODY_ROUTES.flatMap((r) =>
  (
    [
      ['[ × 7000', '['.repeat(7000)],
      ['[ × 7000 closed again', `${'['.repeat(7000)}${']'.repeat(7000)}`],
      ['{"a": × 7000', '{"a":'.repeat(7000)],
      ['33 levels (one past the limit)', `${'['.repeat(33)}${']'.repeat(33)}`],
    ] as const
  )
    .filter(([what]) => what === '[ × 7000' || r.route === 'POST /v1/images/generations')
    .map(
      ([what, raw]): Refusal => ({
        name: `${r.route} with JSON nested ${what}`,
        request: async (c) =>
          send({ method: r.route.split(' ')[0] as InjectOptions['method'], url: r.url(c), raw, as: r.as })(c),
        status: r.multipartOnly ? [400, 415] : 400,
        message: r.multipartOnly ? /nested more than 32 levels|multipart/ : /nested more than 32 levels/,
      }),
    ),
)

const NO_SUCH_ROUTE: Refusal[] = [
  {
    name: 'GET /api/jobs/:id with broken percent-encoding',
    request: get('/api/jobs/job_%E0%A4%A'),
    status: 400,
    message: /not a valid url/,
  },
  {
    name: 'POST /v1/images/:operation with broken percent-encoding',
    request: post('/v1/images/%E0%A4%A', GEN),
    status: [400, 404],
    message: /not a valid url|no route/,
  },
  {
    name: 'GET /api/nothing-here',
    request: get('/api/nothing-here'),
    status: 404,
    message: /no route GET \/api\/nothing-here/,
  },
  {
    name: 'POST /v1/images/upscale',
    request: post('/v1/images/upscale', GEN),
    status: 404,
    message: /no route POST \/v1\/images\/upscale/,
    code: 'not_found',
  },
  {
    name: 'PATCH /v1/images/generations',
    request: send({ method: 'PATCH', url: '/v1/images/generations', body: GEN }),
    status: 404,
    message: /no route PATCH/,
  },
]

/** Unknown query parameters are ignored (as unknown body fields are, for OpenAI clients' sake). */
const IGNORED_QUERY: Array<[string, Build]> = [
  ['GET /api/jobs?colour=red', get('/api/jobs?colour=red')],
  ['GET /api/images?sort=asc', get('/api/images?sort=asc')],
  ['GET /api/credits?verbose=1', get('/api/credits?verbose=1')],
  ['GET /api/credits/history?kind=grant', get('/api/credits/history?kind=grant')],
  ['GET /api/keys?all=true', get('/api/keys?all=true')],
  ['GET /api/purchases?status=refunded', get('/api/purchases?status=refunded')],
  ['GET /api/me?as=admin', get('/api/me?as=admin')],
  ['GET /v1/models?owned_by=openai', get('/v1/models?owned_by=openai')],
  ['GET /api/packs?currency=EUR', get('/api/packs?currency=EUR', { as: 'nobody' })],
  [
    'GET /api/admin/users?role=admin (as an administrator)',
    get('/api/admin/users?role=admin', { as: 'admin' }),
  ],
]

/** The well-formed requests the bad ones depart from: proof that each refusal is the defect's doing. */
const CONTROLS: Array<[string, Build, number]> = [
  ['POST /v1/images/generations', post('/v1/images/generations', GEN), 200],
  ...MULTIPART_ROUTES.map((r): [string, Build, number] => [
    r.label,
    multipart(r, [...r.fields, image(PNG_256), ...(r.takesMask ? [image(MASK_256, 'mask')] : [])]),
    r.v1 ? 200 : 202,
  ]),
  ['POST /api/jobs (JSON)', post('/api/jobs', JOB), 202],
  ['POST /api/jobs (a session with its CSRF token)', post('/api/jobs', JOB, { as: 'session' }), 202],
  [
    'POST /api/keys (a session with its CSRF token)',
    post('/api/keys', { name: 'ci' }, { as: 'session' }),
    201,
  ],
  ['POST /api/purchases', post('/api/purchases', PURCHASE), 201],
  ['POST /api/quotes', post('/api/quotes', { operation: 'generate', n: 2, size: '256x256' }), 200],
  ['GET /api/jobs?limit=5', get('/api/jobs?limit=5'), 200],
  ['GET /api/credits/history?limit=5', get('/api/credits/history?limit=5'), 200],
  ['GET /api/admin/users?limit=5', get('/api/admin/users?limit=5', { as: 'admin' }), 200],
  [
    'POST /api/admin/grants',
    async (c) =>
      post(
        '/api/admin/grants',
        { userId: c.me.user.user.id, amount: 10, reason: 'goodwill' },
        { as: 'admin' },
      )(c),
    201,
  ],
  ['GET /api/admin/report', get('/api/admin/report?from=0&to=4102444800000', { as: 'admin' }), 200],
  [
    'GET /files/images/:file (the signed link)',
    async (c) =>
      get(`/files/images/${c.f.link.file}?expires=${c.f.link.expires}&signature=${c.f.link.signature}`, {
        as: 'nobody',
      })(c),
    200,
  ],
]

// ── The suite ────────────────────────────────────────────────────────────────────────────────────

/** Tables whose row counts must not move when a request is refused. */
const COUNTED = {
  jobs: '',
  images: '',
  favourites: 'images where favourited_at is not null',
  users: '',
  disabled_users: 'users where disabled_at is not null',
  admins: "users where role = 'admin'",
  api_keys: '',
  revoked_keys: 'api_keys where revoked_at is not null',
  sessions: '',
  invites: '',
  lots: '',
  holds: '',
  journal_transactions: '',
} as const

describe.each(BACKENDS)(
  'bad input is refused with a 4xx in the surface’s shape and changes nothing (%s)',
  (backend) => {
    // Hundreds of requests from one address with a few keys: the rate limits are not under test here.
    // The upload limit is 1 MB so that an oversized upload is cheap to send.
    const t = useTestServer(backend, {
      env: {
        EASEL_RATE_LIMIT_PER_IP: '1000000',
        EASEL_RATE_LIMIT_PER_KEY: '1000000',
        EASEL_MAX_UPLOAD_MB: '1',
        // The test checkout's refusals are part of the sweep.
        EASEL_TEST_CHECKOUT: 'on',
      },
    })
    const f = {} as Fixtures

    beforeAll(async () => {
      const s = t.current
      // Every account's allowance is granted up front, so that a listing which reads balances grants nothing.
      f.admin = await s.user({ role: 'admin', credits: 15 })
      f.other = await s.user({ credits: 15 })
      const made = await s.server.app.inject({
        method: 'POST',
        url: '/v1/images/generations',
        headers: bearer(f.other),
        payload: { ...GEN, n: 2 },
      })
      expect(made.statusCode, made.body).toBe(200)
      const images = await s.server.services.db.kysely
        .selectFrom('images')
        .select(['id', 'job_id'])
        .where('account_id', '=', f.other.user.accountId)
        .orderBy('position')
        .execute()
      expect(images).toHaveLength(2)
      f.otherJobId = images[0]!.job_id
      f.otherFavouriteId = images[0]!.id
      f.otherPlainId = images[1]!.id
      const fav = await s.server.app.inject({
        method: 'PUT',
        url: `/api/images/${f.otherFavouriteId}/favourite`,
        headers: bearer(f.other),
      })
      expect(fav.statusCode).toBe(200)
      const expires = s.server.services.clock.now() + 3_600_000
      f.link = {
        file: `${f.otherFavouriteId}.png`,
        expires,
        signature: s.server.services.signer.sign(f.otherFavouriteId, expires),
      }
      const key = await s.server.services.accounts.createApiKey(f.other.user.id, { name: 'second' })
      if (!key.ok) throw new Error(key.error.message)
      f.otherKeyId = key.value.key.id
    })

    // A case that was wrongly accepted may have started a job: let it finish before the next case counts rows.
    afterEach(async () => {
      const { db, studio } = t.current.server.services
      const open = await db.kysely
        .selectFrom('jobs')
        .select(['id', 'account_id'])
        .where('status', 'in', ['queued', 'running'])
        .execute()
      await Promise.all(open.map((j) => studio.waitForJob(j.account_id, j.id)))
    })

    async function subject(): Promise<Subject> {
      const user = await t.current.user({ credits: 5 })
      let session: Promise<Session> | undefined
      return { user, session: () => (session ??= signIn(t.current, user)) }
    }

    async function snapshot(me: Subject) {
      const { ledger, db, accounts } = t.current.server.services
      const balance = await ledger.balance(me.user.user.accountId)
      if (!balance.ok) throw new Error(balance.error.message)
      const rows: Record<string, number> = {}
      for (const [name, from] of Object.entries(COUNTED)) {
        const r = await sql<{
          n: string | number
        }>`select count(*) as n from ${sql.raw(from || name)}`.execute(db.kysely)
        rows[name] = Number(r.rows[0]!.n)
      }
      return {
        available: balance.value.available,
        held: balance.value.held,
        rows,
        profile: await accounts.getUser(me.user.user.id),
      }
    }

    async function call(c: Ctx, build: Build) {
      const request = await build(c)
      const before = await snapshot(c.me)
      const res = await t.current.server.app.inject(request)
      const seen = `${request.method} ${String(request.url).slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 400)}`
      return { request, res, seen, before }
    }

    async function expectNothingChanged(c: Ctx, before: Awaited<ReturnType<typeof snapshot>>, seen: string) {
      const after = await snapshot(c.me)
      expect(after, `state after ${seen}`).toEqual(before)
      expect(after.held, 'nothing is held').toBe(0)
      expect((await t.current.server.services.ledger.verify()).violations, 'ledger violations').toEqual([])
    }

    async function expectRefused(r: Refusal) {
      const c: Ctx = { me: await subject(), f, t: t.current }
      const { request, res, seen, before } = await call(c, r.request)

      expect(res.statusCode, seen).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, seen).toBeLessThan(500)
      expect(([] as number[]).concat(r.status), seen).toContain(res.statusCode)
      expect(res.headers['content-type'], seen).toMatch(/^application\/json/)
      const body = res.json() as { error: Record<string, unknown> }
      if (String(request.url).startsWith('/v1/')) {
        expect(Object.keys(body.error).sort(), seen).toEqual(['code', 'message', 'param', 'type'])
        expect(body.error.type, seen).toEqual(expect.any(String))
        expect(body.error.param === null || typeof body.error.param === 'string', seen).toBe(true)
        expect(body.error.code === null || typeof body.error.code === 'string', seen).toBe(true)
        if (r.param !== undefined) expect(body.error.param, seen).toBe(r.param)
      } else {
        expect(body.error.code, seen).toMatch(/^[A-Z_]+$/)
        expect(body.error).not.toHaveProperty('type')
      }
      if (r.code !== undefined) expect(body.error.code, seen).toBe(r.code)
      expect(body.error.message, seen).toEqual(expect.any(String))
      expect(body.error.message, seen).toMatch(r.message)

      await expectNothingChanged(c, before, seen)
    }

    describe('the well-formed requests the bad ones depart from are accepted', () => {
      it.each(CONTROLS)('%s', async (_name, build, status) => {
        const c: Ctx = { me: await subject(), f, t: t.current }
        const request = await build(c)
        const res = await t.current.server.app.inject(request)
        expect(res.statusCode, res.body.slice(0, 400)).toBe(status)
      })
    })

    describe('POST /v1/images/generations', () => {
      it.each(GENERATIONS)('$name', expectRefused)
    })

    for (const route of MULTIPART_ROUTES) {
      describe(route.label, () => {
        it.each(multipartRefusals(route))('$name', expectRefused)
      })
    }

    describe('malformed Authorization headers', () => {
      it.each(AUTHORIZATION)('$name', expectRefused)
    })

    describe('bad session cookies', () => {
      it.each(COOKIES)('$name', expectRefused)
    })

    describe('cookie-authenticated writes with a bad CSRF token', () => {
      it.each(CSRF)('$name', expectRefused)
    })

    describe('sign-in, sign-up and set-up', () => {
      it.each(SESSIONS)('$name', expectRefused)
    })

    describe('credits and quotes', () => {
      it.each(CREDITS)('$name', expectRefused)
    })

    describe('jobs', () => {
      it.each(JOBS)('$name', expectRefused)
    })

    describe('images', () => {
      it.each(IMAGE_ROUTES)('$name', expectRefused)
    })

    describe('another account’s jobs, images and keys, and administrators’ routes', () => {
      it.each(OTHER_ACCOUNT)('$name', expectRefused)
    })

    describe('signed image links (GET /files/images/:file)', () => {
      it.each(SIGNED_LINKS)('$name', expectRefused)
    })

    describe('API keys', () => {
      it.each(KEYS)('$name', expectRefused)
    })

    describe('purchases', () => {
      it.each(PURCHASES)('$name', expectRefused)
    })

    describe('administration', () => {
      it.each(ADMIN)('$name', expectRefused)
    })

    describe('JSON bodies nested deeper than 32 levels', () => {
      it.each(DEEP_NESTING)('$name', expectRefused)

      it('covers every route that takes a body (from the OpenAPI document)', async () => {
        const doc = (await t.current.server.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
          paths: Record<string, Record<string, { requestBody?: unknown }>>
        }
        const withBodies = Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.entries(ops)
            .filter(([, op]) => op.requestBody !== undefined)
            .map(([method]) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
        )
        expect(BODY_ROUTES.map((r) => r.route).sort()).toEqual(withBodies.sort())
      })
    })

    describe('routes that do not exist, and URLs that do not parse', () => {
      it.each(NO_SUCH_ROUTE)('$name', expectRefused)
    })

    describe('unknown query parameters are ignored and change nothing', () => {
      it.each(IGNORED_QUERY)('%s', async (_name, build) => {
        const c: Ctx = { me: await subject(), f, t: t.current }
        const { res, seen, before } = await call(c, build)
        expect(res.statusCode, seen).toBe(200)
        await expectNothingChanged(c, before, seen)
      })
    })
  },
)
