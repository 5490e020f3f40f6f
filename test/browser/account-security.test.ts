import { describe, expect, it } from 'vitest'
import type { TestUser } from '../support/server.ts'
import { useMailStudio } from './mail-studio.ts'
import { chromiumAvailable, consoleProblems, ensureSetUp, screenshot, signIn } from './support.ts'

// Issue 11 as a person meets it, in Debian's Chromium: a forgotten password reset from the link in
// the mail (received by a real SMTP server the studio sends to), the account page's password, email
// and sessions. One server (SQLite) and one browser for the file; each test has its own user.

const enabled = chromiumAvailable()
const NEW_PASSWORD = 'a brand new passphrase'

describe.skipIf(!enabled)('password reset and account security in Chromium', () => {
  const studioWithMail = useMailStudio()
  const { open, mailTo, linkIn } = studioWithMail

  async function user(): Promise<TestUser> {
    await ensureSetUp(studioWithMail.studio)
    return studioWithMail.studio.server.user()
  }

  it('resets a forgotten password from the link in the mail, then signs in with the new one', async () => {
    const u = await user()
    const page = await open()
    const problems = consoleProblems(page)
    await page.goto('/signin')
    await page.getByRole('link', { name: 'Forgot password?' }).click()
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/forgot-password')
    await page.getByLabel('Email').fill(u.email)
    await screenshot(page, 'reset-01-forgot-password')
    await page.getByRole('button', { name: 'Send me a link' }).click()
    const sent = page.getByTestId('reset-sent')
    await sent.waitFor()
    expect(await sent.innerText()).toContain('If an account exists for that address, we sent it a link')
    await screenshot(page, 'reset-02-link-sent')

    const mail = await mailTo(u.email, /reset/i)
    expect(mail.from).toContain('easel@example.test')
    const link = linkIn(mail, '/reset-password')
    expect(link.startsWith(`${studioWithMail.studio.server.url}/reset-password?token=`)).toBe(true)

    await page.goto(link)
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('Repeat new password').fill(`${NEW_PASSWORD}!`)
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.getByText('The two passwords are not the same.').waitFor()
    await page.getByLabel('Repeat new password').fill(NEW_PASSWORD)
    await screenshot(page, 'reset-03-new-password')
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.getByText('Your password was changed').waitFor()
    await screenshot(page, 'reset-04-password-changed')
    await page.getByRole('link', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()

    // The old password no longer works; the new one does.
    await page.getByLabel('Email').fill(u.email)
    await page.getByLabel('Password').fill(u.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor()
    await signIn(page, { email: u.email, password: NEW_PASSWORD })

    // The link worked once.
    await page.goto(link)
    await page.getByLabel('New password', { exact: true }).fill('yet another passphrase')
    await page.getByLabel('Repeat new password').fill('yet another passphrase')
    await page.getByRole('button', { name: 'Set new password' }).click()
    await page.getByText('This link does not work').waitFor()
    await screenshot(page, 'reset-05-link-used')
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor()
    // The wrong old password (401) and the used link (400) are the only requests that failed.
    expect(problems.filter((p) => !/status of (400|401)\b/.test(p))).toEqual([])
    expect(problems).toHaveLength(2)
  })

  it('answers an unknown address exactly as a known one, and mails nobody', async () => {
    await ensureSetUp(studioWithMail.studio)
    const page = await open()
    await page.goto('/forgot-password')
    const nobody = `nobody-${Date.now()}@example.test`
    await page.getByLabel('Email').fill(nobody)
    await page.getByRole('button', { name: 'Send me a link' }).click()
    const sent = page.getByTestId('reset-sent')
    await sent.waitFor()
    expect(await sent.innerText()).toContain('If an account exists for that address, we sent it a link')
    await studioWithMail.studio.server.server.services.mail.drain()
    expect(studioWithMail.smtp.messages.filter((m) => m.envelope.to.includes(nobody))).toEqual([])
  })

  it('on the account page: changes the password, changes the email through its link, lists and ends sessions', async () => {
    const u = await user()
    const elsewhere = await open()
    await signIn(elsewhere, u)
    const page = await open()
    await signIn(page, u)
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Account' }).click()
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor()
    const sessions = page.getByTestId('session')
    await expect.poll(() => sessions.count()).toBe(2)
    expect(await page.locator('[data-testid=session][data-current=true]').innerText()).toContain(
      'This browser',
    )
    await screenshot(page, 'account-01-security')

    // The password: the current one is checked.
    await page.getByLabel('Current password').fill('not my password')
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('Repeat new password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Change password' }).click()
    await page.getByText('Current password is not your current password.').waitFor()
    await page.getByLabel('Current password').fill(u.password)
    await page.getByRole('button', { name: 'Change password' }).click()
    await page.getByText('Your password was changed, and 1 other session signed out.').waitFor()
    await expect.poll(() => sessions.count()).toBe(1)
    // The other browser was signed out: its next request finds no session.
    await elsewhere.goto('/account')
    await elsewhere.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()

    // The email: confirmed from the link mailed to the new address; the old one is told.
    const next = `moved-${Date.now()}@example.test`
    await page.getByLabel('New email').fill(next)
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Send confirmation link' }).click()
    await page.getByText(`Check ${next}`).waitFor()
    await screenshot(page, 'account-02-email-pending')
    const notice = await mailTo(u.email, /about to change/i)
    expect(notice.text).toContain(next)
    const link = linkIn(await mailTo(next, /confirm/i), '/confirm-email')
    await page.goto(link)
    await page.getByRole('heading', { name: 'Confirm your new email' }).waitFor()
    await screenshot(page, 'account-03-confirm-email')
    await page.getByRole('button', { name: 'Confirm new email' }).click()
    await page.getByText(`Your email is now ${next}`).waitFor()
    await screenshot(page, 'account-04-email-confirmed')
    await mailTo(u.email, /has changed/i)
    await page.getByRole('link', { name: 'Back to your account' }).click()
    await page.getByText(`Signed in as ${next}`).waitFor()

    // Sessions: sign in elsewhere again, end that one from here, then sign out everywhere.
    const again = await open()
    await signIn(again, { email: next, password: NEW_PASSWORD })
    await page.reload()
    await expect.poll(() => sessions.count()).toBe(2)
    await page
      .locator('[data-testid=session]:not([data-current])')
      .getByRole('button', { name: /^Sign out/ })
      .click()
    await expect.poll(() => sessions.count()).toBe(1)
    await again.goto('/history')
    await again.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    await page.getByRole('button', { name: 'Sign out everywhere' }).click()
    await page.getByRole('button', { name: 'Sign out all 1 sessions' }).click()
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
  })

  it('holds the account page at phone width: one column, nothing wider than the screen', async () => {
    const u = await user()
    const page = await open({ width: 390, height: 844 })
    await signIn(page, u)
    await page.goto('/account')
    await page.getByTestId('session').first().waitFor()
    const password = (await page.getByRole('button', { name: 'Change password' }).boundingBox())!
    const email = (await page.getByRole('button', { name: 'Send confirmation link' }).boundingBox())!
    expect(email.y).toBeGreaterThan(password.y)
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)
    // Each session is a card of its own: its "Sign out" is on screen without scrolling sideways.
    const signOut = (await page.getByTestId('session').first().getByRole('button').boundingBox())!
    expect(signOut.x + signOut.width).toBeLessThanOrEqual(390)
    expect(
      await page
        .getByTestId('session')
        .first()
        .evaluate((row) => {
          const wrap = row.closest('.table-wrap')!
          return wrap.scrollWidth - wrap.clientWidth
        }),
    ).toBeLessThanOrEqual(0)
    await screenshot(page, 'account-05-phone')
  })
})
