import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestUser } from '../support/server.ts'
import {
  chromiumAvailable,
  closesPagesAfterEach,
  ensureSetUp,
  jobViaApi,
  newPage,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// Moderation in Chromium: a user reports one of their images, an administrator removes it from the
// admin's Moderation page with a reason, and the owner then sees a placeholder saying why instead of
// the picture, while the job's other images stay.

const enabled = chromiumAvailable()

describe.skipIf(!enabled)('moderation in Chromium', () => {
  let studio: Studio
  const pages = closesPagesAfterEach()

  beforeAll(async () => {
    studio = await startStudio()
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
  })

  async function signedIn(u: TestUser): Promise<Page> {
    const { context, page } = await newPage(studio)
    pages.track(context, page)
    await signIn(page, u)
    return page
  }

  it('a reported image removed by an administrator shows its owner the placeholder with the reason', async () => {
    await ensureSetUp(studio)
    const owner = await studio.server.user()
    const admin = await studio.server.user({ role: 'admin' })
    const job = await jobViaApi(studio, owner, {
      kind: 'generate',
      prompt: 'a harbour with red boats',
      size: '256x256',
      n: 4,
    })
    expect(job.status).toBe('succeeded')

    // The owner reports the first image from their history.
    const page = await signedIn(owner)
    await page.goto('/history')
    const card = page.locator(`[data-testid=job][data-job-id="${job.id}"]`)
    await card.getByRole('button', { name: 'Report image 1 of 4' }).click()
    const dialog = page.getByRole('dialog', { name: 'Report image 1 of 4' })
    await dialog.getByLabel('Why?').fill('It shows a real harbour I do not have rights to')
    await screenshot(page, 'moderation-01-report')
    await dialog.getByRole('button', { name: 'Send report' }).click()
    await expect
      .poll(() => dialog.getByTestId('report-done').innerText())
      .toMatch(/administrators .* will look at it/)
    await dialog.getByRole('button', { name: 'Close' }).click()

    // The administrator sees the report with the image, and removes it with a reason.
    const adminPage = await signedIn(admin)
    await adminPage.goto('/admin/moderation')
    const report = adminPage
      .getByTestId('image-report')
      .filter({ hasText: 'a real harbour I do not have rights to' })
    await expect.poll(() => report.count()).toBe(1)
    await expect.poll(() => report.innerText()).toContain(owner.email)
    await expect
      .poll(() => report.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(256)
    await screenshot(adminPage, 'moderation-02-admin-reports')
    await report.getByRole('button', { name: 'Remove image…' }).click()
    await report
      .getByLabel('Why is it removed? Its owner is shown this.')
      .fill('Uses a photograph without permission')
    await report.getByRole('button', { name: 'Remove image', exact: true }).click()
    await expect
      .poll(() => adminPage.getByRole('status').first().innerText())
      .toMatch(/The image was removed/)
    await expect.poll(() => report.count()).toBe(0)
    await adminPage.getByRole('button', { name: 'Resolved' }).click()
    await expect
      .poll(() => adminPage.getByTestId('image-report').first().innerText())
      .toMatch(/Removed .* by /)
    await screenshot(adminPage, 'moderation-03-admin-resolved')

    // The owner sees why instead of the picture; the other three images stay.
    await page.reload()
    const tiles = page.locator(`[data-testid=job][data-job-id="${job.id}"]`).getByTestId('image-tile')
    await expect.poll(() => tiles.count()).toBe(4)
    await expect
      .poll(async () => (await tiles.nth(0).getByTestId('removed-image').innerText()).replace(/\s+/g, ' '))
      .toBe('Removed by an administrator: Uses a photograph without permission')
    expect(await tiles.nth(0).locator('img').count()).toBe(0)
    expect(await tiles.nth(0).getByRole('button', { name: 'Report image 1 of 4' }).count()).toBe(0)
    for (const i of [1, 2, 3]) expect(await tiles.nth(i).locator('img').count()).toBe(1)
    await screenshot(page, 'moderation-04-owner-placeholder')
  })
})
