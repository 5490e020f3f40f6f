import OpenAI, { toFile } from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodePng } from '../../src/images/png.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'
import { type FakeSdWebUi, startFakeSdWebUi } from '../support/fake-sdwebui.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

/** Easel configured with both upstream engines, each a local server speaking the upstream's API. */
describe('requests routed to the openai and sdwebui engines by model', () => {
  let openaiUpstream: FakeOpenAi
  let webui: FakeSdWebUi
  let t: TestServer
  beforeAll(async () => {
    openaiUpstream = await startFakeOpenAi({ apiKey: 'sk-upstream' })
    webui = await startFakeSdWebUi()
    t = await startTestServer('sqlite', {
      env: {
        EASEL_OPENAI_API_KEY: 'sk-upstream',
        EASEL_OPENAI_BASE_URL: openaiUpstream.url,
        EASEL_SDWEBUI_URL: webui.url,
      },
    })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await openaiUpstream?.close()
    await webui?.close()
  })

  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey, maxRetries: 0 })

  it('model gpt-image-1 goes to the OpenAI upstream, stable-diffusion to the WebUI, none to sketch', async () => {
    const user = await t.user()
    const client = sdk(user.apiKey)
    const viaOpenAi = await client.images.generate({
      model: 'gpt-image-1',
      prompt: 'a fox',
      n: 2,
      size: '1024x1024',
      response_format: 'b64_json',
    })
    expect(viaOpenAi.data).toHaveLength(2)
    expect(openaiUpstream.requests.at(-1)).toMatchObject({ path: '/v1/images/generations' })
    const viaWebUi = await client.images.generate({
      model: 'stable-diffusion',
      prompt: 'a fox',
      n: 2,
      size: '512x512',
    })
    expect(viaWebUi.data).toHaveLength(2)
    expect(webui.requests.at(-1)).toMatchObject({ path: '/sdapi/v1/txt2img' })
    const variation = await client.images.createVariation({
      model: 'gpt-image-1',
      image: await toFile(
        encodePng({ width: 1024, height: 1024, data: new Uint8Array(1024 * 1024 * 4).fill(255) }),
        'in.png',
      ),
      n: 1,
    })
    expect(variation.data).toHaveLength(1)
    // The upstream has no variations: it was asked for an edit.
    expect(openaiUpstream.requests.at(-1)).toMatchObject({ path: '/v1/images/edits' })
    const models = (await client.models.list()).data.map((m) => m.id)
    expect(models).toEqual(expect.arrayContaining(['sketch', 'gpt-image-1', 'stable-diffusion']))
    const b = await t.server.services.ledger.balance(user.user.accountId)
    expect(b.ok && b.value.available).toBe(12)
  })

  it('an upstream content refusal is content_policy_violation, and an upstream error is a 502; neither is charged', async () => {
    const user = await t.user()
    const client = sdk(user.apiKey)
    openaiUpstream.behaviour = 'content_policy'
    const refused = (await client.images
      .generate({ model: 'gpt-image-1', prompt: 'something', size: '1024x1024' })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(refused.status).toBe(400)
    expect(refused.code).toBe('content_policy_violation')
    webui.behaviour = 'server_error'
    const failed = (await client.images
      .generate({ model: 'stable-diffusion', prompt: 'x', size: '512x512' })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(failed.status).toBe(502)
    expect(failed.type).toBe('server_error')
    openaiUpstream.behaviour = 'ok'
    webui.behaviour = 'ok'
    const b = await t.server.services.ledger.balance(user.user.accountId)
    expect(b.ok && b.value).toMatchObject({ available: 15, held: 0 })
  })
})
