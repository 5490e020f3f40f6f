import http from 'node:http'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ErrorBody, OpenAiErrorBody } from '../../src/contracts/index.ts'
import type { EngineRequest, EngineResult, RunOptions } from '../../src/engines/engine.ts'
import { uploadDecodeGate } from '../../src/images/decode-gate.ts'
import { decodePng } from '../../src/images/png.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseAs } from '../support/contracts.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { bombPng, headerOnlyPng } from '../support/hostile-images.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

/** Records what each run was given: the bytes that reached the engine. */
class RecordingEngine extends ScriptedEngine {
  readonly requests: EngineRequest[] = []
  override run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    this.requests.push(request)
    return super.run(request, options)
  }
}

const BOUNDARY = 'easel-uploads-boundary'
const MB = 1024 * 1024
/** The suite's limits: 4 MB a file (the default), so a form may be 2 × 4 MB + 256 KB. */
const FORM_LIMIT = 8 * MB + 256 * 1024

type Part = { name: string; value: string } | { name: string; file: Buffer; type?: string }

function partHead(p: Part): Buffer {
  return Buffer.from(
    'value' in p
      ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`
      : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.name}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`,
  )
}

function form(parts: Part[]): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [partHead(p), 'value' in p ? Buffer.from(p.value) : p.file, Buffer.from('\r\n')]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ])
}

/**
 * A body streamed on demand: `head`, then `junkBytes` of junk in 64 KB chunks, then `tail`.
 * `pulled()` says how much of it the server asked for, which is what it read.
 */
function streamed(head: Buffer, junkBytes: number, tail: Buffer = Buffer.alloc(0)) {
  let pulled = 0
  const chunk = Buffer.alloc(64 * 1024, 0x2e)
  function* body() {
    pulled += head.length
    yield head
    for (let sent = 0; sent < junkBytes; sent += chunk.length) {
      pulled += chunk.length
      yield chunk
    }
    pulled += tail.length
    yield tail
  }
  return { stream: Readable.from(body(), { objectMode: false }), pulled: () => pulled }
}

/** A smooth picture in `format`, as a camera or a browser would send it. */
async function photo(width: number, height: number, format: 'jpeg' | 'webp' | 'png'): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / height
      data[i + 2] = 90
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer()
}

