import { createOpenAI } from '@ai-sdk/openai'
import { APICallError, generateImage } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pngInfo } from '../../src/images/png.ts'
import { BACKENDS } from '../support/backends.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'
import { type FakeSdWebUi, startFakeSdWebUi } from '../support/fake-sdwebui.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// The Vercel AI SDK (`ai`'s generateImage with `@ai-sdk/openai`, only `baseURL` changed) against a
// running Easel, as issue 13 reports it: `sketch` works; the names apps hard-code (dall-e-2,
// dall-e-3, gpt-image-1) are refused until the operator maps them with EASEL_MODEL_ALIASES, and
// then each works, charged once, with images of the size asked for. The AI SDK sends no
// `response_format` for gpt-image models and reads only `b64_json`: Easel must answer so.

const OPENAI_NAMES = ['dall-e-2', 'dall-e-3', 'gpt-image-1'] as const

/** The AI SDK's OpenAI provider as an app sets it up, counting the HTTP requests it makes. */
function provider(server: TestServer, user: TestUser, counter: { calls: number }) {
  return createOpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: user.apiKey,
    fetch: (url, init) => {
      counter.calls++
      return fetch(url, init)
    },
  })
}

async function available(server: TestServer, user: TestUser): Promise<number> {
  const b = await server.server.services.ledger.balance(user.user.accountId)
  if (!b.ok) throw new Error(b.error.message)
  return b.value.available
}

describe.each(BACKENDS)('the Vercel AI SDK against a running Easel (%s)', (backend) => {
  describe('without aliases', () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(backend)
    }, 60_000)
    afterAll(async () => {
      await t?.close()
    })

    it('generateImage with model sketch works, for one credit', async () => {
      const user = await t.user({ credits: 5 })
      const counter = { calls: 0 }
      const openai = provider(t, user, counter)
      const { images } = await generateImage({
        model: openai.image('sketch'),
        prompt: 'a lighthouse at dusk',
        size: '512x512',
        n: 2,
        maxImagesPerCall: 2,
      })
      expect(images).toHaveLength(2)
      for (const image of images) {
        expect(image.mediaType).toBe('image/png')
        expect(pngInfo(Buffer.from(image.uint8Array))).toMatchObject({ width: 512, height: 512 })
      }
      expect(counter.calls).toBe(1)
      expect(await available(t, user)).toBe(4)
    })

    it.each(OPENAI_NAMES)(
      '%s is refused as not a model of this installation, and nothing is charged',
      async (name) => {
        const user = await t.user({ credits: 5 })
        const counter = { calls: 0 }
        const error = await generateImage({
          model: provider(t, user, counter).image(name),
          prompt: 'a lighthouse at dusk',
          size: '1024x1024',
        }).catch((e: unknown) => e)
        expect(APICallError.isInstance(error)).toBe(true)
        const e = error as APICallError
        expect(e.statusCode).toBe(400)
        expect(e.message).toMatch(new RegExp(`"${name}" is not a model of this installation \\(.*sketch`))
        expect(e.isRetryable).toBe(false)
        expect(counter.calls).toBe(1)
        expect(await available(t, user)).toBe(5)
        expect((await t.server.services.ledger.verify()).violations).toEqual([])
      },
    )
  })

  describe('with EASEL_MODEL_ALIASES mapping the three names', () => {
    let upstream: FakeOpenAi
    let webui: FakeSdWebUi
    let t: TestServer
    beforeAll(async () => {
      upstream = await startFakeOpenAi({ apiKey: 'sk-upstream' })
      webui = await startFakeSdWebUi()
      t = await startTestServer(backend, {
        env: {
          EASEL_OPENAI_API_KEY: 'sk-upstream',
          EASEL_OPENAI_BASE_URL: upstream.url,
          EASEL_OPENAI_MODELS: 'gpt-image-1-mini',
          EASEL_SDWEBUI_URLS: webui.url,
          EASEL_MODEL_ALIASES:
            'dall-e-3=sdwebui:stable-diffusion,gpt-image-1=openai:gpt-image-1-mini,dall-e-2=sketch',
        },
      })
    }, 60_000)
    afterAll(async () => {
      await t?.close()
      await upstream?.close()
      await webui?.close()
    })

    const cases = [
      // The AI SDK asks dall-e-2 and dall-e-3 for b64_json itself; for gpt-image-1 it sends no
      // response_format, and Easel answers b64_json as OpenAI does for those names.
      { name: 'dall-e-2', size: '256x256', engine: 'sketch', model: 'sketch', width: 256, height: 256 },
      {
        name: 'dall-e-3',
        size: '1792x1024',
        engine: 'sdwebui',
        model: 'stable-diffusion',
        width: 1792,
        height: 1024,
      },
      {
        name: 'gpt-image-1',
        size: '1536x1024',
        engine: 'openai',
        model: 'gpt-image-1-mini',
        width: 1536,
        height: 1024,
      },
    ] as const

    it.each(cases)(
      '$name works through its alias ($engine), with images of the size asked for, charged once',
      async (c) => {
        const user = await t.user({ credits: 5 })
        const counter = { calls: 0 }
        const upstreamCalls = upstream.requests.length
        const txt2img = () => webui.requests.filter((r) => r.path === '/sdapi/v1/txt2img').length
        const webuiCalls = txt2img()
        const { images, responses } = await generateImage({
          model: provider(t, user, counter).image(c.name),
          prompt: 'a lighthouse at dusk',
          size: c.size,
        })
        expect(images).toHaveLength(1)
        expect(pngInfo(Buffer.from(images[0]!.uint8Array))).toMatchObject({
          width: c.width,
          height: c.height,
        })
        expect(responses[0]?.headers?.['x-credits-charged']).toBe('1')
        expect(counter.calls).toBe(1)
        expect(await available(t, user)).toBe(4)

        // The job is the target's: its engine ran it (the upstream asked for the target's model).
        const jobs = await t.server.services.db.kysely
          .selectFrom('jobs')
          .select(['engine', 'model', 'status'])
          .where('account_id', '=', user.user.accountId)
          .execute()
        expect(jobs).toEqual([{ engine: c.engine, model: c.model, status: 'succeeded' }])
        expect(upstream.requests.length - upstreamCalls).toBe(c.engine === 'openai' ? 1 : 0)
        expect(txt2img() - webuiCalls).toBe(c.engine === 'sdwebui' ? 1 : 0)
        if (c.engine === 'openai') {
          expect(upstream.requests.at(-1)?.json).toMatchObject({
            model: 'gpt-image-1-mini',
            size: '1536x1024',
          })
        }
        expect((await t.server.services.ledger.verify()).violations).toEqual([])
      },
    )

    it('sketch still works by its own name, next to the aliases', async () => {
      const user = await t.user({ credits: 5 })
      const counter = { calls: 0 }
      const { image } = await generateImage({
        model: provider(t, user, counter).image('sketch'),
        prompt: 'a lighthouse at dusk',
        size: '256x256',
      })
      expect(pngInfo(Buffer.from(image.uint8Array))).toMatchObject({ width: 256, height: 256 })
      expect(await available(t, user)).toBe(4)
    })
  })
})
