import { describe, expect, it } from 'vitest'
import { useMailStudio } from './mail-studio.ts'
import { chromiumAvailable, consoleProblems, ensureSetUp, screenshot, signIn } from './support.ts'

// Email notices as a person meets them, in Debian's Chromium: the account page's two choices,
// saved and kept; and the expiry warning they leave on, as it arrives at a real SMTP server,
// pointing at the credits page.

const enabled = chromiumAvailable()
const DAY = 86_400_000

describe.skipIf(!enabled)('email notices in Chromium', () => {
  const studioWithMail = useMailStudio()

  it('chooses the notices on the account page, and the expiry warning arrives with a link to the credits', async () => {
    const { studio } = studioWithMail
    await ensureSetUp(studio)
    const u = await studio.server.user()
    const page = await studioWithMail.open()
    const problems = consoleProblems(page)
    await signIn(page, u)
    await page.goto('/account')
    const section = page.getByRole('form', { name: 'Email notices' })
    const expiry = section.getByLabel('Warn me a week before paid credits expire')
    const free = section.getByLabel('Tell me when my monthly free credits arrive')
    await expect.poll(() => expiry.isEnabled()).toBe(true)
    expect(await expiry.isChecked()).toBe(true)
    expect(await free.isChecked()).toBe(false)
    await section.scrollIntoViewIfNeeded()
    await screenshot(page, 'notices-01-account')

    await free.check()
    await section.getByRole('button', { name: 'Save notices' }).click()
    await section.getByText('Your email notices were saved.').waitFor()
    await screenshot(page, 'notices-02-saved')
    await page.reload()
    await expect.poll(() => free.isChecked()).toBe(true)
    expect(await expiry.isChecked()).toBe(true)

    // Credits bought, expiring in five days: the next run of the notices mails the warning.
    const { services, lifecycle } = studio.server.server
    const granted = await services.ledger.grant({
      accountId: u.user.accountId,
      amount: 115,
      source: 'purchase',
      expiresAt: services.clock.now() + 5 * DAY,
    })
    expect(granted.ok).toBe(true)
    expect((await lifecycle.sendNotices())?.expiryWarnings).toBe(1)
    const mail = await studioWithMail.mailTo(u.email, /115 of your Easel credits expire on/)
    expect(mail.text).toContain('those that expire soonest')
    const credits = /(https?:\/\/\S+)\/credits\b/.exec(mail.text)
    expect(credits?.[1]).toBe('http://easel.example.test')
    await page.goto('/credits')
    await page.getByRole('heading', { name: 'Credits', exact: true }).waitFor()
    expect(problems).toEqual([])
  })
})
