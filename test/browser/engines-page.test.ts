import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeSdWebUi, startFakeSdWebUi } from '../support/fake-sdwebui.ts'
import { startTestServer, type TestServer } from '../support/server.ts'
import {
  CHROMIUM,
  chromiumAvailable,
  consoleProblems,
  ensureStudioBuilt,
  screenshot,
  signIn,
} from './support.ts'

// The admin's engines page as a person meets it, in Debian's Chromium: an installation with two
// Stable Diffusion WebUIs, one answering and one down. After the down one failed three jobs in a
// row it is taken out; the page shows each WebUI's state, and how to turn the other engines on.

const enabled = chromiumAvailable()

/** An address where nothing listens: a WebUI that is down. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

describe.skipIf(!enabled)('the engines page in Chromium', () => {
  let webui: FakeSdWebUi
  let down: string
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    ensureStudioBuilt()
    webui = await startFakeSdWebUi()
    down = await closedPortUrl()
    server = await startTestServer('sqlite', { env: { EASEL_SDWEBUI_URLS: `${down},${webui.url}` } })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await webui?.close()
  })

  it("shows each WebUI's state: the one that is down taken out, and why; the other in rotation", async () => {
    const admin = await server.user({ role: 'admin' })
    const user = await server.user({ credits: 100 })
    // The down WebUI is listed first, so jobs try it until three failures take it out.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stable-diffusion', prompt: 'a lighthouse', size: '512x512' }),
      })
      expect(res.status).toBe(502)
    }

    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      reducedMotion: 'reduce',
    })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const problems = consoleProblems(page)
    await signIn(page, admin)
    await page.goto('/admin')
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Engines' }).click()
    await page.getByRole('heading', { name: 'Admin · Engines' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/admin/engines')

    const sdwebui = page.locator('[data-testid="engine"][data-engine="sdwebui"]')
    const out = sdwebui.locator(`[data-testid="backend"][data-url="${down}"]`)
    const up = sdwebui.locator(`[data-testid="backend"][data-url="${webui.url}"]`)
    await out.waitFor()
    expect(await out.getAttribute('data-healthy')).toBe('false')
    expect(await out.innerText()).toMatch(/Taken out · checked again in \d+ s/)
    expect(await out.innerText()).toContain('3 failures in a row')
    expect(await out.innerText()).toContain('could not be reached (ECONNREFUSED)')
    expect(await up.getAttribute('data-healthy')).toBe('true')
    expect(await up.innerText()).toContain('In rotation')
    expect(await sdwebui.innerText()).toContain('2 servers, 1 taken out of rotation')
    expect(await sdwebui.innerText()).toContain('stable-diffusion')

    // The built-in engine is there too, without servers; the setup help says which are off.
    const sketch = page.locator('[data-testid="engine"][data-engine="sketch"]')
    expect(await sketch.innerText()).toContain('procedural')
    expect(await sketch.locator('[data-testid="backend"]').count()).toBe(0)
    const setup = page.getByTestId('engines-setup')
    expect(await setup.locator('[data-engine="sdwebui"] .tag').innerText()).toBe('on')
    expect(await setup.locator('[data-engine="openai"] .tag').innerText()).toBe('off')
    expect(await setup.locator('[data-engine="comfyui"]').innerText()).toContain('EASEL_COMFYUI_URLS')
    expect(await setup.locator('[data-engine="sdwebui"]').innerText()).toContain('EASEL_SDWEBUI_URLS')
    expect(await setup.locator('[data-engine="openai"]').innerText()).toContain('EASEL_OPENAI_API_KEY')
    await screenshot(page, 'engines-page-01-one-out')

    // A job now goes to the WebUI that answers; Refresh shows it checked.
    const ok = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stable-diffusion', prompt: 'a lighthouse', size: '512x512' }),
    })
    expect(ok.status).toBe(200)
    await page.getByRole('button', { name: 'Refresh' }).click()
    await expect.poll(() => up.locator('time').count()).toBe(1)

    // At phone width the tables stack and nothing runs off the side.
    await page.setViewportSize({ width: 390, height: 844 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(page, 'engines-page-02-phone')
    expect(problems).toEqual([])
    await context.close()
  })

  it('is refused to someone who is not an administrator', async () => {
    const user = await server.user()
    const context = await browser.newContext({ baseURL: server.url })
    const page = await context.newPage()
    await signIn(page, user)
    await page.goto('/admin/engines')
    await page.getByTestId('admin-forbidden').waitFor()
    expect(await page.getByTestId('admin-engines').count()).toBe(0)
    await context.close()
  })
})
