import { describe, expect, it } from 'vitest'
import type { ReceiptDocument } from '../../src/billing/receipt-document.ts'
import { receiptDownloadLink, receiptMail } from '../../src/billing/receipt-mail.ts'
import { receiptOf, STRIPE_RECEIPT } from './receipt-fixture.ts'

// The receipt mail's words, as a pure function of the receipt: what was bought and paid (with the
// tax), when, by whom it was sold, the provider's reference, the PDF's link on the public URL, and
// nothing a seller typed turned into markup.

const BASE = 'https://easel.example.test/studio'
const receipt = (change: Partial<ReceiptDocument> = {}) => receiptOf(change)

const mail = (change: Partial<ReceiptDocument> = {}, purchaseId = 'cs_test_a1') =>
  receiptMail({ receipt: receipt(change), to: 'ada@example.test', linkBase: BASE, purchaseId })

describe('receipt mail', () => {
  it('says what was bought, what was paid, when, from whom, the reference, and links the PDF', () => {
    const m = mail()
    expect(m.kind).toBe('purchase-receipt')
    expect(m.to).toBe('ada@example.test')
    expect(m.subject).toBe('Your Easel receipt 000042 — 115 credits')
    expect(m.text.split('\n\n')).toEqual([
      'Thank you for your purchase on Easel: 115 credits — pack "starter". The credits are in your account now.',
      'You paid $15.00 (USD); no tax was added.',
      'Receipt no. 000042, issued on 3 December 2026.',
      'Sold by Atelier Lumière GmbH, Hauptstraße 1, 10115 Berlin, Germany. Tax ID: DE123456789.',
      'Paid with Stripe, reference pi_3QxYz0AbCdEf.',
      `Stripe's own receipt: ${STRIPE_RECEIPT}`,
      `Download the receipt (PDF): ${BASE}/api/purchases/cs_test_a1/receipt`,
      `Your balance and your purchases are on your credits page: ${BASE}/credits`,
      '— Easel',
    ])
    expect(m.html).toContain(`href="${BASE}/api/purchases/cs_test_a1/receipt"`)
    expect(m.html).toContain('>Download the receipt (PDF)</a>')
  })

  it('several packs: the credits in all; tax added or included, each said as such', () => {
    const added = mail({ quantity: 2, credits: 230, taxMinor: 570, totalMinor: 3570 })
    expect(added.subject).toBe('Your Easel receipt 000042 — 230 credits')
    expect(added.text).toContain('Easel: 2 × 115 credits — pack "starter", 230 credits in all.')
    expect(added.text).toContain('You paid $35.70 (USD): $30.00 plus $5.70 tax.')
    const included = mail({ taxMinor: 250 })
    expect(included.text).toContain('You paid $15.00 (USD), including $2.50 tax.')
    const one = mail({ creditsPerPack: 1, credits: 1 })
    expect(one.subject).toBe('Your Easel receipt 000042 — 1 credit')
  })

  it("writes money in the currency's own digits", () => {
    expect(mail({ unitPriceMinor: 1500, totalMinor: 1500, currency: 'JPY' }).text).toContain(
      'You paid ¥1,500 (JPY); no tax was added.',
    )
    expect(mail({ unitPriceMinor: 5120, totalMinor: 5120, currency: 'KWD' }).text).toContain(
      'You paid KWD\u00a05.120 (KWD)',
    )
  })

  it('with no seller configured, Easel sells; with no provider receipt, no such line', () => {
    const m = mail({
      seller: { name: null, address: [], taxId: null },
      provider: 'test',
      providerReference: 'test_ref_7',
      receiptUrl: null,
    })
    expect(m.text).toContain('\n\nSold by Easel.\n\n')
    expect(m.text).toContain('Paid with test, reference test_ref_7.')
    expect(m.text).not.toMatch(/own receipt|Tax ID/)
  })

  it('escapes what the seller typed in the HTML, and keeps it as typed in the text', () => {
    const hostile = '<script>alert("x")</script> & <a href="https://evil.test">Co</a>'
    const m = mail({
      seller: { name: hostile, address: ['<img src=x onerror=alert(1)>'], taxId: '"><b>1' },
      receiptUrl: 'https://pay.stripe.com/r?a=1&b="><script>',
    })
    expect(m.html).not.toMatch(/<script|<img|<b>|href="https:\/\/evil/)
    expect(m.html).toContain('Sold by &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;a href=')
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(m.text).toContain(`Sold by ${hostile}, <img src=x onerror=alert(1)>. Tax ID: "><b>1.`)
    expect(m.subject).toBe('Your Easel receipt 000042 — 115 credits')
  })

  it('puts the purchase id in the link as one path segment', () => {
    expect(mail({}, 'cs_test/a?b#c').text).toContain(`${BASE}/api/purchases/cs_test%2Fa%3Fb%23c/receipt`)
    expect(receiptDownloadLink('https://easel.example/', 'pi_1')).toBe(
      'https://easel.example/api/purchases/pi_1/receipt',
    )
    for (const id of ['', '.', '..']) expect(() => receiptDownloadLink(BASE, id)).toThrow(/not a purchase id/)
  })

  it('refuses a receipt whose figures do not add up', () => {
    expect(() => mail({ totalMinor: 1499 })).toThrow(/does not add up/)
  })
})
