import fs from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode, totpStep } from '../../src/accounts/totp.ts'
import { ManualClock } from '../../src/util/clock.ts'
import type { TestUser } from '../support/server.ts'
import {
  chromiumAvailable,
  ensureSetUp,
  newPage,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// Two-factor sign-in (issue 11) as a person meets it, in Debian's Chromium: turning it on from the
// account page (the secret read off the page, codes made the way an authenticator app makes them),
// signing out, then signing in with a code from the app and with a recovery code. The server's
// clock is the test's, so every code is the one an app would show at that moment, and moving the
// clock on a step gives the next one.

const enabled = chromiumAvailable()
const STEP = 30_000
const PHONE = { width: 390, height: 844 }

describe.skipIf(!enabled)('two-factor sign-in in Chromium', () => {
  // Mid-step: a code made now is the one the server expects now.
  const clock = new ManualClock(Math.floor(Date.now() / STEP) * STEP + 10_000)
  let studio: Studio
  const pages: Page[] = []

  beforeAll(async () => {
    studio = await startStudio({ clock })
    await ensureSetUp(studio)
  }, 120_000)
  afterAll(async () => {
    await Promise.all(pages.map((p) => p.context().close()))
    await studio?.close()
  })

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const { page } = await newPage(studio, viewport)
    pages.push(page)
    return page
  }

  /** The code the app shows now, after moving the clock on a step (each code works once). */
  const nextCode = (secret: string) => {
    clock.advance(STEP)
    return totpCode(secret, totpStep(clock.now()))
  }

  const section = (page: Page) => page.getByRole('region', { name: 'Two-factor sign-in' })

  async function goToAccount(page: Page) {
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Account' }).click()
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor()
  }

  async function signOut(page: Page) {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.goto('/signin')
    await page.getByRole('heading', { name: 'Sign in to Easel' }).waitFor()
  }

  /** Email and password on the sign-in page, up to the request for the code. */
  async function passwordStep(page: Page, u: Pick<TestUser, 'email' | 'password'>) {
    await page.goto('/signin')
    await page.getByLabel('Email').fill(u.email)
    await page.getByLabel('Password').fill(u.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByLabel('Code from your authenticator app').waitFor()
  }

  it('turns it on from the account page, then signs in with a code from the app and with a recovery code', async () => {
    const u = await studio.server.user()
    const page = await open()
    await signIn(page, u)
    await goToAccount(page)
    const tf = section(page)
    await tf.getByText('Off', { exact: true }).waitFor()
    await tf.getByRole('button', { name: 'Set up two-factor sign-in' }).click()

    // The password first: a wrong one is said so, on its field.
    await tf.getByLabel('Password').fill('not my password')
    await tf.getByRole('button', { name: 'Continue' }).click()
    await tf.getByText('Password is not your current password.').waitFor()
    await tf.getByLabel('Password').fill(u.password)
    await tf.getByRole('button', { name: 'Continue' }).click()

    // The QR code and the key to type by hand; the test is the authenticator app.
    const qr = tf.getByRole('img', { name: 'QR code to scan with your authenticator app' })
    await qr.waitFor()
    expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true)
    const secret = (await tf.getByTestId('two-factor-secret').innerText()).replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const codeField = tf.getByLabel('Code from your app')
    expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code')
    await screenshot(page, 'two-factor-01-scan')

    await codeField.fill('000000')
    await tf.getByRole('button', { name: 'Turn on' }).click()
    await tf.getByText(/^Code is not a current code/).waitFor()
    await codeField.fill(nextCode(secret))
    await tf.getByRole('button', { name: 'Turn on' }).click()

    // The recovery codes, once: "Done" waits for "I have saved them".
    const list = tf.getByTestId('recovery-codes')
    await list.waitFor()
    const recoveryCodes = (await list.getByRole('listitem').allInnerTexts()).map((c) => c.trim())
    expect(recoveryCodes).toHaveLength(10)
    for (const c of recoveryCodes) expect(c).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/)
    const doneButton = tf.getByRole('button', { name: 'Done' })
    expect(await doneButton.isDisabled()).toBe(true)
    const download = page.waitForEvent('download')
    await tf.getByRole('button', { name: 'Download as text' }).click()
    const file = await download
    expect(file.suggestedFilename()).toBe('easel-recovery-codes.txt')
    const saved = fs.readFileSync(await file.path(), 'utf8')
    for (const c of recoveryCodes) expect(saved).toContain(c)
    await screenshot(page, 'two-factor-02-recovery-codes')
    await tf.getByLabel('I have saved my recovery codes').check()
    await doneButton.click()
    await tf.getByText('Two-factor sign-in is on.').waitFor()
    await tf.getByText('10 recovery codes left.').waitFor()
    await tf.getByRole('button', { name: 'Turn off' }).waitFor()
    await screenshot(page, 'two-factor-03-on')

    // Signed out, the password alone is not enough: the code is asked for.
    await signOut(page)
    await passwordStep(page, u)
    expect(await page.getByLabel('Code from your authenticator app').getAttribute('autocomplete')).toBe(
      'one-time-code',
    )
    await screenshot(page, 'two-factor-04-code-step')
    await page.getByLabel('Code from your authenticator app').fill('123456')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText(/^That code is not right/).waitFor()
    await page.getByLabel('Code from your authenticator app').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('link', { name: 'Create', exact: true }).waitFor()

    // And with a recovery code instead, typed in capitals: it works once.
    await signOut(page)
    await passwordStep(page, u)
    await page.getByRole('button', { name: 'Use a recovery code' }).click()
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!.toUpperCase())
    await screenshot(page, 'two-factor-05-recovery-code')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('link', { name: 'Create', exact: true }).waitFor()
    await goToAccount(page)
    await section(page).getByText('9 recovery codes left.').waitFor()

    await signOut(page)
    await passwordStep(page, u)
    await page.getByRole('button', { name: 'Use a recovery code' }).click()
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText(/^That code is not right/).waitFor()

    // Turning it off takes the password and a code; then the password alone signs in.
    await page.getByRole('button', { name: 'Use the code from your app' }).click()
    await page.getByLabel('Code from your authenticator app').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('link', { name: 'Create', exact: true }).waitFor()
    await goToAccount(page)
    await section(page).getByRole('button', { name: 'Turn off' }).click()
    await section(page).getByLabel('Password').fill(u.password)
    await section(page).getByLabel('Code from your app, or a recovery code').fill(nextCode(secret))
    await screenshot(page, 'two-factor-10-turn-off')
    await section(page).getByRole('button', { name: 'Turn off two-factor sign-in' }).click()
    await section(page).getByText('Two-factor sign-in is off.').waitFor()
    await signOut(page)
    await signIn(page, u)
  })

  it('looks right on a phone: the set-up, the code step, and an administrator’s status (no "Turn off")', async () => {
    const admin = await studio.server.user({ role: 'admin' })
    const page = await open(PHONE)
    await signIn(page, admin)
    await page.goto('/account')
    const tf = section(page)
    await tf.getByText(/required for administrators/).waitFor()
    await tf.getByRole('button', { name: 'Set up two-factor sign-in' }).click()
    await tf.getByLabel('Password').fill(admin.password)
    await tf.getByRole('button', { name: 'Continue' }).click()
    await tf.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
    await screenshot(page, 'two-factor-06-phone-scan')
    const secret = (await tf.getByTestId('two-factor-secret').innerText()).replace(/\s/g, '')
    await tf.getByLabel('Code from your app').fill(nextCode(secret))
    await tf.getByRole('button', { name: 'Turn on' }).click()
    await tf.getByTestId('recovery-codes').waitFor()
    await screenshot(page, 'two-factor-07-phone-recovery-codes')
    await tf.getByLabel('I have saved my recovery codes').check()
    await tf.getByRole('button', { name: 'Done' }).click()
    await tf.getByText('Two-factor sign-in is on.').waitFor()
    // Required for administrators: no way to turn it off here, and the page says why.
    expect(await tf.getByRole('button', { name: 'Turn off' }).count()).toBe(0)
    await tf.getByText(/cannot be turned off here/).waitFor()
    await screenshot(page, 'two-factor-08-phone-admin-on')

    await signOut(page)
    await passwordStep(page, admin)
    await screenshot(page, 'two-factor-09-phone-code-step')
    await page.getByLabel('Code from your authenticator app').fill(nextCode(secret))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('link', { name: 'Create', exact: true }).waitFor()
  })
})
