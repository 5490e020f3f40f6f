import OpenAI, { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { OpenAiErrorBody } from '../../src/contracts/index.ts'
import { decodePng, encodePng, pngInfo, type RgbaImage } from '../../src/images/png.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseAs } from '../support/contracts.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

/** A square test picture: a gradient, optionally with a transparent hole in the middle. */
function picture(size: number, options: { hole?: boolean; width?: number } = {}): Buffer {
  const width = options.width ?? size
  const data = new Uint8Array(width * size * 4)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const inHole = options.hole && Math.abs(x - width / 2) < width / 4 && Math.abs(y - size / 2) < size / 4
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / size
      data[i + 2] = 128
      data[i + 3] = inHole ? 0 : 255
    }
  }
  const image: RgbaImage = { width, height: size, data }
  return encodePng(image)
}

describe.each(BACKENDS)('the openai SDK against a running Easel (%s)', (backend) => {
  const t = useTestServer(backend)

  /** The SDK exactly as a user would set it up: only baseURL and apiKey changed. */
  function client(user: TestUser, counter?: { calls: number }) {
    return new OpenAI({
      baseURL: `${t.current.url}/v1`,
      apiKey: user.apiKey,
      ...(counter
        ? {
            fetch: (url: string | URL | Request, init?: RequestInit) => {
              counter.calls++
              return fetch(url, init)
            },
          }
        : {}),
    })
  }

  async function available(user: TestUser): Promise<number> {
    const b = await t.current.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return b.value.available
  }

  it('generates 4 images for 1 credit, as b64_json and as signed URLs', async () => {
    const user = await t.current.user()
    const openai = client(user)
    const before = await available(user)
    expect(before).toBe(15)

    const { data, response } = await openai.images
      .generate({ prompt: 'a red sunset over the ocean', size: '256x256', response_format: 'b64_json' })
      .withResponse()
    expect(data.data).toHaveLength(4)
    for (const image of data.data ?? []) {
      expect(pngInfo(Buffer.from(image.b64_json!, 'base64'))).toMatchObject({ width: 256, height: 256 })
    }
    expect(response.headers.get('x-credits-charged')).toBe('1')
    expect(response.headers.get('x-credits-remaining')).toBe('14')
    expect(await available(user)).toBe(14)

    const byUrl = await openai.images.generate({ prompt: 'snowy mountains at night', size: '256x256', n: 2 })
    expect(byUrl.data).toHaveLength(2)
    const url = byUrl.data![0]!.url!
    const fetched = await fetch(url)
    expect(fetched.status).toBe(200)
    expect(fetched.headers.get('content-type')).toBe('image/png')
    expect(pngInfo(Buffer.from(await fetched.arrayBuffer()))).toMatchObject({ width: 256 })
    // A tampered signature or a changed expiry is not a link to anything.
    const tampered = url.replace(/signature=(.)/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`)
    expect((await fetch(tampered)).status).toBe(404)
    expect((await fetch(url.replace(/expires=(\d+)/, (_m, e) => `expires=${Number(e) + 1000}`))).status).toBe(
      404,
    )
    expect(await available(user)).toBe(13)
  })

  it('edits with a mask (3 images) and keeps what the mask keeps', async () => {
    const user = await t.current.user()
    const openai = client(user)
    const image = picture(256)
    const mask = picture(256, { hole: true })
    const { data, response } = await openai.images
      .edit({
        image: await toFile(image, 'image.png', { type: 'image/png' }),
        mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
        prompt: 'a golden moon',
        size: '256x256',
        response_format: 'b64_json',
      })
      .withResponse()
    expect(data.data).toHaveLength(3)
    expect(response.headers.get('x-credits-charged')).toBe('1')
    const out = decodePng(Buffer.from(data.data![0]!.b64_json!, 'base64'))
    const original = decodePng(image)
    // A pixel far from the hole is (nearly) the input's.
    const i = (10 * 256 + 10) * 4
    expect(Math.abs(out.data[i]! - original.data[i]!)).toBeLessThan(8)
    expect(await available(user)).toBe(14)
  })

  it('makes 3 variations for 1 credit', async () => {
    const user = await t.current.user()
    const { data, response } = await client(user)
      .images.createVariation({
        image: await toFile(picture(256), 'in.png', { type: 'image/png' }),
        size: '256x256',
      })
      .withResponse()
    expect(data.data).toHaveLength(3)
    expect(data.data![0]!.url).toMatch(/\/files\/images\/img_/)
    expect(response.headers.get('x-credits-charged')).toBe('1')
    expect(await available(user)).toBe(14)
  })

  it('lists the models a request may name', async () => {
    const user = await t.current.user()
    const models = await client(user).models.list()
    expect(models.data.map((m) => m.id)).toContain('sketch')
  })

  it('out of credits: 429 insufficient_quota, and the SDK does not retry', async () => {
    const user = await t.current.user({ credits: 0 })
    const counter = { calls: 0 }
    const error = await client(user, counter)
      .images.generate({ prompt: 'a cat', size: '256x256' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    const e = error as InstanceType<typeof OpenAI.APIError>
    expect(e.status).toBe(429)
    expect(e.code).toBe('insufficient_quota')
    expect(e.type).toBe('insufficient_quota')
    expect(e.headers?.get('x-should-retry')).toBe('false')
    expect(e.headers?.get('x-credits-charged')).toBe('0')
    expect(counter.calls).toBe(1)
    expect(await available(user)).toBe(0)
  })

  it('a blocked prompt is refused before anything is held', async () => {
    const user = await t.current.user()
    const error = (await client(user)
      .images.generate({ prompt: 'a scene full of Gore', size: '256x256' })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(error.status).toBe(400)
    expect(error.code).toBe('content_policy_violation')
    expect(error.message).toMatch(/content policy/)
    expect(await available(user)).toBe(15)
    const b = await t.current.server.services.ledger.balance(user.user.accountId)
    expect(b.ok && b.value.held).toBe(0)
  })

  it('bad fields get invalid_request_error naming the field, and cost nothing', async () => {
    const user = await t.current.user()
    const openai = client(user)
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => openai.images.generate({ prompt: 'x', size: '1536x1024' }), 'size', /square/],
      [
        () => openai.images.generate({ prompt: 'x', size: '300x300' as never }),
        'size',
        /256x256, 512x512, 1024x1024/,
      ],
      [() => openai.images.generate({ prompt: 'x', n: 11 }), 'n', /at most 10/],
      [() => openai.images.generate({ prompt: '' }), 'prompt', /empty/],
      [() => openai.images.generate({ prompt: 'x'.repeat(4001) }), 'prompt', /at most 4000 characters/],
      [
        () => openai.images.generate({ prompt: 'x', model: 'dall-e-9' }),
        'model',
        /not a model of this installation/,
      ],
      [
        () => openai.images.generate({ prompt: 'x', response_format: 'gif' as never }),
        'response_format',
        /url or b64_json/,
      ],
      [
        async () =>
          openai.images.createVariation({
            image: await toFile(Buffer.from('not a png at all, really'), 'x.png'),
          }),
        'image',
        /must be a PNG/,
      ],
      [
        async () => openai.images.createVariation({ image: await toFile(picture(8), 'tiny.png') }),
        'image',
        /at least 16 pixels wide and high \(it is 8x8\)/,
      ],
      [
        async () =>
          openai.images.edit({
            image: await toFile(picture(256), 'a.png'),
            mask: await toFile(picture(128, { hole: true }), 'm.png'),
            prompt: 'x',
          }),
        'mask',
        /same size as the image \(256x256\), not 128x128/,
      ],
      [
        async () =>
          openai.images.edit({
            image: await toFile(picture(256), 'a.png'),
            mask: await toFile(picture(256), 'm.png'),
            prompt: 'x',
          }),
        'mask',
        /must have transparency/,
      ],
    ]
    for (const [call, param, message] of cases) {
      const error = (await call().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
      expect(error, param).toBeInstanceOf(OpenAI.APIError)
      expect(error.status, param).toBe(400)
      expect(error.type, param).toBe('invalid_request_error')
      // The SDK keeps the body's `error`: OpenAI's shape, as the contract says.
      expect(parseAs(OpenAiErrorBody.shape.error, error.error).param, param).toBe(param)
      expect(error.message, param).toMatch(message)
    }
    expect(await available(user)).toBe(15)
  })

  it('an upload over the size limit is a 413, and a missing or wrong key a 401', async () => {
    const user = await t.current.user()
    const big = Buffer.concat([picture(256), Buffer.alloc(5 * 1024 * 1024)])
    const tooBig = (await client(user)
      .images.createVariation({ image: await toFile(big, 'big.png') })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(tooBig.status).toBe(413)
    expect(tooBig.message).toMatch(/at most 4 MB/)

    const wrongKey = new OpenAI({ baseURL: `${t.current.url}/v1`, apiKey: 'easel_sk_nope', maxRetries: 0 })
    const denied = (await wrongKey.images.generate({ prompt: 'x' }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >
    expect(denied.status).toBe(401)
    expect(denied.code).toBe('invalid_api_key')
    expect(await available(user)).toBe(15)
  })
})
