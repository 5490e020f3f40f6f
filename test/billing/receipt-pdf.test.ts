import fc from 'fast-check'
import PDFDocument from 'pdfkit'
import { describe, expect, it } from 'vitest'
import type { ReceiptDocument } from '../../src/billing/receipt-document.ts'
import {
  receiptFigures,
  receiptNumberText,
  renderReceiptPdf,
  winAnsiText,
} from '../../src/billing/receipt-pdf.ts'
import {
  type PdfTextRun,
  pdfInfo,
  pdfLinks,
  pdfPageCount,
  pdfPageSize,
  pdfText,
  pdfTextRuns,
} from '../support/pdf-text.ts'
import { receiptOf, STRIPE_RECEIPT } from './receipt-fixture.ts'

// A receipt's PDF read back: what it says, where it says it (one A4 page, nothing off the page or
// over another column, however long what the seller or buyer typed), and that characters the
// standard fonts cannot draw never break it.

/** Two packs with 10% tax added on top, unless `change` says otherwise. */
const receipt = (change: Partial<ReceiptDocument> = {}) =>
  receiptOf({ quantity: 2, credits: 230, taxMinor: 570, totalMinor: 3570, ...change })

const lines = (pdf: Buffer) => pdfText(pdf).split('\n')

/** The run that says exactly `text` (the first), failing when there is none. */
function run(runs: PdfTextRun[], text: string): PdfTextRun {
  const found = runs.find((r) => r.text === text)
  if (!found) throw new Error(`no line "${text}" in:\n${runs.map((r) => r.text).join('\n')}`)
  return found
}

const MARGIN = 56
const measure = new PDFDocument({ size: 'A4' })
const width = (r: PdfTextRun) => measure.font(r.font).fontSize(r.size).widthOfString(r.text)

/** Lines outside the margins, and lines that share a height and run over one another. */
function layoutProblems(pdf: Buffer): string[] {
  const page = pdfPageSize(pdf)
  const runs = pdfTextRuns(pdf).map((r) => ({ ...r, right: r.x + width(r) }))
  const problems: string[] = []
  for (const r of runs) {
    if (r.x < MARGIN - 0.01 || r.right > page.width - MARGIN + 0.01 || r.y > page.height - MARGIN)
      problems.push(`"${r.text}" leaves the margins: x ${r.x}…${r.right}, baseline ${r.y}`)
  }
  for (const [i, a] of runs.entries()) {
    for (const b of runs.slice(i + 1)) {
      const sameHeight = Math.abs(a.y - b.y) < Math.max(a.size, b.size)
      const apart = a.right <= b.x + 0.01 || b.right <= a.x + 0.01
      if (sameHeight && !apart) problems.push(`"${a.text}" overlaps "${b.text}"`)
    }
  }
  return problems
}

const expectLaidOut = (pdf: Buffer) => expect(layoutProblems(pdf)).toEqual([])

