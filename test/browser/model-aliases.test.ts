import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelsList } from '../../src/contracts/index.ts'
import { readJson } from '../support/contracts.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'
import {
  CHROMIUM,
  chromiumAvailable,
  consoleProblems,
  ensureStudioBuilt,
  screenshot,
  signIn,
} from './support.ts'

// The model aliases section of the admin engines page, in Debian's Chromium: the alias of
// EASEL_MODEL_ALIASES is shown as fixed; an administrator maps dall-e-3 to the sketch engine, the
// name appears in /v1/models at once, and removing it takes it away again.

const enabled = chromiumAvailable()

describe.skipIf(!enabled)('model aliases on the engines page in Chromium', () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    ensureStudioBuilt()
    server = await startTestServer('sqlite', { env: { EASEL_MODEL_ALIASES: 'dall-e-2=sketch' } })
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
  })

  /** The model ids /v1/models lists for `user`, as an app using the OpenAI API sees them. */
  async function listedModels(user: TestUser): Promise<string[]> {
    const res = await fetch(`${server.url}/v1/models`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(res.status).toBe(200)
    return (await readJson(res, ModelsList)).data.map((m) => m.id)
  }

  it('an administrator adds an alias, it is listed in /v1/models, and removing it takes it away', async () => {
    const admin = await server.user({ role: 'admin' })
    const user = await server.user()
    expect(await listedModels(user)).toEqual(['sketch', 'dall-e-2'])

    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      reducedMotion: 'reduce',
    })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const problems = consoleProblems(page)
    await signIn(page, admin)
    await page.goto('/admin/engines')
    const section = page.getByTestId('model-aliases')
    await section.getByRole('heading', { name: 'Model aliases' }).waitFor()

    // The environment's alias: shown with what it reaches, fixed, with nothing to remove it by.
    const fixed = section.locator('tr[data-alias="dall-e-2"]')
    await fixed.waitFor()
    expect(await fixed.innerText()).toContain('sketch:sketch')
    expect(await fixed.innerText()).toContain('fixed (EASEL_MODEL_ALIASES)')
    expect(await fixed.getByRole('button').count()).toBe(0)

    // A name that would hide the engine itself is refused, and said why.
    await section.getByLabel('Alias').fill('sketch')
    await section.getByRole('button', { name: 'Set alias' }).click()
    await expect
      .poll(() => section.getByRole('alert').innerText())
      .toContain('the alias is the name of the sketch engine')
    expect(await section.locator('tbody tr').count()).toBe(1)

    await section.getByLabel('Alias').fill('dall-e-3')
    await section.getByLabel('Reaches').selectOption('sketch:sketch')
    await section.getByRole('button', { name: 'Set alias' }).click()
    await section.getByRole('status').filter({ hasText: 'dall-e-3 now reaches sketch:sketch.' }).waitFor()
    const added = section.locator('tr[data-alias="dall-e-3"]')
    await added.waitFor()
    expect(await added.innerText()).toContain('sketch:sketch')
    expect(await section.getByRole('alert').count()).toBe(0)
    expect(await section.getByLabel('Alias').inputValue()).toBe('')
    expect(await listedModels(user)).toEqual(['sketch', 'dall-e-2', 'dall-e-3'])
    await screenshot(page, 'model-aliases-01-added')

    // A generation naming it now works (the sketch engine makes it).
    const made = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dall-e-3', prompt: 'a lighthouse', size: '256x256', n: 1 }),
    })
    expect(made.status).toBe(200)

    await added.getByRole('button', { name: 'Remove dall-e-3' }).click()
    await section.getByRole('status').filter({ hasText: 'dall-e-3 was removed.' }).waitFor()
    await added.waitFor({ state: 'detached' })
    expect(await listedModels(user)).toEqual(['sketch', 'dall-e-2'])

    // At phone width the section's table and form do not run off the side.
    await page.setViewportSize({ width: 390, height: 844 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(page, 'model-aliases-02-phone')
    // The refused alias was a 400 the page showed: Chromium logs the failed request, nothing else.
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
    expect(problems.filter((p) => /status of 400/.test(p))).toHaveLength(1)
    await context.close()
  })
})
