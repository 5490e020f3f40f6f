import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminEnginesBody } from '../../src/contracts/index.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { type FakeSdWebUi, startFakeSdWebUi } from '../support/fake-sdwebui.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

/** An address where nothing listens: a WebUI that is down. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

describe.each(BACKENDS)('GET /api/admin/engines (%s)', (backend) => {
  let webui: FakeSdWebUi
  let down: string
  let t: TestServer
  beforeAll(async () => {
    webui = await startFakeSdWebUi()
    down = await closedPortUrl()
    t = await startTestServer(backend, {
      // The WebUI that is down is listed first: runs try it until it is taken out.
      env: { EASEL_SDWEBUI_URLS: `${down},${webui.url}`, EASEL_SDWEBUI_MODELS: 'stable-diffusion' },
    })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await webui?.close()
  })

  const engines = async (apiKey: string) => {
    const res = await fetch(`${t.url}/api/admin/engines`, { headers: { authorization: `Bearer ${apiKey}` } })
    expect(res.status).toBe(200)
    return readJson(res, AdminEnginesBody)
  }
  const generate = (apiKey: string) =>
    fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stable-diffusion', prompt: 'a lighthouse', size: '512x512' }),
    })

  it('lists each engine with its models, sizes, operations, queue, and null backends where it has none', async () => {
    const admin = await t.user({ role: 'admin' })
    const body = await engines(admin.apiKey)
    expect(body.engines.map((e) => e.name)).toEqual(['sketch', 'sdwebui'])
    const [sketch, sdwebui] = body.engines
    expect(sketch).toMatchObject({
      procedural: true,
      default: true,
      operations: ['generate', 'edit', 'variation'],
      queue: { running: 0, waiting: 0 },
      backends: null,
    })
    expect(sketch!.sizes.length).toBeGreaterThan(0)
    expect(sdwebui).toMatchObject({
      models: ['stable-diffusion'],
      procedural: false,
      default: false,
      queue: { running: 0, waiting: 0 },
      backends: [
        { url: down, healthy: true, running: 0, lastError: null, checkedAt: null, retryAt: null },
        { url: webui.url, healthy: true, running: 0, lastError: null, checkedAt: null, retryAt: null },
      ],
    })
  })

  it('shows a WebUI taken out after repeated failures, and why; jobs go to the other meanwhile', async () => {
    const admin = await t.user({ role: 'admin' })
    const user = await t.user({ credits: 100 })
    // Three failures in a row take it out (the pool's default); each failed job costs nothing.
    for (let i = 0; i < 3; i++) expect((await generate(user.apiKey)).status).toBe(502)
    const before = Date.now()
    const [, sdwebui] = (await engines(admin.apiKey)).engines
    const [out, up] = sdwebui!.backends!
    expect(out).toMatchObject({ url: down, healthy: false, running: 0 })
    expect(out!.lastError).toMatch(/^3 failures in a row, the last: .*could not be reached \(ECONNREFUSED\)$/)
    expect(out!.retryAt).toBeGreaterThan(before)
    expect(up).toMatchObject({ url: webui.url, healthy: true, lastError: null })

    expect((await generate(user.apiKey)).status).toBe(200)
    expect(webui.requests.filter((r) => r.path === '/sdapi/v1/txt2img')).toHaveLength(1)
    const after = (await engines(admin.apiKey)).engines[1]!.backends!
    expect(after[1]!.checkedAt).toEqual(expect.any(Number))
    const b = await t.server.services.ledger.balance(user.user.accountId)
    expect(b.ok && b.value.held).toBe(0)
  })

  it('is for administrators only: a user is refused (403), and so is no one (401)', async () => {
    const user = await t.user()
    const refused = await fetch(`${t.url}/api/admin/engines`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
    expect((await fetch(`${t.url}/api/admin/engines`)).status).toBe(401)
  })
})
