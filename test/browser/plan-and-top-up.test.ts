import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LABS_2022, validateBook } from '../../src/credits/index.ts'
import { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, stripeEnv } from '../billing/stripe-server.ts'
import { FakeStripe } from '../support/fake-stripe.ts'
import type { TestUser } from '../support/server.ts'
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

// The paid plan and auto top-up as a person meets them in Debian's Chromium, on the local fake
// Stripe: the credits page subscribes to Pro through Stripe's (fake) hosted page and back, and
// shows the plan with its renewal; turning auto top-up on buys the pack once on the hosted page,
// keeping the card, and the section then names the card; the studio shows the low-balance notice.

const enabled = chromiumAvailable()
const PHONE = { width: 390, height: 844 }

const PAID_BOOK = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'labs-2022-browser-plan',
    effectiveFrom: undefined,
    allowances: {
      ...LABS_2022.allowances,
      plans: { free: { monthlyCredits: 15 }, pro: { monthlyCredits: 200, priceMinor: 2000 } },
    },
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe.skipIf(!enabled)('a paid plan and auto top-up in Chromium', () => {
  let stripe: FakeStripe
  let studio: Studio
  let buyer: TestUser

  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: STRIPE_SECRET_KEY, webhookSecret: STRIPE_WEBHOOK_SECRET })
    studio = await startStudio({ env: stripeEnv(stripe) })
    stripe.webhookUrl = `${studio.server.url}/api/billing/stripe/webhook`
    await ensureSetUp(studio)
    const activated = await studio.server.server.services.pricing.activate(PAID_BOOK, 'now')
    if (!activated.ok) throw new Error(activated.error.message)
    buyer = await studio.server.user({ credits: 0 })
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
    await stripe?.close()
  })

  it('subscribes to Pro on Stripe’s page and back: the plan, its price and renewal are shown', async () => {
    const { context, page } = await newPage(studio)
    const problems = consoleProblems(page)
    await signIn(page, buyer)
    await page.goto('/credits')
    const plan = page.getByTestId('plan')
    await plan.getByRole('button', { name: 'Subscribe to Pro' }).click()
    await page.waitForURL(/\/pay\/cs_test_/)
    await page.getByRole('button', { name: 'Pay' }).click()
    await page.waitForURL(/\/credits/)
    await expect.poll(async () => plan.innerText(), { timeout: 15_000 }).toMatch(/Pro/)
    const text = await plan.innerText()
    expect(text).toMatch(/\$20\.00/)
    expect(text).toMatch(/renews/i)
    expect((await studio.server.server.services.ledger.balance(buyer.user.accountId)).ok).toBe(true)
    await screenshot(page, 'plan-01-subscribed')
    expect(problems).toEqual([])
    await context.close()
    expect((await studio.server.server.services.ledger.verify()).violations).toEqual([])
  })

  it('turns auto top-up on: the pack is bought once on Stripe’s page, the card is kept, the studio warns of a low balance', async () => {
    const { context, page } = await newPage(studio)
    await signIn(page, buyer)
    await page.goto('/credits')
    const section = page.getByTestId('auto-top-up')
    await section.getByLabel('Buy a pack automatically when my credits run low').check()
    await section.getByLabel('Threshold (credits)').fill('1000')
    await section.getByLabel(/Tell me \(here and by email\)/).check()
    await section.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(/\/pay\/cs_test_/)
    await page.getByRole('button', { name: 'Pay' }).click()
    await page.waitForURL(/\/credits/)
    await page.goto('/credits')
    await expect
      .poll(async () => page.getByTestId('auto-top-up-card').innerText(), { timeout: 15_000 })
      .toMatch(/Saved card: visa •••• 4242/)
    await screenshot(page, 'top-up-01-card-saved')
    // Below its threshold of 1,000, the studio says so (the notice is on).
    await page.goto('/')
    const banner = page.getByTestId('low-balance')
    await banner.waitFor()
    expect(await banner.innerText()).toMatch(
      /Your credits are running low — fewer than 1,000 credits\. Auto top-up buys a pack after your next job\./,
    )
    await screenshot(page, 'top-up-02-low-balance')
    await context.close()

    const phone = await newPage(studio, PHONE)
    await signIn(phone.page, buyer)
    await phone.page.goto('/credits')
    await phone.page.getByTestId('auto-top-up-card').waitFor()
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(phone.page, 'top-up-03-phone')
    await phone.context.close()
    expect((await studio.server.server.services.ledger.verify()).violations).toEqual([])
  })
})
