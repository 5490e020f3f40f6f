import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { ReceivedMail } from '../support/smtp.ts'
import { PUBLIC_URL, useMailStudio } from './mail-studio.ts'
import { balance, chromiumAvailable, consoleProblems, screenshot, signIn } from './support.ts'

// Issue 11 as a person meets it, in Debian's Chromium, with mail on (a real SMTP server the studio
// sends to): sign up, "check your email", sign in before verifying (free credits wait, a banner
// offers the link again), open the link from the mail, verify, see the 65 credits; the same answer
// for an address that has an account. One server (SQLite) and one browser for the file.

const enabled = chromiumAvailable()
const PASSWORD = 'correct horse battery'

let serial = 0
const email = (name: string) => `${name}-${++serial}-${Date.now()}@example.test`

describe.skipIf(!enabled)('sign-up with email verification in Chromium', () => {
  const studioWithMail = useMailStudio({ setUp: true })
  const { open, mailTo } = studioWithMail
  /** The verification link in a mail, as this test server's address. */
  const linkIn = (received: ReceivedMail) => studioWithMail.linkIn(received, '/verify-email')

  async function signUpThroughTheForm(page: Page, address: string): Promise<void> {
    await page.goto('/signup')
    await page.getByRole('heading', { name: 'Create your Easel account' }).waitFor()
    await page.getByText('We will email you a link to verify your address').waitFor()
    await page.getByLabel('Email').fill(address)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Check your email' }).waitFor()
  }

  it('signs up, signs in before verifying (credits wait, the link can be sent again), verifies from the mail and gets 65 credits', async () => {
    const page = await open()
    const problems = consoleProblems(page)
    const address = email('new')
    await page.goto('/signup')
    await page.getByRole('heading', { name: 'Create your Easel account' }).waitFor()
    await screenshot(page, 'verify-01-sign-up')
    await signUpThroughTheForm(page, address)
    const sent = page.getByTestId('signup-sent')
    expect(await sent.innerText()).toContain(`Sent to ${address}`)
    expect(await sent.innerText()).toContain('Open the link in it to finish signing up')
    // No session: the studio is not open yet.
    expect(await page.context().cookies()).toEqual([])
    await screenshot(page, 'verify-02-check-your-email')

    const first = await mailTo(address, /verify your email/i)
    expect(first.from).toContain('easel@example.test')
    expect(first.text).toContain('Your free credits arrive as soon as it is verified')

    // Signing in before verifying works; the free credits wait, and a banner says so.
    await page.getByRole('link', { name: 'sign in' }).click()
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    expect(await page.getByLabel('Email').inputValue()).toBe(address)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const banner = page.getByTestId('verify-email-banner')
    await banner.waitFor()
    expect(await banner.innerText()).toContain('Verify your email to receive your free credits.')
    await expect.poll(() => balance(page)).toBe('0 credits')
    // Out of credits, the studio says what brings the free ones: the link, not a date.
    await page.getByLabel('Describe the image').fill('a lighthouse at dusk')
    const out = page.getByTestId('out-of-credits')
    await out.waitFor()
    expect(await out.innerText()).toContain(
      `Your free credits come as soon as you open the link we sent to ${address}.`,
    )
    await screenshot(page, 'verify-03-signed-in-unverified')
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Credits' }).click()
    const waiting = page.getByTestId('free-credits')
    await waiting.waitFor()
    expect(await waiting.innerText()).toContain('Your free credits are waiting for your email.')
    expect(await waiting.innerText()).toContain('15 free credits a month and a 50-credit bonus come')
    await screenshot(page, 'verify-04-credits-waiting')

    await banner.getByRole('button', { name: 'Send the link again' }).click()
    await banner.getByText(`A new link is on its way to ${address}`).waitFor()
    await screenshot(page, 'verify-05-link-sent-again')
    const second = await mailTo(address, /verify your email/i, 2)
    expect(linkIn(second)).not.toBe(linkIn(first))

    // The first link was replaced; the newest verifies.
    await page.goto(linkIn(first))
    await page.getByRole('button', { name: 'Verify my email' }).click()
    await page.getByText('This link does not work').waitFor()
    await page.getByText('Send yourself a new one from the banner in the studio').waitFor()
    await screenshot(page, 'verify-06-link-replaced')
    await page.goto(linkIn(second))
    await page.getByRole('heading', { name: 'Verify your email' }).waitFor()
    await screenshot(page, 'verify-07-verify-page')
    await page.getByRole('button', { name: 'Verify my email' }).click()
    await page.getByRole('heading', { name: 'Your email is verified' }).waitFor()
    await expect.poll(() => balance(page)).toBe('65 credits')
    expect(await banner.count()).toBe(0)
    await screenshot(page, 'verify-08-verified')
    await page.getByRole('link', { name: 'Start creating' }).click()
    await page.getByRole('heading', { name: 'Create', level: 1 }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/')
    expect(await banner.count()).toBe(0)
    // The replaced link (400) is the only request that failed.
    expect(problems.filter((p) => !/status of 400\b/.test(p))).toEqual([])
    expect(problems).toHaveLength(1)
  })

  it('verifies from the mail in a browser that is not signed in, then asks to sign in, and the credits are there', async () => {
    const page = await open()
    const address = email('elsewhere')
    await signUpThroughTheForm(page, address)
    const link = linkIn(await mailTo(address, /verify your email/i))

    const other = await open()
    await other.goto(link)
    await other.getByRole('button', { name: 'Verify my email' }).click()
    await other.getByTestId('email-verified').waitFor()
    await other.getByText('Sign in with this address and your password to use them.').waitFor()
    expect(await other.context().cookies()).toEqual([])
    await screenshot(other, 'verify-09-verified-signed-out')
    await other.getByRole('link', { name: 'Sign in' }).click()
    await other.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
    expect(await other.getByLabel('Email').inputValue()).toBe(address)
    await signIn(other, { email: address, password: PASSWORD })
    await expect.poll(() => balance(other)).toBe('65 credits')
    expect(await other.getByTestId('verify-email-banner').count()).toBe(0)
  })

  it('answers an address that has an account exactly as a new one; its owner is mailed that someone tried', async () => {
    const existing = await studioWithMail.studio.server.user()
    const page = await open()
    await signUpThroughTheForm(page, existing.email)
    expect(await page.getByTestId('signup-sent').innerText()).toContain(`Sent to ${existing.email}`)
    const notice = await mailTo(existing.email, /tried to sign up/i)
    expect(notice.text).toContain(`${PUBLIC_URL}/forgot-password`)
    // Their password is unchanged.
    await signIn(page, existing)
    expect(await page.getByTestId('verify-email-banner').count()).toBe(0)
  })
})
