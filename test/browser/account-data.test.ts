import fs from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type History, userWithHistory } from '../privacy/fixture.ts'
import { accountJsonOf, isPng, unzip } from '../privacy/unzip.ts'
import {
  chromiumAvailable,
  consoleProblems,
  ensureSetUp,
  newPage,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// Issue 11's "export and delete" as a person meets it in Debian's Chromium: the account page's
// download (a real download, unzipped), and deleting the account through the section's three
// steps, after which the studio is signed out and the old password signs nobody in.

const enabled = chromiumAvailable()
const PHONE = { width: 390, height: 844 }

describe.skipIf(!enabled)('export and delete in Chromium', () => {
  let studio: Studio
  const pages: Page[] = []

  beforeAll(async () => {
    studio = await startStudio()
    await ensureSetUp(studio)
  }, 120_000)
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close()
  })
  afterAll(async () => {
    await studio?.close()
  })

  async function signedIn(h: History, viewport?: { width: number; height: number }): Promise<Page> {
    const { page } = await newPage(studio, viewport)
    pages.push(page)
    await signIn(page, h.user)
    await page.goto('/account')
    await page.getByRole('heading', { name: 'Download your data' }).waitFor()
    return page
  }

  it('downloads the export: a zip with account.json and every image', async () => {
    const h = await userWithHistory(studio.server)
    const page = await signedIn(h)
    const problems = consoleProblems(page)
    await page.getByRole('heading', { name: 'Download your data' }).scrollIntoViewIfNeeded()
    await screenshot(page, 'account-data-01-section')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download your data' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^easel-export-\d{4}-\d{2}-\d{2}\.zip$/)
    const saved = await download.path()
    const files = await unzip(fs.readFileSync(saved))
    const json = accountJsonOf(files)
    expect(json.profile.email).toBe(h.user.email)
    expect(json.sessions.some((s) => s.current)).toBe(true)
    const images = json.jobs.flatMap((j) => j.images)
    expect(images).toHaveLength(4)
    for (const name of images) expect(isPng(files.get(name))).toBe(true)
    expect(files.has('README.txt')).toBe(true)
    expect(problems).toEqual([])
  })

  it('deletes the account: shows the paid credits lost, asks for email and password, then signs out for good', async () => {
    const h = await userWithHistory(studio.server)
    const page = await signedIn(h)
    const problems = consoleProblems(page)
    await page.getByRole('button', { name: 'Delete your account…' }).click()
    const lost = page.getByRole('table', { name: 'Paid credits you would lose' })
    await lost.waitFor()
    expect(await lost.innerText()).toMatch(/115 of 115[\s\S]*\$15\.00/)
    const card = page.getByRole('region', { name: 'Delete your account' })
    expect(await card.innerText()).toMatch(
      /115 credits you paid for, forfeited[\s\S]*20 free credits[\s\S]*4 images from 2 jobs/,
    )
    await screenshot(page, 'account-data-02-delete-preview')

    // A slip: the wrong email is refused here, before anything is sent.
    await card.getByLabel(/Type your email/).fill('someone-else@example.test')
    await card.getByLabel('Password', { exact: true }).fill(h.user.password)
    await card.getByRole('button', { name: 'Continue' }).click()
    await page.getByText(`Type your email, ${h.user.email}, to confirm.`).waitFor()
    // A wrong password is refused by the server, and the form says so under the field.
    await card.getByLabel(/Type your email/).fill(h.user.email)
    await card.getByLabel('Password', { exact: true }).fill('not my password')
    await card.getByRole('button', { name: 'Continue' }).click()
    await card.getByRole('button', { name: 'Delete my account and my data' }).click()
    await page.getByText('is not your current password').waitFor()
    expect(await studio.server.server.services.accounts.findUserByEmail(h.user.email)).not.toBeNull()

    await card.getByLabel('Password', { exact: true }).fill(h.user.password)
    await card.getByRole('button', { name: 'Continue' }).click()
    await page.getByText('This cannot be undone.').waitFor()
    await screenshot(page, 'account-data-03-delete-final')
    await card.getByRole('button', { name: 'Delete my account and my data' }).click()
    // Signed out, on a page that says what happened.
    await page.getByRole('heading', { name: 'Your account has been deleted' }).waitFor()
    await screenshot(page, 'account-data-04-deleted')
    expect(new URL(page.url()).pathname).toBe('/account-deleted')
    expect((await page.context().cookies()).filter((c) => c.name === 'easel_session')).toEqual([])
    expect(await page.getByRole('link', { name: 'Account' }).count()).toBe(0)

    await page.getByRole('link', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    await page.getByLabel('Email').fill(h.user.email)
    await page.getByLabel('Password').fill(h.user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor()
    expect(await studio.server.server.services.accounts.findUserByEmail(h.user.email)).toBeNull()
    // The console shows only the two refusals the test asked for: the wrong password, the old sign-in.
    expect(problems).toHaveLength(2)
    expect(problems[0]).toMatch(/status of 400 .*from .*\/api\/account\/delete\)$/)
    expect(problems[1]).toMatch(/status of 401 .*from .*\/api\/session\)$/)
  })

  it('fits a phone: the preview and the final step', async () => {
    const h = await userWithHistory(studio.server, { jobs: 1 })
    const page = await signedIn(h, PHONE)
    await page.getByRole('button', { name: 'Delete your account…' }).click()
    await page.getByRole('table', { name: 'Paid credits you would lose' }).waitFor()
    await screenshot(page, 'account-data-05-phone-preview')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
  })
})
