import type { Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  AdminPurchasesBody,
  CheckoutBody,
  PacksBody,
  PurchaseBody,
  PurchasesBody,
  RefundBody,
} from '../../src/contracts/index.ts'
import { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, stripeEnv } from '../billing/stripe-server.ts'
import { readJson } from '../support/contracts.ts'
import { FakeStripe, type StripeEvent } from '../support/fake-stripe.ts'
import type { TestUser } from '../support/server.ts'
import {
  chromiumAvailable,
  consoleProblems,
  ensureSetUp,
  jobViaApi,
  newPage,
  type Studio,
  screenshot,
  signIn,
  startStudio,
} from './support.ts'

// Purchases as a buyer and an administrator meet them, in Debian's Chromium: the Credits page lists
// each purchase with its status, refunds and receipt (and hosted checkouts still waiting for their
// payment); Admin → Purchases lists everyone's and refunds one from its row, with a confirmation;
// the report's Payments table adds them up. Purchases are seeded through the API: the offline test
// checkout (refunds applied at once), and Stripe Checkout on the local fake Stripe (bank debits
// pending or failed, tax, disputes, refunds that wait for Stripe's event).

const enabled = chromiumAvailable()
const PHONE = { width: 390, height: 844 }

async function api<S extends z.ZodType>(
  studio: Studio,
  user: TestUser,
  method: string,
  path: string,
  schema: S,
  body?: unknown,
): Promise<z.output<S>> {
  const response = await fetch(`${studio.server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return readJson(response, schema)
}

/**
 * How far the page is wider than the window, or the purchases table (in `scope`) scrolls sideways
 * inside its frame: at phone width it is cards, so neither.
 */
function sidewaysOverflow(page: Page, scope: string): Promise<number> {
  return page.evaluate(
    (selector) =>
      Math.max(
        document.documentElement.scrollWidth - window.innerWidth,
        ...Array.from(document.querySelectorAll(`${selector} .table-wrap`)).map(
          (w) => w.scrollWidth - w.clientWidth,
        ),
      ),
    scope,
  )
}

/** The PDF a receipt link points at, fetched with the page's own cookies. */
async function receiptOf(page: Page, link: Locator) {
  expect(await link.getAttribute('target')).toBe('_blank')
  const response = await page.request.get((await link.getAttribute('href'))!)
  const body = await response.body()
  return { status: response.status(), type: response.headers()['content-type'], head: body.subarray(0, 5) }
}

describe.skipIf(!enabled)('purchases, receipts and refunds in Chromium (the test checkout)', () => {
  let studio: Studio
  let admin: TestUser
  let buyer: TestUser
  const bought: PurchaseBody[] = []
  let pageErrors: string[] = []

  beforeAll(async () => {
    studio = await startStudio()
    await ensureSetUp(studio)
    admin = await studio.server.user({ role: 'admin' })
    buyer = await studio.server.user({ credits: 0 })
    const packs = await api(studio, buyer, 'GET', '/api/packs', PacksBody)
    const card = {
      number: packs.testCards!.success,
      expMonth: 12,
      expYear: new Date().getFullYear() + 3,
      cvc: '123',
    }
    const pack = packs.packs[0]!.id
    // Oldest first: one pack, then two at once, then one more.
    for (const quantity of [1, 2, 1]) {
      bought.push(
        await api(studio, buyer, 'POST', '/api/purchases', PurchaseBody, { packId: pack, quantity, card }),
      )
    }
    // Two credits spent: from the soonest-expiring lot, the first purchase's.
    for (let i = 0; i < 2; i++) {
      const job = await jobViaApi(studio, buyer, {
        kind: 'generate',
        prompt: 'a lighthouse',
        size: '256x256',
      })
      expect(job.status).toBe('succeeded')
    }
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
  })
  afterEach(() => {
    const errors = pageErrors
    pageErrors = []
    expect(errors).toEqual([])
  })

  async function open(user: TestUser, viewport?: { width: number; height: number }) {
    const { context, page } = await newPage(studio, viewport)
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await signIn(page, user)
    return { context, page }
  }

  const row = (page: Page, purchaseId: string) => page.locator(`[data-purchase="${purchaseId}"]`)

  it('lets an administrator refund part, then the rest, with a confirmation; refused refunds are said inline', async () => {
    const [first, second] = bought as [PurchaseBody, PurchaseBody]
    const { context, page } = await open(admin)
    const problems = consoleProblems(page)
    await page.goto('/admin')
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Purchases' }).click()
    await page.getByRole('heading', { name: 'Admin · Purchases', level: 1 }).waitFor()
    await page.getByTestId('admin-purchase').first().waitFor()
    expect(await page.getByTestId('admin-purchase').count()).toBe(3)

    const r1 = row(page, first.id)
    const text = await r1.innerText()
    expect(text).toContain(buyer.email)
    expect(text).toContain('pack-115 × 1')
    expect(text).toContain('$15.00')
    expect(text).toContain('Paid')
    expect(text).toContain('test')
    const receipt = r1.getByRole('link', { name: /^No\. \d{6}/ })
    expect(await receipt.innerText()).toContain(`No. ${String(first.receiptNumber).padStart(6, '0')}`)
    expect(await receiptOf(page, receipt)).toEqual({
      status: 200,
      type: 'application/pdf',
      head: Buffer.from('%PDF-'),
    })
    await screenshot(page, 'purchases-01-admin')

    // Part of the first purchase: the amount starts at all that is left, typed amounts are exact.
    await r1.getByRole('button', { name: /^Refund…/ }).click()
    const form = page.getByTestId('refund-form')
    const amount = form.getByLabel('Amount (USD)')
    expect(await amount.inputValue()).toBe('15.00')
    await amount.fill('1.234')
    await form.getByRole('button', { name: 'Refund', exact: true }).click()
    await form.getByText('The amount must be an amount such as 15.00 (USD has 2 decimal places)').waitFor()
    await amount.fill('20')
    await form.getByRole('button', { name: 'Refund', exact: true }).click()
    await form.getByText('The amount must be more than 0 and at most 15.00 USD.').waitFor()
    await amount.fill('5.10')
    await form.getByLabel('Reason (optional)').fill('asked by mail')
    await form.getByRole('button', { name: 'Refund', exact: true }).click()
    await form.getByText(`Refund 5.10 USD to ${buyer.email}?`).waitFor()
    await screenshot(page, 'purchases-02-admin-refund-confirm')
    await form.getByRole('button', { name: 'Yes, refund' }).click()
    const done = page.getByTestId('refund-done')
    await done.waitFor()
    // The test checkout applies a refund at once (Stripe's waits for its event: see below).
    expect(await done.innerText()).toMatch(
      new RegExp(`^Refunded 5\\.10 USD to ${buyer.email} — \\d+ credits taken back\\.$`),
    )
    expect(await form.count()).toBe(0)
    const refundedPart = await r1.innerText()
    expect(refundedPart).toContain('Partly refunded')
    expect(refundedPart).toContain('$5.10')

    // The rest of it: refused by the server meanwhile (refunded in full through the API), said inline.
    await r1.getByRole('button', { name: /^Refund…/ }).click()
    expect(await amount.inputValue()).toBe('9.90')
    await api(studio, admin, 'POST', `/api/admin/purchases/${first.id}/refund`, RefundBody, {})
    await form.getByRole('button', { name: 'Refund', exact: true }).click()
    await form.getByRole('button', { name: 'Yes, refund' }).click()
    await form
      .getByRole('alert')
      .filter({ hasText: 'This purchase has been refunded in full already.' })
      .waitFor()
    await form.getByRole('button', { name: 'Cancel' }).click()

    // All of the second purchase (two packs: $30.00).
    await page.reload()
    const r2 = row(page, second.id)
    await r2.getByRole('button', { name: /^Refund…/ }).click()
    expect(await amount.inputValue()).toBe('30.00')
    await form.getByRole('button', { name: 'Refund', exact: true }).click()
    await form.getByText(`Refund 30.00 USD to ${buyer.email}?`).waitFor()
    await form.getByRole('button', { name: 'Yes, refund' }).click()
    await done.filter({ hasText: 'Refunded 30.00 USD' }).waitFor()
    expect(await r2.getByTestId('purchase-status').innerText()).toBe('Refunded')
    expect(await r2.getByRole('button', { name: /^Refund…/ }).isDisabled()).toBe(true)
    expect(
      await row(page, first.id)
        .getByRole('button', { name: /^Refund…/ })
        .isDisabled(),
    ).toBe(true)
    expect(
      await row(page, bought[2]!.id)
        .getByRole('button', { name: /^Refund…/ })
        .isEnabled(),
    ).toBe(true)
    await screenshot(page, 'purchases-03-admin-refunded')

    const listed = await api(studio, admin, 'GET', '/api/admin/purchases?limit=100', AdminPurchasesBody)
    const byId = new Map(listed.purchases.map((p) => [p.id, p]))
    expect(byId.get(first.id)).toMatchObject({ status: 'refunded', amountRefundedMinor: 1500 })
    expect(byId.get(second.id)).toMatchObject({ status: 'refunded', amountRefundedMinor: 3000 })
    // The one refusal asked for above is the only failed request.
    expect(problems.filter((p) => !p.includes('status of 409 (Conflict)'))).toEqual([])
    expect(problems).toHaveLength(1)
    expect((await studio.server.server.services.ledger.verify()).violations).toEqual([])
    await context.close()
  })

  it('shows Admin → Purchases as cards at phone width, the refund form inside the screen', async () => {
    const { context, page } = await open(admin, PHONE)
    await page.goto('/admin/purchases')
    await page.getByTestId('admin-purchase').first().waitFor()
    await row(page, bought[2]!.id)
      .getByRole('button', { name: /^Refund…/ })
      .click()
    await page.getByTestId('refund-form').waitFor()
    expect(await sidewaysOverflow(page, '[data-testid=admin-purchases]')).toBeLessThanOrEqual(0)
    const button = (await page.getByRole('button', { name: 'Refund', exact: true }).boundingBox())!
    expect(button.x + button.width).toBeLessThanOrEqual(PHONE.width)
    await screenshot(page, 'purchases-04-admin-phone')
    await context.close()
  })

  it('lists the buyer’s purchases with their status, credits taken back and receipts, and adds up payments', async () => {
    const [first, second, third] = bought as [PurchaseBody, PurchaseBody, PurchaseBody]
    const { context, page } = await open(buyer)
    const problems = consoleProblems(page)
    await page.goto('/credits')
    const section = page.getByTestId('purchases')
    await section.getByRole('heading', { name: 'Purchases' }).waitFor()
    const rows = section.getByTestId('purchase')
    expect(await rows.count()).toBe(3)
    // Newest first.
    const [newest, middle, oldest] = [rows.nth(0), rows.nth(1), rows.nth(2)]
    expect(await newest.getByTestId('purchase-status').innerText()).toBe('Paid')
    expect(await newest.innerText()).toContain('115')
    expect(await newest.getByRole('cell', { name: '$15.00' }).count()).toBe(1)
    expect(await middle.getByTestId('purchase-status').innerText()).toBe('Refunded')
    expect(await middle.innerText()).toContain('230 credits taken back')
    expect(await middle.innerText()).toContain('pack-115 × 2')
    // The first lot's two spent credits could not be taken back.
    expect(await oldest.getByTestId('purchase-status').innerText()).toBe('Refunded')
    expect(await oldest.innerText()).toContain('113 credits taken back')
    expect(await oldest.innerText()).toContain('2 already used')

    for (const [r, p] of [
      [newest, third],
      [middle, second],
      [oldest, first],
    ] as const) {
      const link = r.getByRole('link', { name: /^Receipt No\. \d{6}/ })
      expect(await link.innerText()).toContain(`No. ${String(p.receiptNumber).padStart(6, '0')}`)
      expect(await receiptOf(page, link)).toEqual({
        status: 200,
        type: 'application/pdf',
        head: Buffer.from('%PDF-'),
      })
    }
    await screenshot(page, 'purchases-05-credits')

    await page.setViewportSize(PHONE)
    expect(await sidewaysOverflow(page, '[data-testid=purchases]')).toBeLessThanOrEqual(0)
    await section.scrollIntoViewIfNeeded()
    await screenshot(page, 'purchases-06-credits-phone')
    expect(problems).toEqual([])
    await context.close()

    // The report adds the money up per currency: three purchases, two refunded in full.
    const { context: adminContext, page: adminPage } = await open(admin)
    await adminPage.goto('/admin/report')
    const payments = adminPage.getByTestId('payments')
    await payments.waitFor()
    const usd = payments.getByRole('row', { name: /^USD/ })
    expect((await usd.getByRole('cell').allInnerTexts()).map((t) => t.trim())).toEqual([
      '$60.00',
      '$45.00',
      '$0.00',
      '$0.00',
      '$15.00',
    ])
    await screenshot(adminPage, 'purchases-07-admin-report')
    await adminContext.close()
  })
})

describe.skipIf(!enabled)(
  'purchases paid on Stripe Checkout in Chromium: pending, failed, disputed, taxed',
  () => {
    let stripe: FakeStripe
    let studio: Studio
    let admin: TestUser
    let buyer: TestUser
    const sessions: Record<'pending' | 'failed' | 'disputed' | 'refunded', string> = {
      pending: '',
      failed: '',
      disputed: '',
      refunded: '',
    }

    const deliver = async (event: StripeEvent) => {
      const answer = await stripe.deliver(event)
      if (!answer.ok)
        throw new Error(`the webhook answered ${answer.status} to ${event.type}: ${await answer.text()}`)
    }

    beforeAll(async () => {
      stripe = await FakeStripe.start({ secretKey: STRIPE_SECRET_KEY, webhookSecret: STRIPE_WEBHOOK_SECRET })
      // Refunds wait for the event the test delivers when it wants.
      stripe.autoDeliver = false
      studio = await startStudio({ env: { ...stripeEnv(stripe), EASEL_STRIPE_AUTOMATIC_TAX: 'on' } })
      stripe.webhookUrl = `${studio.server.url}/api/billing/stripe/webhook`
      await ensureSetUp(studio)
      admin = await studio.server.user({ role: 'admin' })
      buyer = await studio.server.user({ credits: 0 })
      for (const which of ['pending', 'failed', 'disputed', 'refunded'] as const) {
        const opened = await api(studio, buyer, 'POST', '/api/billing/checkout', CheckoutBody, {
          packId: 'pack-115',
          quantity: 1,
        })
        sessions[which] = opened.sessionId
      }
      // A bank debit on its way, and one that failed.
      await deliver(stripe.complete(sessions.pending, { paymentStatus: 'unpaid' }))
      await deliver(stripe.complete(sessions.failed, { paymentStatus: 'unpaid' }))
      await deliver(stripe.settleAsync(sessions.failed, false))
      // Paid by card, then disputed by the buyer and won by the seller.
      await deliver(stripe.complete(sessions.disputed))
      const dispute = stripe.openDispute(sessions.disputed)
      await deliver(dispute)
      await deliver(stripe.closeDispute((dispute.data as { object: { id: string } }).object.id, true))
      await deliver(stripe.complete(sessions.refunded))
    }, 120_000)
    afterAll(async () => {
      await studio?.close()
      await stripe?.close()
    })

    it('refunds through Stripe: requested first, the credits taken back once Stripe’s event arrives', async () => {
      const { context, page } = await newPage(studio)
      await signIn(page, admin)
      await page.goto('/admin/purchases')
      const rows = page.getByTestId('admin-purchase')
      await rows.first().waitFor()
      expect(await rows.count()).toBe(2)
      // Newest first: the purchase to refund, then the one whose dispute was won.
      const [toRefund, won] = [rows.nth(0), rows.nth(1)]
      expect(await won.getByTestId('purchase-status').innerText()).toBe('Paid')
      expect(await won.innerText()).toContain('dispute won')
      expect(await toRefund.innerText()).toContain('$15.00 + $1.50 tax')
      expect(await toRefund.innerText()).toContain('stripe')

      await toRefund.getByRole('button', { name: /^Refund…/ }).click()
      const form = page.getByTestId('refund-form')
      // What is left: the price and its tax.
      expect(await form.getByLabel('Amount (USD)').inputValue()).toBe('16.50')
      await form.getByRole('button', { name: 'Refund', exact: true }).click()
      await form.getByText(`Refund 16.50 USD to ${buyer.email}?`).waitFor()
      await form.getByRole('button', { name: 'Yes, refund' }).click()
      const done = page.getByTestId('refund-done')
      await done.waitFor()
      expect(await done.innerText()).toBe(
        'Refund of 16.50 USD requested — the credits are taken back when Stripe confirms it.',
      )
      expect(await toRefund.getByTestId('purchase-status').innerText()).toBe('Paid')

      const refunded = stripe.events.filter((e) => e.type === 'charge.refunded').at(-1)
      if (!refunded) throw new Error('Easel asked Stripe for no refund')
      await deliver(refunded)
      await page.reload()
      await rows.first().waitFor()
      expect(await rows.nth(0).getByTestId('purchase-status').innerText()).toBe('Refunded')
      expect(await rows.nth(0).innerText()).toContain('115 credits taken back')
      expect(
        await rows
          .nth(0)
          .getByRole('button', { name: /^Refund…/ })
          .isDisabled(),
      ).toBe(true)
      await screenshot(page, 'purchases-08-admin-stripe')
      await context.close()
    })

    it('shows the buyer checkouts still waiting for the bank, failed ones, tax and a dispute won', async () => {
      const listed = await api(studio, buyer, 'GET', '/api/purchases', PurchasesBody)
      expect(listed.checkouts.map((c) => c.status).sort()).toEqual(['failed', 'pending'])
      for (const viewport of [undefined, PHONE]) {
        const { context, page } = await newPage(studio, viewport)
        await signIn(page, buyer)
        await page.goto('/credits')
        const section = page.getByTestId('purchases')
        const pending = section.getByTestId('checkout-pending')
        await pending.waitFor()
        expect(await pending.innerText()).toContain(
          'Payment pending — the credits arrive when your bank confirms it.',
        )
        // What the checkout asked: the price (the tax is known once the buyer's address is).
        expect(await pending.innerText()).toContain('$15.00')
        const failed = section.getByTestId('checkout-failed')
        expect(await failed.innerText()).toContain('Payment failed')
        expect(await failed.innerText()).toContain('$15.00')
        const rows = section.getByTestId('purchase')
        expect(await rows.count()).toBe(2)
        expect(await rows.nth(0).getByTestId('purchase-status').innerText()).toBe('Refunded')
        expect(await rows.nth(1).getByTestId('purchase-status').innerText()).toBe('Paid')
        expect(await rows.nth(1).innerText()).toContain('dispute won')
        expect(await rows.nth(1).innerText()).toContain('$15.00 + $1.50 tax')
        expect(await sidewaysOverflow(page, '[data-testid=purchases]')).toBeLessThanOrEqual(0)
        await section.scrollIntoViewIfNeeded()
        await screenshot(page, viewport ? 'purchases-10-credits-stripe-phone' : 'purchases-09-credits-stripe')
        await context.close()
      }
    })
  },
)
