import { createHash } from 'node:crypto'
import fs from 'node:fs'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobBody } from '../../src/contracts/index.ts'
import { SketchEngine } from '../../src/engines/sketch/engine.ts'
import { unzip } from '../privacy/unzip.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'
import {
  chromiumAvailable,
  closesPagesAfterEach,
  ensureSetUp,
  jobViaApi,
  pngOf,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// Issue 13's studio for daily use, in Debian's Chromium: reusing a job's prompt and settings (and
// one image's seed), searching history, deleting an image and a job, downloading a job's images as
// a zip, undo and redo in the mask editor, pasting and dropping a picture, the sketch-only notice,
// the phone layout and dark mode. Every test has its own user and browser context.

const enabled = chromiumAvailable()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 900 }

describe.skipIf(!enabled)('the studio for daily use, in Chromium', () => {
  let studio: Studio
  const pages = closesPagesAfterEach()

  beforeAll(async () => {
    studio = await startStudio()
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
  })

  async function open(
    options: { viewport?: typeof DESKTOP; colorScheme?: 'light' | 'dark'; baseURL?: string } = {},
  ): Promise<Page> {
    const context = await studio.browser.newContext({
      baseURL: options.baseURL ?? studio.server.url,
      viewport: options.viewport ?? DESKTOP,
      colorScheme: options.colorScheme ?? 'light',
      acceptDownloads: true,
      reducedMotion: 'reduce',
    })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    pages.track(context, page)
    return page
  }

  async function signedIn(options: Parameters<typeof open>[0] = {}) {
    await ensureSetUp(studio)
    const u = await studio.server.user({ credits: 20 })
    const page = await open(options)
    await signIn(page, u)
    return { u, page }
  }

  const card = (page: Page, job: Pick<JobBody, 'id'>) =>
    page.locator(`[data-testid=job][data-job-id="${job.id}"]`)
  const tiles = (job: Locator) => job.getByTestId('image-tile')

  async function api(u: TestUser, method: string, path: string) {
    return fetch(`${studio.server.url}${path}`, { method, headers: { authorization: `Bearer ${u.apiKey}` } })
  }

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

  async function imageBytes(u: TestUser, imageId: string): Promise<Buffer> {
    const res = await api(u, 'GET', `/api/images/${imageId}/content`)
    expect(res.status).toBe(200)
    return Buffer.from(await res.arrayBuffer())
  }

  it('reuses a job’s prompt and settings from History, and the same seed draws the same images', async () => {
    const { u, page } = await signedIn()
    const first = await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a red kite over the dunes',
      n: 2,
      size: '512x512',
      seed: 4242,
    })
    await page.goto('/history')
    await card(page, first).getByRole('link', { name: 'Reuse prompt' }).click()

    await page.getByRole('heading', { name: 'Create images from a description' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/')
    // The link's fields are taken out of the address once used: a reload starts afresh.
    expect(new URL(page.url()).search).toBe('')
    await expect
      .poll(() => page.getByLabel('Describe the image').inputValue())
      .toBe('a red kite over the dunes')
    expect(await page.getByLabel('Size').inputValue()).toBe('512x512')
    expect(await page.getByLabel('Images', { exact: true }).inputValue()).toBe('2')
    expect(await page.getByLabel('Seed').inputValue()).toBe('4242')
    await screenshot(page, 'daily-01-reused-prompt')

    await page.getByRole('button', { name: /^Generate · 1 credit/ }).click()
    // The Create page lists recent jobs, the first among them: wait for the new one.
    const again = page
      .locator(`[data-testid=job][data-status=succeeded]:not([data-job-id="${first.id}"])`)
      .first()
    await again.waitFor()
    const secondId = await again.getAttribute('data-job-id')
    expect(secondId).not.toBe(first.id)
    const second = (await (await api(u, 'GET', `/api/jobs/${secondId}`)).json()) as JobBody
    expect(second).toMatchObject({ prompt: first.prompt, n: 2, size: '512x512', seed: 4242 })
    // The sketch engine is deterministic: the same prompt, size and seed give the same pictures.
    const hashes = async (job: JobBody) =>
      Promise.all(job.images.map(async (i) => sha256(await imageBytes(u, i.id))))
    expect(await hashes(second)).toEqual(await hashes(first))
  })

  it('shows each image’s seed in the large view, and “Use this seed” starts from it', async () => {
    const { u, page } = await signedIn()
    const job = await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a heron in the reeds',
      n: 3,
      size: '256x256',
      seed: 900,
    })
    await page.goto('/history')
    await tiles(card(page, job))
      .nth(1)
      .getByRole('button', { name: /Open image 2 of 3 large/ })
      .click()
    const viewer = page.getByRole('dialog')
    await expect.poll(() => viewer.getByTestId('image-seed').innerText()).toBe('901')
    await screenshot(page, 'daily-02-viewer-seed')
    await viewer.getByRole('link', { name: 'Use this seed' }).click()
    await page.getByRole('heading', { name: 'Create images from a description' }).waitFor()
    await expect.poll(() => page.getByLabel('Seed').inputValue()).toBe('901')
    expect(await page.getByLabel('Images', { exact: true }).inputValue()).toBe('1')
    expect(await page.getByLabel('Describe the image').inputValue()).toBe('a heron in the reeds')
  })

  it('searches History by description as one types, in any case', async () => {
    const { u, page } = await signedIn()
    const jobs: JobBody[] = []
    for (const prompt of ['a lighthouse at dusk', 'A Fox in the snow', 'two fox cubs playing']) {
      jobs.push(await jobViaApi(studio, u, { kind: 'generate', prompt, n: 1, size: '256x256' }))
    }
    await page.goto('/history')
    await expect.poll(() => page.getByTestId('job').count()).toBe(3)
    await page.getByRole('searchbox', { name: 'Search your images by their description' }).fill('FOX')
    await expect
      .poll(async () =>
        page.getByTestId('job').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id'))),
      )
      .toEqual([jobs[2]!.id, jobs[1]!.id])
    expect(new URL(page.url()).searchParams.get('q')).toBe('FOX')
    await screenshot(page, 'daily-03-history-search')

    await page.getByRole('searchbox').fill('zebra')
    await page.getByText('Nothing has “zebra” in its description.').waitFor()
    await page.getByRole('button', { name: 'Clear the search' }).click()
    await expect.poll(() => page.getByTestId('job').count()).toBe(3)
    expect(await page.getByRole('searchbox').inputValue()).toBe('')
  })

  it('deletes an image from the large view, then the whole job; what they cost stays charged', async () => {
    const { u, page } = await signedIn()
    const job = await jobViaApi(studio, u, { kind: 'generate', prompt: 'three pears', n: 3, size: '256x256' })
    const { ledger } = studio.server.server.services
    const before = await ledger.balance(u.user.accountId)
    await page.goto('/history')
    const jobCard = card(page, job)
    await tiles(jobCard)
      .first()
      .getByRole('button', { name: /Open image 1 of 3 large/ })
      .click()
    const viewer = page.getByRole('dialog')
    await viewer.getByRole('button', { name: 'Delete image' }).click()
    await viewer.getByText('Delete image 1 of 3 for good?').waitFor()
    await viewer.getByRole('button', { name: 'Delete', exact: true }).click()
    // The next image takes its place.
    await viewer.getByText(/^Image 1 of 2/).waitFor()
    await viewer.getByRole('button', { name: 'Close' }).click()
    await expect.poll(() => tiles(jobCard).count()).toBe(2)
    expect((await api(u, 'GET', `/api/images/${job.images[0]!.id}`)).status).toBe(404)

    await jobCard.getByRole('button', { name: 'Delete job' }).click()
    await jobCard.getByText('Delete “three pears” and its 2 images for good?').waitFor()
    await screenshot(page, 'daily-04-delete-job')
    await jobCard.getByRole('button', { name: 'Delete', exact: true }).click()
    await jobCard.waitFor({ state: 'detached' })
    expect((await api(u, 'GET', `/api/jobs/${job.id}`)).status).toBe(404)
    for (const image of job.images) expect((await api(u, 'GET', `/api/images/${image.id}`)).status).toBe(404)
    await page.reload()
    await page.getByText('Nothing here yet.').waitFor()

    const after = await ledger.balance(u.user.accountId)
    expect(after.ok && after.value.available).toBe(before.ok && before.value.available)
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('downloads all the images of a job as one zip', async () => {
    const { u, page } = await signedIn()
    const job = await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a bowl of plums',
      n: 3,
      size: '256x256',
    })
    await page.goto('/history')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card(page, job)
        .getByRole('link', { name: /Download all 3 images of “a bowl of plums” \(zip\)/ })
        .click(),
    ])
    expect(download.suggestedFilename()).toBe(`easel-${job.id}.zip`)
    const files = await unzip(fs.readFileSync((await download.path())!))
    expect([...files.keys()]).toEqual([1, 2, 3].map((n) => `${job.id}-${n}.png`))
    for (const [i, image] of job.images.entries()) {
      expect(files.get(`${job.id}-${i + 1}.png`)).toEqual(await imageBytes(u, image.id))
    }
  })

  it('undoes and redoes mask strokes with the buttons and with Ctrl+Z, Shift+Ctrl+Z and Ctrl+Y', async () => {
    const { u, page } = await signedIn()
    const job = await jobViaApi(studio, u, { kind: 'generate', prompt: 'a quiet bay', n: 1, size: '256x256' })
    await page.goto(`/edit?image=${job.images[0]!.id}`)
    const canvas = page.getByTestId('mask-canvas')
    await canvas.waitFor()
    const undo = page.getByRole('button', { name: 'Undo' })
    const redo = page.getByRole('button', { name: 'Redo' })
    expect(await undo.isDisabled()).toBe(true)
    const painted = () =>
      canvas.evaluate((c: HTMLCanvasElement) => {
        const data = c
          .getContext('2d', { willReadFrequently: true })!
          .getImageData(0, 0, c.width, c.height).data
        let n = 0
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++
        return n
      })
    const box = (await canvas.boundingBox())!
    const strokeAt = async (y: number) => {
      await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * y)
      await page.mouse.down()
      await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * y, { steps: 8 })
      await page.mouse.up()
    }
    await strokeAt(0.3)
    const one = await painted()
    await strokeAt(0.7)
    const two = await painted()
    expect(one).toBeGreaterThan(0)
    expect(two).toBeGreaterThan(one)
    await screenshot(page, 'daily-05-mask-two-strokes')

    await undo.click()
    expect(await painted()).toBe(one)
    await undo.click()
    expect(await painted()).toBe(0)
    expect(await undo.isDisabled()).toBe(true)
    await page.getByText('Nothing painted yet: paint the area to change.').waitFor()
    await redo.click()
    expect(await painted()).toBe(one)

    // The keyboard, with the focus on the page (not in the description's text).
    await canvas.focus()
    await page.keyboard.press('Control+Shift+Z')
    expect(await painted()).toBe(two)
    await page.keyboard.press('Control+Z')
    await page.keyboard.press('Control+Z')
    expect(await painted()).toBe(0)
    await page.keyboard.press('Control+Y')
    expect(await painted()).toBe(one)
    // A new stroke after an undo: what was undone can no longer be redone.
    await strokeAt(0.5)
    expect(await redo.isDisabled()).toBe(true)
    // Clearing is a step too.
    await page.getByRole('button', { name: 'Clear mask' }).click()
    expect(await painted()).toBe(0)
    await page.keyboard.press('Control+Z')
    expect(await painted()).toBeGreaterThan(0)
    // In the description, Ctrl+Z is the text's own.
    const description = page.getByLabel('Describe the change')
    await description.fill('a boat')
    const before = await painted()
    await description.press('Control+Z')
    expect(await painted()).toBe(before)
  })

  it('takes a pasted picture (Ctrl+V) and a dropped one as the image to edit', async () => {
    const { page } = await signedIn()
    await page.goto('/edit')
    await page.getByTestId('drop-zone').waitFor()
    const png = pngOf(300, 200).toString('base64')
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const data = new DataTransfer()
      data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }))
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }))
    }, png)
    const canvas = page.getByTestId('mask-canvas')
    await canvas.waitFor()
    expect(await canvas.evaluate((c: HTMLCanvasElement) => c.width)).toBe(256)

    await page.getByRole('button', { name: 'Choose another image' }).click()
    const zone = page.getByTestId('drop-zone')
    await zone.waitFor()
    const dropped = pngOf(600, 600).toString('base64')
    await zone.evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const data = new DataTransfer()
      data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }))
      for (const type of ['dragenter', 'dragover', 'drop'])
        el.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }))
    }, dropped)
    await canvas.waitFor()
    expect(await canvas.evaluate((c: HTMLCanvasElement) => c.width)).toBe(512)
  })

  it('at phone width, the nav shows that it scrolls and Generate is in view without scrolling', async () => {
    const { u, page } = await signedIn({ viewport: PHONE })
    await jobViaApi(studio, u, { kind: 'generate', prompt: 'a windmill in a field', n: 2, size: '256x256' })
    await page.reload()
    await page.locator('[data-testid=job][data-status=succeeded]').first().waitFor()
    const nav = page.getByRole('navigation', { name: 'Studio' })
    // Wider than the screen: it fades at the end with more beyond it, and snaps to its links.
    expect(await nav.evaluate((n) => n.scrollWidth > n.clientWidth)).toBe(true)
    expect(await nav.getAttribute('data-more-end')).toBe('true')
    expect(await nav.evaluate((n) => getComputedStyle(n).scrollSnapType)).toMatch(/^x/)
    expect(await nav.evaluate((n) => getComputedStyle(n).maskImage)).toMatch(/gradient/)
    const generate = page.getByRole('button', { name: /^Generate · 1 credit/ })
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    const box = (await generate.boundingBox())!
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height)
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)
    await screenshot(page, 'daily-06-phone')
    await page.screenshot({ path: 'test-results/screenshots/daily-06-phone-viewport.png' })

    // Scrolled to the end, the nav fades at its start instead.
    await nav.evaluate((n) => n.scrollTo({ left: n.scrollWidth }))
    await expect.poll(() => nav.getAttribute('data-more-start')).toBe('true')
    await expect.poll(() => nav.getAttribute('data-more-end')).toBe(null)
  })

  it('follows the system’s dark mode', async () => {
    const { u, page } = await signedIn({ colorScheme: 'dark' })
    const job = await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a night market',
      n: 2,
      size: '256x256',
    })
    await page.goto('/history')
    await card(page, job).waitFor()
    const colours = await page.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      text: getComputedStyle(document.body).color,
      scheme: getComputedStyle(document.documentElement).colorScheme,
      card: getComputedStyle(document.querySelector('[data-testid=job]')!).backgroundColor,
    }))
    expect(colours).toEqual({
      body: 'rgb(17, 19, 25)',
      text: 'rgb(231, 233, 240)',
      scheme: 'light dark',
      card: 'rgb(26, 29, 38)',
    })
    await screenshot(page, 'daily-07-dark-history')
    await page.goto('/')
    await page.getByLabel('Describe the image').waitFor()
    await screenshot(page, 'daily-08-dark-create')
  })

  describe('with only the sketch engine on', () => {
    let sketchOnly: TestServer
    beforeAll(async () => {
      sketchOnly = await startTestServer('sqlite', { engines: [new SketchEngine()] })
    }, 60_000)
    afterAll(() => sketchOnly?.close())

    it('says so on the Create page: an administrator gets the engines page, anyone else whom to ask', async () => {
      const admin = await sketchOnly.user({ role: 'admin' })
      const person = await sketchOnly.user()
      const adminPage = await open({ baseURL: sketchOnly.url })
      await signIn(adminPage, admin)
      const notice = adminPage.getByTestId('sketch-only')
      await notice.getByText('Only the built-in sketch engine is on').waitFor()
      expect(await notice.getByRole('link', { name: 'turn on an engine' }).getAttribute('href')).toBe(
        '/admin/engines',
      )
      await screenshot(adminPage, 'daily-09-sketch-only-admin')

      const personPage = await open({ baseURL: sketchOnly.url })
      await signIn(personPage, person)
      await personPage
        .getByTestId('sketch-only')
        .getByText(/ask your operator to turn on an engine/)
        .waitFor()
      expect(await personPage.getByTestId('sketch-only').getByRole('link').count()).toBe(0)
    })
  })

  it('says nothing of the sketch engine when another engine is on', async () => {
    const { page } = await signedIn()
    await page.getByLabel('Describe the image').waitFor()
    await page.getByLabel('Engine').waitFor()
    expect(await page.getByTestId('sketch-only').count()).toBe(0)
  })
})