describe('receipt PDF', () => {
  it('says who sold what to whom, when, for how much, and how it was paid, on one A4 page', async () => {
    const pdf = await renderReceiptPdf(receipt())
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdfPageCount(pdf)).toBe(1)
    expect(pdfPageSize(pdf)).toEqual({ width: 595.28, height: 841.89 })
    expect(lines(pdf)).toEqual([
      'Receipt',
      'Receipt no. 000042',
      'Date of issue: 3 December 2026',
      'From',
      'Atelier Lumière GmbH',
      'Hauptstraße 1',
      '10115 Berlin',
      'Germany',
      'Tax ID: DE123456789',
      'Billed to',
      'ada@example.test',
      'Account acct_01JB2ZK5',
      'Description',
      'Quantity',
      'Unit price',
      'Amount',
      '115 credits — pack "starter"',
      '2',
      '$15.00',
      '$30.00',
      'Subtotal',
      '$30.00',
      'Tax',
      '$5.70',
      'Total paid',
      '$35.70',
      'Amounts in USD.',
      'Paid with Stripe — reference pi_3QxYz0AbCdEf',
      "Stripe's receipt:",
      STRIPE_RECEIPT,
      'Thank you for your purchase.',
    ])
    const runs = pdfTextRuns(pdf)
    // A total sits on its label's line, in bold; the title is the largest text.
    expect(run(runs, '$35.70')).toMatchObject({ y: run(runs, 'Total paid').y, font: 'Helvetica-Bold' })
    expect(run(runs, 'Receipt')).toMatchObject({ size: 24, font: 'Helvetica-Bold' })
    expect(run(runs, 'ada@example.test').y).toBe(run(runs, 'Atelier Lumière GmbH').y)
    expectLaidOut(pdf)
    expect(pdfLinks(pdf)).toEqual([STRIPE_RECEIPT])
    expect(pdfInfo(pdf, 'Title')).toBe('Receipt 000042')
    expect(pdfInfo(pdf, 'Author')).toBe('Atelier Lumière GmbH')
    expect(pdfInfo(pdf, 'CreationDate')).toBe('D:20261203093000Z')
  })

  it('is the same bytes for the same receipt, whenever it is rendered', async () => {
    const first = await renderReceiptPdf(receipt())
    expect((await renderReceiptPdf(receipt())).equals(first)).toBe(true)
    const later = await renderReceiptPdf(receipt({ issuedAt: Date.UTC(2026, 11, 4) }))
    expect(later.equals(first)).toBe(false)
    expect(pdfText(later)).toContain('Date of issue: 4 December 2026')
  })

  it('with no seller configured: "Easel" and nothing else; no email: the account; no provider receipt: no link', async () => {
    const pdf = await renderReceiptPdf(
      receipt({
        seller: { name: null, address: [], taxId: null },
        buyer: { accountId: 'acct_01JB2ZK5', email: null },
        provider: 'test',
        providerReference: 'test_ref_7',
        receiptUrl: null,
      }),
    )
    const text = lines(pdf)
    expect(text.slice(text.indexOf('From'), text.indexOf('Description'))).toEqual([
      'From',
      'Easel',
      'Billed to',
      'acct_01JB2ZK5',
    ])
    expect(text).toContain('Paid with test — reference test_ref_7')
    expect(text.join('\n')).not.toMatch(/Tax ID|receipt:/)
    expect(pdfLinks(pdf)).toEqual([])
    expect(pdfInfo(pdf, 'Author')).toBe('Easel')
    expectLaidOut(pdf)
  })

  it("writes money in the currency's own digits: none for JPY, three for KWD, the code for a symbol the fonts lack", async () => {
    const yen = lines(
      await renderReceiptPdf(
        receipt({
          quantity: 1,
          credits: 115,
          unitPriceMinor: 1500,
          taxMinor: 0,
          totalMinor: 1500,
          currency: 'JPY',
        }),
      ),
    )
    expect(yen).toEqual(expect.arrayContaining(['¥1,500', '¥0', 'Amounts in JPY.']))
    expect(yen.join('\n')).not.toMatch(/1,500\.|15\.00/)
    const dinar = lines(
      await renderReceiptPdf(
        receipt({ unitPriceMinor: 5120, taxMinor: 0, totalMinor: 10_240, currency: 'KWD' }),
      ),
    )
    expect(dinar).toEqual(expect.arrayContaining(['KWD\u00a05.120', 'KWD\u00a010.240']))
    const rupee = lines(
      await renderReceiptPdf(
        receipt({ unitPriceMinor: 49_900, taxMinor: 0, totalMinor: 99_800, currency: 'INR' }),
      ),
    )
    expect(rupee).toEqual(expect.arrayContaining(['INR 499.00', 'INR 998.00']))
  })

  it('shows tax included in the prices as such, the subtotal before it', async () => {
    const included = receipt({
      quantity: 1,
      credits: 115,
      unitPriceMinor: 1500,
      taxMinor: 250,
      totalMinor: 1500,
    })
    expect(receiptFigures(included)).toEqual({
      lineMinor: 1500,
      subtotalMinor: 1250,
      taxMinor: 250,
      totalMinor: 1500,
      taxIncluded: true,
    })
    const text = lines(await renderReceiptPdf(included)).join('\n')
    expect(text).toContain(
      'Subtotal (before tax)\n$12.50\nTax (included in the price)\n$2.50\nTotal paid\n$15.00',
    )
  })

  it('refuses a receipt whose figures do not add up, rather than print a wrong sum', async () => {
    await expect(renderReceiptPdf(receipt({ totalMinor: 3571 }))).rejects.toThrow(/does not add up/)
    await expect(renderReceiptPdf(receipt({ credits: 229 }))).rejects.toThrow(/credits 229/)
    await expect(renderReceiptPdf(receipt({ quantity: 0 }))).rejects.toThrow(/quantity/)
    await expect(renderReceiptPdf(receipt({ taxMinor: -1, totalMinor: 2999 }))).rejects.toThrow(/taxMinor/)
    await expect(renderReceiptPdf(receipt({ number: 0 }))).rejects.toThrow(/receipt number/)
  })

  it('numbers receipts with six digits at least', () => {
    expect(receiptNumberText(1)).toBe('000001')
    expect(receiptNumberText(42)).toBe('000042')
    expect(receiptNumberText(1_234_567)).toBe('1234567')
    expect(() => receiptNumberText(1.5)).toThrow()
  })

  it('wraps long values in their column and cuts what would leave the page', async () => {
    const longName = `Lumière ${'Ateliers'.repeat(24)} Unlimited`
    const address = Array.from({ length: 10 }, (_, i) => `Line ${i} ${'street '.repeat(14)}`.trim())
    const pdf = await renderReceiptPdf(
      receipt({
        seller: { name: longName, address, taxId: `DE${'9'.repeat(98)}` },
        buyer: { accountId: 'acct_01JB2ZK5', email: `${'a'.repeat(64)}@${'sub.'.repeat(45)}example.test` },
        packId: 'p'.repeat(120),
        providerReference: `ref_${'x'.repeat(250)}`,
        receiptUrl: `${STRIPE_RECEIPT}&${'q=1&'.repeat(120)}`,
      }),
    )
    expect(pdfPageCount(pdf)).toBe(1)
    expectLaidOut(pdf)
    const runs = pdfTextRuns(pdf)
    // The name is wrapped over its four lines, the last cut with an ellipsis.
    const from = run(runs, 'From')
    const name = runs.filter((r) => r.x === from.x && r.font === 'Helvetica-Bold' && r.size === 11)
    expect(name).toHaveLength(4)
    expect(name.map((r) => r.text).join('')).toMatch(/^Lumière (Ateliers)+.*…$/)
    // Within the configured limits nothing is cut: 1000 characters of address all show.
    expect(
      runs
        .map((r) => r.text)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toContain(address[9])
    expect(pdfLinks(pdf)[0]).toMatch(/^https:\/\/pay\.stripe\.com\//)
  })

  it('never lets a character the standard fonts lack break the page: it becomes its letters or "?"', async () => {
    expect(winAnsiText('Café — 5 € “quoted” …')).toBe('Café — 5 € “quoted” …')
    expect(winAnsiText('Łódź ﬁne')).toBe('?ódz fine')
    expect(winAnsiText('東京アトリエ 🎨')).toBe('?????? ?')
    expect(winAnsiText('a\tb\nc\u0000d\u0085e')).toBe('a b c d e')
    const name = '東京アトリエ株式会社 Łódź 🎨'
    const pdf = await renderReceiptPdf(
      receipt({
        seller: { name, address: ['千代田区 1-1'], taxId: 'T1234' },
        buyer: { accountId: 'a', email: 'ü@例え.jp' },
      }),
    )
    expect(lines(pdf)).toEqual(expect.arrayContaining(['?????????? ?ódz ?', '???? 1-1', 'ü@??.jp']))
    // The document's metadata is Unicode and keeps the name as typed.
    expect(pdfInfo(pdf, 'Author')).toBe(name)
    expect(pdfPageCount(pdf)).toBe(1)
  })

  it('the layout check finds text off the page and text over other text (the check itself)', async () => {
    const doc = new PDFDocument({ size: 'A4', margin: MARGIN })
    const chunks: Buffer[] = []
    doc.on('data', (c: Buffer) => chunks.push(c))
    const ended = new Promise((resolve) => doc.on('end', resolve))
    doc.font('Helvetica').fontSize(10).text('inside', MARGIN, 100, { lineBreak: false })
    doc.text('over it', MARGIN + 10, 100, { lineBreak: false })
    doc.text('far too far right', 530, 300, { lineBreak: false })
    doc.end()
    await ended
    const problems = layoutProblems(Buffer.concat(chunks))
    expect(problems).toHaveLength(2)
    expect(problems[0]).toMatch(/^"far too far right" leaves the margins: x 530…/)
    expect(problems[1]).toBe('"inside" overlaps "over it"')
  })

  it('renders any text typed for the seller and the buyer on one page, within it', async () => {
    const typed = fc.string({ unit: 'binary', maxLength: 200 })
    await fc.assert(
      fc.asyncProperty(typed, typed, fc.array(typed, { maxLength: 5 }), async (name, email, address) => {
        const pdf = await renderReceiptPdf(
          receipt({ seller: { name, address, taxId: name }, buyer: { accountId: 'acct_1', email } }),
        )
        expect(pdfPageCount(pdf)).toBe(1)
        expectLaidOut(pdf)
        expect(lines(pdf)).toContain('Total paid')
      }),
      { numRuns: 25 },
    )
  })
})