/** An OpenAI mask of `width`×`height`: opaque, with a transparent rectangle (the area to change). */
function mask(width: number, height: number, hole: { x: number; y: number; w: number; h: number }) {
  const data = Buffer.alloc(width * height * 4, 0xff)
  for (let y = hole.y; y < hole.y + hole.h; y++) {
    for (let x = hole.x; x < hole.x + hole.w; x++) data[(y * width + x) * 4 + 3] = 0
  }
  return sharp(data, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer()
}

describe.each(BACKENDS)(
  'uploads are checked from their headers and decoded off the event loop (%s)',
  (backend) => {
    const engine = new RecordingEngine('recorder')
    const t = useTestServer(backend, {
      engines: [engine],
      env: { EASEL_RATE_LIMIT_PER_IP: '1000000', EASEL_RATE_LIMIT_PER_KEY: '1000000' },
    })

    const post = (
      user: TestUser,
      url: string,
      payload: Buffer | Readable,
      headers: Record<string, string> = {},
    ) =>
      t.current.server.app.inject({
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${user.apiKey}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          ...headers,
        },
        payload,
      })

    const credits = async (user: TestUser) => {
      const balance = await t.current.server.services.ledger.balance(user.user.accountId)
      if (!balance.ok) throw new Error(balance.error.message)
      return { available: balance.value.available, held: balance.value.held }
    }

    /** The message of a refusal in either surface's shape (/v1 or /api). */
    const message = (res: { json(): unknown }) =>
      parseAs(z.union([OpenAiErrorBody, ErrorBody]), res.json()).error.message

    it('takes a 4032×3024 phone photo (JPEG) and its mask: the engine gets 1024 squares, cut and scaled alike', async () => {
      const user = await t.current.user({ credits: 5 })
      const image = await photo(4032, 3024, 'jpeg')
      // The hole is in the middle of the photo, inside the centred 3024×3024 square.
      const hole = { x: 1816, y: 1312, w: 400, h: 400 }
      const before = engine.requests.length
      const res = await post(
        user,
        '/v1/images/edits',
        form([
          { name: 'prompt', value: 'a hot-air balloon' },
          { name: 'n', value: '1' },
          { name: 'size', value: '256x256' },
          { name: 'image', file: image, type: 'image/jpeg' },
          { name: 'mask', file: await mask(4032, 3024, hole), type: 'image/png' },
        ]),
      )
      expect(res.statusCode, res.body).toBe(200)
      expect(await credits(user)).toEqual({ available: 4, held: 0 })
      const request = engine.requests[before]!
      expect(request.operation).toBe('edit')
      if (request.operation !== 'edit') return
      const got = decodePng(request.image)
      const gotMask = decodePng(request.mask!)
      expect([got.width, got.height, gotMask.width, gotMask.height]).toEqual([1024, 1024, 1024, 1024])
      // The crop takes 504 columns off each side; the hole is then at (1312..1712, 1312..1712) of
      // 3024, so (444..580) of 1024: transparent there, opaque in the corners.
      const alpha = (x: number, y: number) => gotMask.data[(y * 1024 + x) * 4 + 3]
      expect([alpha(450, 450), alpha(575, 575), alpha(512, 512)]).toEqual([0, 0, 0])
      expect([alpha(440, 512), alpha(585, 512), alpha(10, 10), alpha(1013, 1013)]).toEqual([
        255, 255, 255, 255,
      ])
      // And the picture itself was cut in the middle: its left edge is column 504 (red ≈ 32).
      expect(got.data[(512 * 1024 + 0) * 4]).toBeGreaterThan(24)
      expect(got.data[(512 * 1024 + 0) * 4]).toBeLessThan(40)
    })

    it('takes a WebP for a variation', async () => {
      const user = await t.current.user({ credits: 5 })
      const before = engine.requests.length
      const res = await post(
        user,
        '/v1/images/variations',
        form([
          { name: 'n', value: '1' },
          { name: 'size', value: '256x256' },
          { name: 'image', file: await photo(640, 480, 'webp'), type: 'image/webp' },
        ]),
      )
      expect(res.statusCode, res.body).toBe(200)
      const request = engine.requests[before]!
      expect(request.operation === 'variation' && decodePng(request.image).width).toBe(480)
      expect(await credits(user)).toEqual({ available: 4, held: 0 })
    })

    it('refuses a decompression bomb from its header: a 400 naming the field and the sizes, nothing decoded or held', async () => {
      const user = await t.current.user({ credits: 5 })
      const bomb = bombPng(20_000)
      const good = await photo(256, 256, 'png')
      const decodes = uploadDecodeGate.started
      const cases = [
        { url: '/v1/images/variations', parts: [{ name: 'image', file: bomb }], field: 'image' },
        {
          url: '/v1/images/edits',
          parts: [
            { name: 'prompt', value: 'x' },
            { name: 'image', file: headerOnlyPng(20_000, 20_000) },
          ],
          field: 'image',
        },
        // The mask's header is read before the image is decoded: neither is.
        {
          url: '/v1/images/edits',
          parts: [
            { name: 'prompt', value: 'x' },
            { name: 'image', file: good },
            { name: 'mask', file: bomb },
          ],
          field: 'mask',
        },
      ]
      for (const c of cases) {
        const res = await post(user, c.url, form(c.parts))
        expect(res.statusCode, res.body).toBe(400)
        expect(parseAs(OpenAiErrorBody, res.json()).error).toMatchObject({
          param: c.field,
          type: 'invalid_request_error',
        })
        expect(message(res)).toBe(
          `${c.field} is 20000x20000 (400000000 pixels); at most 16777216 pixels (4096x4096) are allowed`,
        )
      }
      expect(uploadDecodeGate.started).toBe(decodes)
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })

    it('a route takes at most its files: one too many is refused when its part begins, before it is read', async () => {
      const user = await t.current.user({ credits: 5 })
      const image = await photo(64, 64, 'png')
      const cases = [
        // Variations take one image; edits an image and a mask.
        {
          url: '/v1/images/variations',
          parts: [{ name: 'image', file: image }],
          extra: 'image',
          status: 400,
        },
        {
          url: '/v1/images/edits',
          parts: [
            { name: 'prompt', value: 'x' },
            { name: 'image', file: image },
            { name: 'mask', file: image },
          ],
          extra: 'image[]',
          status: 400,
        },
        { url: '/v1/images/variations', parts: [{ name: 'image', file: image }], extra: 'mask', status: 400 },
        { url: '/api/jobs', parts: [{ name: 'kind', value: 'edit' }], extra: 'photo', status: 400 },
      ]
      for (const c of cases) {
        // The extra file's part begins, then 50 MB that the server must never ask for.
        const head = Buffer.concat([
          form(c.parts).subarray(0, -`--${BOUNDARY}--\r\n`.length),
          partHead({ name: c.extra, file: image }),
        ])
        const body = streamed(head, 50 * MB)
        const res = await post(user, c.url, body.stream)
        expect(res.statusCode, `${c.url} ${c.extra}: ${res.body}`).toBe(c.status)
        expect(message(res)).toMatch(/send one image|unexpected file field/)
        expect(body.pulled(), 'the extra file was not read').toBeLessThan(head.length + MB)
      }
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })

    it('a body over the limit is a 413: by its Content-Length before a byte is read, and by counting when chunked', async () => {
      const user = await t.current.user({ credits: 5 })
      const valid = form([
        { name: 'n', value: '1' },
        { name: 'size', value: '256x256' },
        { name: 'image', file: await photo(64, 64, 'png') },
      ])
      const junk = 200 * MB
      const cases = [
        // 200 MB of junk before the form (a preamble the parser skips), with an honest length.
        { name: 'declared', body: streamed(Buffer.alloc(0), junk, valid), length: junk + valid.length },
        // The same, chunked: no length to go by.
        { name: 'preamble', body: streamed(Buffer.alloc(0), junk, valid) },
        // A valid form, then 200 MB after its closing boundary (an epilogue the parser skips).
        { name: 'epilogue', body: streamed(valid, junk) },
      ]
      for (const c of cases) {
        const { res, pulled } = await post(
          user,
          '/v1/images/variations',
          c.body.stream,
          c.length === undefined ? {} : { 'content-length': String(c.length) },
        ).then((res) => ({ res, pulled: c.body.pulled() }))
        expect(res.statusCode, `${c.name}: ${res.body}`).toBe(413)
        expect(message(res)).toMatch(/^the body is too large.*a form may be at most 8.25 MB/)
        expect(pulled, `${c.name}: read before answering`).toBeLessThan(
          c.length === undefined ? FORM_LIMIT + MB : MB,
        )
      }
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })

    it('a form with too many fields is a 400', async () => {
      const user = await t.current.user({ credits: 5 })
      const fields = Array.from({ length: 31 }, (_, i) => ({ name: `f${i}`, value: 'x' }))
      const res = await post(
        user,
        '/v1/images/variations',
        form([...fields, { name: 'image', file: Buffer.alloc(10) }]),
      )
      expect(res.statusCode).toBe(400)
      expect(message(res)).toMatch(/too many fields: send at most 30/)
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })

    it('50 uploads at once read no more than their limits', async () => {
      const user = await t.current.user({ credits: 5 })
      const bodies = Array.from({ length: 50 }, () => streamed(Buffer.alloc(0), 100 * MB))
      // What each had read when it was answered (an injected request is drained afterwards; a real
      // connection is closed, see the next test).
      const answers = await Promise.all(
        bodies.map((b) =>
          post(user, '/v1/images/variations', b.stream).then((res) => ({ res, pulled: b.pulled() })),
        ),
      )
      expect(answers.map((a) => a.res.statusCode)).toEqual(bodies.map(() => 413))
      for (const a of answers) expect(a.pulled).toBeLessThan(FORM_LIMIT + MB)
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })

    it('over a real connection, 200 MB of chunked junk is answered 413 and the connection closed', async () => {
      const user = await t.current.user({ credits: 5 })
      const url = new URL(`${t.current.url}/v1/images/edits`)
      const total = 200 * MB
      let sent = 0
      const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>(
        (resolve, reject) => {
          const request = http.request(url, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${user.apiKey}`,
              'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
            },
          })
          let answered = false
          const chunk = Buffer.alloc(64 * 1024, 0x2e)
          // Writes as fast as the server reads, until it answers.
          const pump = () => {
            while (!answered && sent < total) {
              sent += chunk.length
              if (!request.write(chunk)) return void request.once('drain', pump)
            }
            request.end()
          }
          request.on('response', (res) => {
            answered = true
            let body = ''
            res.on('data', (c: Buffer) => {
              body += c.toString()
            })
            res.on('end', () =>
              resolve({ status: res.statusCode!, connection: res.headers.connection, body }),
            )
          })
          // Writing on after the server closed: expected once it has answered.
          request.on('error', (error) => {
            if (!answered) reject(error)
          })
          pump()
        },
      )
      expect(answer.status, answer.body).toBe(413)
      expect(answer.connection).toBe('close')
      // What the sockets buffer on the way, not the 200 MB.
      expect(sent).toBeLessThan(64 * MB)
      expect(await credits(user)).toEqual({ available: 5, held: 0 })
    })
  },
)
