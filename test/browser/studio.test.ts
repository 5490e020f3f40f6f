import fs from 'node:fs'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterAll, afterEach, assert, beforeAll, describe, expect, it } from 'vitest'
import { CreditsBody } from '../../src/contracts/index.ts'
import { addMonthsClamped, LABS_2022, validateBook } from '../../src/credits/index.ts'
import { readJson } from '../support/contracts.ts'
import type { TestUser } from '../support/server.ts'
import {
  balance,
  chromiumAvailable,
  closesPagesAfterEach,
  consoleProblems,
  ensureSetUp,
  jobViaApi,
  newPage,
  pngOf,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// The studio as a person uses it, in Debian's Chromium, against one Easel server (SQLite, fresh
// data directory) started here. Every test has its own user and its own browser context.

const enabled = chromiumAvailable()
const OWNER = { email: 'owner@example.test', password: 'correct horse battery' }
const DAY = 86_400_000

describe.skipIf(!enabled)('the studio in Chromium', () => {
  let studio: Studio
  const pages = closesPagesAfterEach()

  beforeAll(async () => {
    studio = await startStudio()
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
  })

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const { context, page } = await newPage(studio, viewport)
    pages.track(context, page)
    return page
  }

  async function user(
    options: Parameters<Studio['server']['user']>[0] = { cohorts: ['beta'] },
  ): Promise<TestUser> {
    await ensureSetUp(studio)
    return studio.server.user(options)
  }

  async function signedIn(
    options?: Parameters<typeof user>[0],
    viewport?: { width: number; height: number },
  ) {
    const u = await user(options)
    const page = await open(viewport)
    await signIn(page, u)
    return { u, page }
  }

  const succeededJob = (page: Page) => page.locator('[data-testid=job][data-status=succeeded]').first()
  const tiles = (job: Locator) => job.getByTestId('image-tile')
  const expectBalance = (page: Page, text: string) =>
    expect.poll(() => balance(page), { timeout: 15_000 }).toBe(text)

  async function available(u: TestUser) {
    const b = await studio.server.server.services.ledger.balance(u.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return b.value
  }

  it('sets up the owner on a fresh installation; the owner signs out and in again', async () => {
    const page = await open()
    await page.goto('/')
    await page.getByRole('heading', { name: 'Set up Easel' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/setup')
    await page.getByLabel('Email').fill(OWNER.email)
    await page.getByLabel('Password').fill(OWNER.password)
    await screenshot(page, '01-setup')
    await page.getByRole('button', { name: 'Create owner account' }).click()
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    await page.getByLabel('Email').fill(OWNER.email)
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor()
    await signIn(page, OWNER)
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor()
  })

  it('signs up a beta user (invite code), who sees 65 credits: 15 free this month and a 50 credit bonus', async () => {
    await ensureSetUp(studio)
    const { accounts } = studio.server.server.services
    const owner = (await accounts.listUsers({ limit: 1 })).users[0]!
    const invite = await accounts.createInvite({
      cohort: 'beta',
      maxUses: 1,
      expiresAt: null,
      createdBy: owner.id,
    })
    if (!invite.ok) throw new Error(invite.error.message)
    const page = await open()
    await page.goto('/signin')
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create your Easel account' }).waitFor()
    await page.getByLabel('Invite code').fill(invite.value.code)
    await page.getByLabel('Email').fill(`beta-${Date.now()}@example.test`)
    await page.getByLabel('Password').fill('short')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('Password must be at least 10 characters.').waitFor()
    await page.getByLabel('Password').fill('correct horse battery')
    await page.getByRole('button', { name: 'Create account' }).click()
    await expectBalance(page, '65 credits')

    await page.getByTestId('balance').click()
    await page.getByRole('heading', { name: 'Credits', exact: true }).waitFor()
    const lots = page.getByTestId('lot')
    await expect.poll(() => lots.allInnerTexts()).toHaveLength(2)
    const text = (await lots.allInnerTexts()).join('\n')
    expect(text).toMatch(/15 free credits expire on \d{1,2} [A-Z][a-z]{2}/)
    expect(text).toMatch(/50 bonus credits expire on \d{1,2} [A-Z][a-z]{2}/)
  })

  it('generates 4 images for 1 credit (balance 64), opens one large, favourites and downloads it', async () => {
    const { page } = await signedIn()
    await expectBalance(page, '65 credits')
    await page.getByLabel('Describe the image').fill('a lighthouse on a cliff at dusk, oil painting')
    await page.getByRole('button', { name: 'Generate · 1 credit' }).click()
    const job = succeededJob(page)
    await job.waitFor()
    expect(await tiles(job).count()).toBe(4)
    expect(await job.getByText('procedural preview').count()).toBe(4)
    await job.getByText('1 credit · paid with free credits · 4 images', { exact: true }).waitFor()
    await expectBalance(page, '64 credits')
    await screenshot(page, '02-studio-four-images')

    await job.getByRole('button', { name: 'Open image 1 of 4 large' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    await dialog.getByText('procedural preview').waitFor()
    await screenshot(page, '03-image-large')
    const favourite = dialog.getByRole('button', { name: 'Favourite' })
    expect(await favourite.getAttribute('aria-pressed')).toBe('false')
    await favourite.click()
    await expect.poll(() => favourite.getAttribute('aria-pressed')).toBe('true')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    const tileFavourite = job.getByRole('button', { name: 'Favourite image 1 of 4' })
    expect(await tileFavourite.getAttribute('aria-pressed')).toBe('true')
    // Said so a person understands it: the job still has 4 images, one of them a favourite.
    await job.getByText('paid with free credits · 4 images · 1 favourite').waitFor()

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      job.getByRole('link', { name: 'Download image 1 of 4' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^easel-img_[0-9a-z]{26}\.png$/)
    const bytes = fs.readFileSync(await download.path())
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')

    // The favourite is kept on the server: History's favourites show this job.
    await page.getByRole('link', { name: 'History', exact: true }).click()
    await page.getByRole('link', { name: 'Favourites' }).click()
    await expect.poll(() => page.getByTestId('job').count()).toBe(1)
  })

  it('makes 3 variations of a generated image for 1 credit', async () => {
    const u = await user()
    const generated = await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a fox in the snow',
      size: '512x512',
    })
    expect(generated.status).toBe('succeeded')
    const page = await open()
    await signIn(page, u)
    await expectBalance(page, '64 credits')
    await page.goto(`/variations?image=${generated.images[0]!.id}`)
    await page.getByRole('img', { name: 'What the variations start from' }).waitFor()
    await page.getByRole('button', { name: 'Make variations · 1 credit' }).click()
    const job = succeededJob(page)
    await job.waitFor()
    expect(await tiles(job).count()).toBe(3)
    await expectBalance(page, '63 credits')
    const after = await available(u)
    expect(after).toMatchObject({ available: 63, held: 0 })
  })

  it('edits an uploaded image with a painted mask (transparent = change) into 3 images for 1 credit', async () => {
    const { page } = await signedIn()
    await page.getByRole('link', { name: 'Edit', exact: true }).click()
    await page.getByLabel('Upload an image').setInputFiles({
      name: 'holiday.png',
      mimeType: 'image/png',
      buffer: pngOf(600, 400),
    })
    const canvas = page.getByTestId('mask-canvas')
    await canvas.waitFor()
    await page.getByText('Nothing painted yet').waitFor()
    const box = (await canvas.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 10 })
    await page.mouse.up()
    await page.getByText('The painted area will be changed').waitFor()
    await page.getByLabel('Describe the change').fill('a red sailing boat on the water')
    await screenshot(page, '04-edit-painted-mask')

    const asked = studio.sketch.requests.length
    await page.getByRole('button', { name: 'Edit · 1 credit' }).click()
    const job = succeededJob(page)
    await job.waitFor()
    expect(await tiles(job).count()).toBe(3)
    await expectBalance(page, '64 credits')

    // What reached the engine: the upload as a square PNG, and a mask of its size in OpenAI's
    // convention (painted = fully transparent = change; the rest opaque = keep).
    const request = studio.sketch.requests.slice(asked).find((r) => r.operation === 'edit')
    if (request?.operation !== 'edit' || !request.mask) throw new Error('the engine got no edit with a mask')
    const image = PNG.sync.read(request.image)
    const mask = PNG.sync.read(request.mask)
    // 600×400 → its centre 400×400 square, scaled to 256 (the largest engine size it covers).
    expect([image.width, image.height]).toEqual([256, 256])
    expect([mask.width, mask.height]).toEqual([256, 256])
    const alpha = (x: number, y: number) => mask.data[(y * mask.width + x) * 4 + 3]
    expect(alpha(128, 128)).toBe(0) // painted: change
    expect(alpha(90, 128)).toBe(0)
    expect(alpha(4, 4)).toBe(255) // not painted: keep
    expect(alpha(128, 20)).toBe(255)
    expect(alpha(250, 250)).toBe(255)
  })
  it('says why a job failed and that nothing was charged; the balance is unchanged', async () => {
    const { u, page } = await signedIn()
    await expectBalance(page, '65 credits')
    await page.getByLabel('Engine').selectOption('broken')
    await page.getByLabel('Describe the image').fill('a castle in the clouds')
    await page.getByRole('button', { name: 'Generate · 1 credit' }).click()
    const failed = page.locator('[data-testid=job][data-status=failed]').first()
    await failed.waitFor()
    const alert = failed.getByRole('alert')
    const text = await alert.innerText()
    expect(text).toContain('This job failed')
    expect(text).toContain('CUDA out of memory')
    expect(text).toContain('Nothing was charged')
    await expectBalance(page, '65 credits')
    expect(await page.getByTestId('balance').innerText()).not.toContain('held')
    expect(await available(u)).toMatchObject({ available: 65, held: 0 })
    await screenshot(page, '05-failed-job')
  })

  it('buys a pack with the test card: +115 credits that expire a year out', async () => {
    const { u, page } = await signedIn()
    await expectBalance(page, '65 credits')
    await page.getByRole('link', { name: 'Buy credits' }).first().click()
    await page.getByRole('heading', { name: 'Buy credits', level: 1 }).waitFor()
    const pack = page.getByTestId('pack').first()
    const packText = await pack.innerText()
    expect(packText).toContain('115 credits')
    expect(packText).toContain('$15.00')
    expect(packText).toContain('13.04¢ per credit')
    await page.getByLabel('Name on card').fill('Ada Lovelace')
    await page.getByLabel('Card number').fill('4242424242424242')
    expect(await page.getByLabel('Card number').inputValue()).toBe('4242 4242 4242 4242')
    await page.getByLabel('Expiry (MM/YY)').fill(`12/${String((new Date().getFullYear() + 3) % 100)}`)
    await page.getByLabel('Security code (CVC)').fill('123')
    await screenshot(page, '06-buy-credits')
    await page.getByRole('button', { name: 'Pay $15.00' }).click()
    const done = page.getByTestId('purchase-done')
    await done.waitFor()
    await expectBalance(page, '180 credits')

    const lot = (await available(u)).lots.find((l) => l.source === 'purchase')
    expect(lot).toMatchObject({ amount: 115, remaining: 115 })
    if (!lot?.expiresAt) throw new Error('the purchased lot has no expiry')
    const inDays = (lot.expiresAt - Date.now()) / DAY
    expect(inDays).toBeGreaterThan(360)
    expect(inDays).toBeLessThan(370)
    const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(
      new Date(lot.expiresAt),
    )
    expect(await done.innerText()).toContain(`115 credits were added to your balance; they expire on ${day}`)

    await done.getByRole('link', { name: 'See your credits' }).click()
    await page.getByText(`115 purchased credits expire on ${day}`).waitFor()
    await page.getByRole('cell', { name: '$15.00' }).waitFor()
    await screenshot(page, '07-credits')
  })

  it('grants nothing when the card is declined', async () => {
    const { u, page } = await signedIn()
    await page.goto('/credits/buy')
    await page.getByLabel('Card number').fill('4000 0000 0000 0002')
    await page.getByLabel('Expiry (MM/YY)').fill('12/39')
    await page.getByLabel('Security code (CVC)').fill('123')
    await page.getByRole('button', { name: 'Pay $15.00' }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'Payment not completed' })
    await alert.waitFor()
    expect((await alert.innerText()).toLowerCase()).toContain('declined')
    await expectBalance(page, '65 credits')
    const b = await available(u)
    expect(b.available).toBe(65)
    expect(b.lots.some((l) => l.source === 'purchase')).toBe(false)

    // A mistyped number is caught by the card check, next to the field.
    await page.getByLabel('Card number').fill('4242 4242 4242 4241')
    await page.getByRole('button', { name: 'Pay $15.00' }).click()
    await page
      .locator('.field-problem')
      .filter({ hasText: /card number/i })
      .waitFor()
  })

  it('shows an out-of-credits user a clear prompt to buy credits', async () => {
    const { page } = await signedIn({ credits: 0 })
    await expectBalance(page, '0 credits')
    const prompt = page.getByTestId('out-of-credits')
    await prompt.waitFor()
    expect(await prompt.innerText()).toContain('You are out of credits')
    // …and when the free credits come (the price book's 15 a month).
    expect(await prompt.innerText()).toMatch(/Your next 15 free credits come on \d{1,2} [A-Z][a-z]{2}/)
    expect(await page.getByRole('button', { name: 'Generate · 1 credit' }).isDisabled()).toBe(true)
    await screenshot(page, '08-out-of-credits')
    await prompt.getByRole('link', { name: 'Buy credits' }).click()
    await page.getByRole('heading', { name: 'Buy credits', level: 1 }).waitFor()
  })

  it('keeps admin pages from a user who is not an administrator', async () => {
    const { page } = await signedIn()
    const nav = page.getByRole('navigation', { name: 'Studio' })
    await nav.getByRole('link', { name: 'History' }).waitFor()
    expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0)
    for (const path of ['/admin', '/admin/pricing', '/admin/report', '/admin/keys', '/admin/audit']) {
      await page.goto(path)
      await page.getByRole('heading', { name: 'Administrators only' }).waitFor()
      expect(await page.getByTestId('admin-users').count()).toBe(0)
    }
    const status = await page.evaluate(async () => (await fetch('/api/admin/users')).status)
    expect(status).toBe(403)
  })

  it('lets an administrator see users, grant credits with a reason, and read the price book and report', async () => {
    const target = await user({})
    const { page } = await signedIn({ role: 'admin' })
    await page.getByRole('link', { name: 'Admin', exact: true }).click()
    await page.getByRole('heading', { name: 'Admin · Users' }).waitFor()
    // Mail is off here: the admin is told that sign-ups get free credits without any check.
    await page.getByTestId('free-credits-unprotected').waitFor()
    await page.getByTestId('cohort').filter({ hasText: 'beta' }).first().waitFor()
    const users = page.getByTestId('admin-users')
    await users.getByRole('cell', { name: target.email, exact: true }).waitFor()
    await users.getByRole('button', { name: `Grant credits to ${target.email}` }).click()
    await page.getByLabel('Credits', { exact: true }).fill('20')
    await page.getByLabel('Reason').fill('sorry for the outage')
    await page.getByRole('button', { name: 'Grant credits', exact: true }).click()
    await page.getByText(`Granted 20 credits (promotional) to ${target.email}`).waitFor()
    expect((await available(target)).available).toBe(35)
    await screenshot(page, '09-admin-users')

    await page.getByRole('link', { name: 'Price book' }).click()
    await page.getByRole('heading', { name: 'In force: labs-2022' }).waitFor()
    await page.getByRole('cell', { name: 'pack-115' }).waitFor()
    await screenshot(page, '10-admin-pricing')

    await page.getByRole('link', { name: 'Report' }).click()
    const report = page.getByTestId('report')
    await report.waitFor()
    expect(await report.innerText()).toContain('Promotional')
    // Cash (purchases less refunds, per currency) beside the revenue recognised.
    const cash = page.getByTestId('cash-received').first()
    expect(await cash.innerText()).toMatch(
      /Cash received[\s\S]*\$\d+\.\d\d[\s\S]*purchases \$\d+\.\d\d less refunds/,
    )
    await screenshot(page, '11-admin-report')

    await page.getByRole('link', { name: 'API keys' }).nth(1).click()
    await page.getByRole('heading', { name: 'Admin · API keys' }).waitFor()

    // The grant above is in the audit log, newest first, with who, what and why.
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByRole('heading', { name: 'Admin · Audit log' }).waitFor()
    const log = page.getByTestId('audit-log')
    const grant = log.getByRole('row').filter({ hasText: 'sorry for the outage' })
    await grant.waitFor()
    expect(await grant.innerText()).toMatch(/credits\.grant[\s\S]*amount: 20/)
    await page.getByLabel('Action').selectOption('apikey.revoke')
    await page.getByText('Nothing recorded for apikey.revoke yet.').waitFor()
    await page.getByLabel('Action').selectOption('credits.grant')
    await grant.waitFor()
    await screenshot(page, '11b-admin-audit')
  })

  it('lists every job in History, newest first, a page at a time, and filters to favourites', async () => {
    const u = await user()
    const ids: string[] = []
    for (let i = 1; i <= 11; i++) {
      const job = await jobViaApi(studio, u, {
        kind: 'generate',
        prompt: `study number ${i}`,
        size: '256x256',
      })
      ids.push(job.images[0]!.id)
    }
    const fav = await fetch(`${studio.server.url}/api/images/${ids[2]}/favourite`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${u.apiKey}` },
    })
    expect(fav.status).toBe(200)
    const page = await open()
    await signIn(page, u)
    await page.getByRole('link', { name: 'History', exact: true }).click()
    const jobs = page.getByTestId('job')
    await expect.poll(() => jobs.count()).toBe(10)
    expect(await jobs.first().innerText()).toContain('study number 11')
    await screenshot(page, '12-history')
    await page.getByRole('button', { name: 'Older →' }).click()
    await expect.poll(() => jobs.count()).toBe(1)
    expect(await jobs.first().innerText()).toContain('study number 1')
    await page.getByRole('button', { name: '← Newer' }).click()
    await expect.poll(() => jobs.count()).toBe(10)
    await page.getByRole('link', { name: 'Favourites' }).click()
    await expect.poll(() => jobs.count()).toBe(1)
    expect(await jobs.first().innerText()).toContain('study number 3')
  })

  it('creates an API key (shown once) that works with the API, lists it and revokes it', async () => {
    const { page } = await signedIn()
    await page.getByRole('link', { name: 'API keys' }).click()
    await page.getByLabel('Name').fill('my script')
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = await page.getByLabel('The new API key').inputValue()
    expect(secret.length).toBeGreaterThan(20)
    const me = await fetch(`${studio.server.url}/api/me`, { headers: { authorization: `Bearer ${secret}` } })
    expect(me.status).toBe(200)
    expect(await page.locator('pre.code').innerText()).toContain(`baseURL: '${studio.server.url}/v1'`)
    await page.getByRole('cell', { name: 'my script', exact: true }).waitFor()
    await screenshot(page, '13-api-keys')

    await page.getByRole('button', { name: 'Revoke my script' }).click()
    await page.getByRole('button', { name: 'Confirm revoke my script' }).click()
    await page.getByRole('cell', { name: /^revoked/ }).waitFor()
    const refused = await fetch(`${studio.server.url}/api/me`, {
      headers: { authorization: `Bearer ${secret}` },
    })
    expect(refused.status).toBe(401)
  })

  it('holds its layout at phone width: one column, nothing wider than the screen', async () => {
    const u = await user()
    await jobViaApi(studio, u, {
      kind: 'generate',
      prompt: 'a city of glass towers by the sea',
      size: '256x256',
    })
    const page = await open({ width: 390, height: 844 })
    await signIn(page, u)
    const job = succeededJob(page)
    await job.waitFor()
    const boxes = await Promise.all((await tiles(job).all()).map((t) => t.boundingBox()))
    expect(boxes).toHaveLength(4)
    // One column: every image starts at the same x, each below the one before.
    expect(new Set(boxes.map((b) => Math.round(b!.x))).size).toBe(1)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    // The composer stacks its options and the button without blank space between them.
    const size = (await page.getByLabel('Size').boundingBox())!
    const generate = (await page.getByRole('button', { name: 'Generate · 1 credit' }).boundingBox())!
    expect(generate.y - (size.y + size.height)).toBeLessThan(120)
    // …and everything in it stays inside the card.
    const composer = (await page.locator('.composer').boundingBox())!
    for (const control of [
      page.getByLabel('Engine'),
      page.getByRole('button', { name: 'Generate · 1 credit' }),
    ]) {
      const box = (await control.boundingBox())!
      expect(box.x + box.width).toBeLessThanOrEqual(composer.x + composer.width - 12)
    }
    await screenshot(page, '14-studio-phone')
    for (const path of ['/credits', '/credits/buy', '/history', '/keys', '/account']) {
      await page.goto(path)
      await page.locator('h1').first().waitFor()
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0)
    }
  })

  it('works with the keyboard alone: sign in, generate, open an image large and close it', async () => {
    const u = await user()
    const page = await open()
    await page.goto('/signin')
    const tabTo = async (target: Locator) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab')
        if (await target.evaluate((el) => el === document.activeElement)) return
      }
      throw new Error('could not reach the element with Tab')
    }
    await tabTo(page.getByLabel('Email'))
    await page.keyboard.type(u.email)
    await tabTo(page.getByLabel('Password'))
    await page.keyboard.type(u.password)
    await page.keyboard.press('Enter')
    const prompt = page.getByLabel('Describe the image')
    await prompt.waitFor()
    await tabTo(prompt)
    await page.keyboard.type('a harbour at night with lanterns')
    await tabTo(page.getByRole('button', { name: 'Generate · 1 credit' }))
    await page.keyboard.press('Enter')
    const job = succeededJob(page)
    await job.waitFor()
    await tabTo(job.getByRole('button', { name: 'Open image 2 of 4 large' }))
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    await page.keyboard.press('ArrowRight')
    await dialog.getByText('Image 3 of 4').waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await expectBalance(page, '64 credits')
  })

  it('says it is in test mode, on every page, while the test checkout is on', async () => {
    await ensureSetUp(studio)
    const page = await open()
    await page.goto('/signin')
    const banner = page.getByTestId('test-mode')
    expect(await banner.innerText()).toContain('Test mode — no real money')
    await signIn(page, await user())
    for (const path of ['/', '/credits', '/credits/buy']) {
      await page.goto(path)
      await page.locator('h1').first().waitFor()
      expect(await banner.isVisible()).toBe(true)
    }
  })

  it('clears a problem once it is dealt with: a description typed, a mask painted', async () => {
    const { page } = await signedIn()
    await page.getByRole('button', { name: 'Generate · 1 credit' }).click()
    const describeFirst = page.getByText('Describe the image you want first.')
    await describeFirst.waitFor()
    await page.getByLabel('Describe the image').pressSequentially('a')
    await describeFirst.waitFor({ state: 'detached' })
    expect(await page.getByLabel('Describe the image').getAttribute('aria-invalid')).toBeNull()

    await page.getByRole('link', { name: 'Edit', exact: true }).click()
    await page.getByLabel('Upload an image').setInputFiles({
      name: 'field.png',
      mimeType: 'image/png',
      buffer: pngOf(300, 300),
    })
    const canvas = page.getByTestId('mask-canvas')
    await canvas.waitFor()
    await page.getByLabel('Describe the change').fill('a tree in the field')
    await page.getByRole('button', { name: 'Edit · 1 credit' }).click()
    const paintFirst = page.getByText('Paint the area you want to change first.')
    await paintFirst.waitFor()
    const box = (await canvas.boundingBox())!
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
    await page.getByText('The painted area will be changed').waitFor()
    await paintFirst.waitFor({ state: 'detached' })
  })

  it('says a linked image that does not exist was not found', async () => {
    const { page } = await signedIn()
    for (const path of ['/edit', '/variations']) {
      await page.goto(`${path}?image=img_doesnotexist`)
      const alert = page.getByRole('alert').filter({ hasText: 'That image was not found' })
      await alert.waitFor()
      expect(await alert.innerText()).not.toMatch(/img_…|Id must/)
      // What to do instead is right there.
      await page.getByLabel('Upload an image').waitFor()
    }
    await page.goto('/edit?image=img_00000000000000000000000000')
    await page.getByRole('alert').filter({ hasText: 'That image was not found' }).waitFor()
  })

  it('explains the free monthly credits and the bonus, and keeps a long prompt to two lines', async () => {
    const u = await user()
    const long = 'a quiet harbour at dawn with fishing boats and gulls, '.repeat(80).slice(0, 4000)
    const job = await jobViaApi(studio, u, { kind: 'generate', prompt: long, size: '256x256' })
    expect(job.status).toBe('succeeded')
    const api = await fetch(`${studio.server.url}/api/credits`, {
      headers: { authorization: `Bearer ${u.apiKey}` },
    })
    const { allowance, bonuses } = await readJson(api, CreditsBody)
    // The next free credits come a month after sign-up (the period is anchored on it).
    assert(allowance, 'the free plan has a monthly allowance')
    expect(allowance).toMatchObject({ plan: 'free', monthlyCredits: 15, nextGrantCredits: 15 })
    expect(Math.abs(allowance.nextGrantAt - addMonthsClamped(u.user.createdAt, 1))).toBeLessThan(60_000)
    expect(bonuses).toEqual([{ cohort: 'beta', credits: 50 }])

    const page = await open()
    await signIn(page, u)
    await page.goto('/credits')
    const free = page.getByTestId('free-credits')
    const text = await free.innerText()
    expect(text).toContain(
      `15 free credits every month — the next 15 credits come on ${day(allowance.nextGrantAt)}`,
    )
    expect(text).toContain('50 bonus credits — given once, when your account joined the “beta” group')
    const prices = await page.getByTestId('operation-prices').innerText()
    expect(prices).toContain('Create from a description: 4 images for 1 credit')
    expect(prices).toContain('Edit with a mask: 3 images for 1 credit')

    const row = page.getByRole('row').filter({ hasText: 'a quiet harbour at dawn' })
    const height = (await row.boundingBox())!.height
    expect(height).toBeLessThan(100)
    await screenshot(page, '15-credits-free-and-long-prompt')
  })

  it('tells a user at 0 credits when the next free credits come', async () => {
    const { page } = await signedIn({ credits: 0 })
    await page.goto('/credits')
    expect(await page.getByTestId('free-credits').innerText()).toMatch(
      /you are out of credits until \d{1,2} [A-Z][a-z]{2}( \d{4})?, when 15 free credits come/,
    )
  })

  it('fills the Create page at 1366×768: four images across the card, no empty column', async () => {
    const u = await user()
    await jobViaApi(studio, u, { kind: 'generate', prompt: 'a meadow of poppies at noon', size: '256x256' })
    const page = await open({ width: 1366, height: 768 })
    await signIn(page, u)
    const job = succeededJob(page)
    await job.waitFor()
    const card = (await job.boundingBox())!
    const boxes = (await Promise.all((await tiles(job).all()).map((t) => t.boundingBox()))).map((b) => b!)
    expect(boxes).toHaveLength(4)
    const right = Math.max(...boxes.map((b) => b.x + b.width))
    // The images reach the card's padding on the right (18 px), not 240 px short of it.
    expect(card.x + card.width - right).toBeLessThan(40)
    // …and the four of them fit on the screen with the composer above.
    expect(Math.max(...boxes.map((b) => b.height))).toBeLessThan(400)
    await screenshot(page, '16-studio-1366')
  })

  it('logs no errors or warnings in the console across the main pages', async () => {
    await ensureSetUp(studio)
    const u = await user({ role: 'admin', cohorts: ['beta'] })
    await jobViaApi(studio, u, { kind: 'generate', prompt: 'a lantern in the fog', size: '256x256' })
    const page = await open()
    const problems = consoleProblems(page)
    await page.goto('/signin')
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    await page.goto('/signup')
    await page.getByRole('heading', { name: 'Create your Easel account' }).waitFor()
    await page.goto('/forgot-password')
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
    await page.goto('/credits')
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    await signIn(page, u)
    await succeededJob(page).waitFor()

    // Paint, then erase (the eraser reads the mask back to see whether any paint is left).
    await page.goto('/edit')
    await page.getByLabel('Upload an image').setInputFiles({
      name: 'fog.png',
      mimeType: 'image/png',
      buffer: pngOf(256, 256),
    })
    const canvas = page.getByTestId('mask-canvas')
    await canvas.waitFor()
    const box = (await canvas.boundingBox())!
    const stroke = async () => {
      await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5)
      await page.mouse.down()
      await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5, { steps: 12 })
      await page.mouse.up()
    }
    await stroke()
    await page.getByText('The painted area will be changed').waitFor()
    await page.getByRole('button', { name: 'Eraser' }).click()
    await stroke()
    await page.getByRole('button', { name: 'Clear mask' }).click()
    await page.getByText('Nothing painted yet').waitFor()

    for (const [path, heading] of [
      ['/variations', 'Variations'],
      ['/history', 'History'],
      ['/credits', 'Credits'],
      ['/credits/buy', 'Buy credits'],
      ['/keys', 'API keys'],
      ['/account', 'Account'],
      ['/admin', 'Admin · Users'],
      ['/admin/pricing', 'Admin · Price book'],
      ['/admin/report', 'Admin · Report'],
      ['/admin/purchases', 'Admin · Purchases'],
    ] as const) {
      await page.goto(path)
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
      await page.waitForLoadState('networkidle')
    }
    expect(problems).toEqual([])
  })
})

/** How the studio writes a day: "3 Jan", or "3 Jan 2028" when not this year. */
function day(ms: number): string {
  const sameYear = new Date(ms).getFullYear() === new Date().getFullYear()
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(new Date(ms))
}

/** A book that differs from labs-2022 where the studio must notice: an edit costs 2, 20 free a month. */
const DEARER_EDITS = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'dearer-edits',
    operations: {
      ...LABS_2022.operations,
      edit: { ...LABS_2022.operations.edit, rules: [{ id: 'edit', credits: 2 }] },
    },
    allowances: { ...LABS_2022.allowances, plans: { free: { monthlyCredits: 20 } } },
    packs: [{ id: 'pack-50', credits: 50, priceMinor: 800, tiers: [] }],
    listPricePack: 'pack-50',
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe.skipIf(!enabled)(
  'the studio of an installation without a payment provider, on another price book',
  () => {
    let studio: Studio
    let contexts: BrowserContext[] = []
    // A price book can only be activated from now on: this server's clock is moved past its start.
    let skew = 0
    const clock = { now: () => Date.now() + skew }

    beforeAll(async () => {
      studio = await startStudio({ env: { EASEL_TEST_CHECKOUT: 'off' }, clock })
      const from = clock.now() + 60_000
      const activated = await studio.server.server.services.pricing.activate(DEARER_EDITS, from)
      if (!activated.ok) throw new Error(activated.error.message)
      skew = 61_000
      await ensureSetUp(studio)
    }, 120_000)
    afterAll(async () => {
      await studio?.close()
    })
    afterEach(async () => {
      await Promise.all(contexts.map((c) => c.close()))
      contexts = []
    })

    async function open(): Promise<Page> {
      const { context, page } = await newPage(studio)
      contexts.push(context)
      return page
    }

    it('shows no test-mode banner, and the sign-up page promises no figures of another book', async () => {
      const page = await open()
      const problems = consoleProblems(page)
      await page.goto('/signup')
      await page.getByRole('heading', { name: 'Create your Easel account' }).waitFor()
      expect(await page.getByTestId('test-mode').count()).toBe(0)
      const text = await page.locator('main').innerText()
      expect(text).not.toMatch(/\b(one|three|four) (credit|image|edit)|\d+ (free )?credits/i)
      expect(problems).toEqual([])
    })

    it('prices every page from the book in force, and says packs cannot be bought here', async () => {
      const u = await studio.server.user({})
      const page = await open()
      const problems = consoleProblems(page)
      await signIn(page, u)
      await expect.poll(() => balance(page)).toBe('20 credits')

      await page.getByRole('link', { name: 'Edit', exact: true }).click()
      const lead = page.locator('.lead')
      await expect.poll(() => lead.innerText()).toContain('3 versions for 2 credits')
      expect(await lead.innerText()).not.toMatch(/one credit|three/)

      await page.goto('/credits')
      const free = await page.getByTestId('free-credits').innerText()
      expect(free).toMatch(/20 free credits every month — the next 20 credits come on \d{1,2} [A-Z][a-z]{2}/)
      expect(await page.getByTestId('operation-prices').innerText()).toContain(
        'Edit with a mask: 3 images for 2 credits',
      )

      await page.goto('/credits/buy')
      const notice = page.getByTestId('no-payment-provider')
      await notice.waitFor()
      expect(await notice.innerText()).toContain('No payment provider is configured')
      const pack = page.getByTestId('pack')
      expect(await pack.innerText()).toContain('50 credits')
      expect(await pack.innerText()).toContain('$8.00')
      expect(await page.getByTestId('operation-prices').innerText()).toContain(
        'Edit with a mask: 3 images for 2 credits',
      )
      // No card form: nothing would take the payment.
      expect(await page.getByLabel('Card number').count()).toBe(0)
      expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0)
      expect(await page.getByTestId('test-mode').count()).toBe(0)
      await screenshot(page, '17-buy-no-provider')
      expect(problems).toEqual([])
    })
  },
)
