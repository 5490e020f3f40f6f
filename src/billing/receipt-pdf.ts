import PDFDocument from 'pdfkit'
import { formatMoney, majorUnits } from '../credits/index.ts'
import { dayInWords } from '../notify/notices-mails.ts'
import type { ReceiptDocument } from './receipt-document.ts'

// A receipt as a one-page A4 PDF, drawn with pdfkit's standard fonts (nothing to download or
// embed). The same receipt always gives the same bytes: the document's dates are the receipt's
// `issuedAt`, and pdfkit's file id is a hash of them. Its words are shared with the receipt mail
// (receipt-mail.ts) through the helpers exported here.

/** The seller line when the operator configured no EASEL_SELLER_NAME. */
export const DEFAULT_SELLER_NAME = 'Easel'

/**
 * A receipt's number as printed: zero-padded to six digits (more when it has more).
 *
 * @example
 * receiptNumberText(42)      // → '000042'
 * receiptNumberText(1234567) // → '1234567'
 */
export function receiptNumberText(number: number): string {
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`a receipt number is ≥ 1, got ${number}`)
  return String(number).padStart(6, '0')
}

const credits = (n: number) => `${n} ${n === 1 ? 'credit' : 'credits'}`

/** The bought line: `115 credits — pack "starter"` (one pack; the quantity is beside it). */
export function receiptLineDescription(receipt: ReceiptDocument): string {
  return `${credits(receipt.creditsPerPack)} — pack "${receipt.packId}"`
}

/** How a provider is named to people: `stripe` → `Stripe`; others as they are. */
export function providerName(provider: string): string {
  return provider === 'stripe' ? 'Stripe' : provider
}

/** What the receipt's figures say, checked to add up. */
export interface ReceiptFigures {
  /** Unit price × quantity: the table's amount. */
  lineMinor: number
  /** The total less the tax. */
  subtotalMinor: number
  taxMinor: number
  totalMinor: number
  /** The prices already held the tax (the line is the total), rather than the tax being added to them. */
  taxIncluded: boolean
}

/**
 * The receipt's figures, after checking that they add up: the total is the line (unit price ×
 * quantity) plus the tax the provider added, or the line itself when the prices included the tax.
 * Anything else is a bug in whoever built the receipt, and printing it would state a wrong sum to
 * the buyer and to the tax office: it throws.
 *
 * @example
 * receiptFigures({ …, unitPriceMinor: 1500, quantity: 2, taxMinor: 600, totalMinor: 3600 })
 * // → { lineMinor: 3000, subtotalMinor: 3000, taxMinor: 600, totalMinor: 3600, taxIncluded: false }
 */
export function receiptFigures(receipt: ReceiptDocument): ReceiptFigures {
  const { quantity, unitPriceMinor, taxMinor, totalMinor } = receipt
  const counts = { quantity, creditsPerPack: receipt.creditsPerPack }
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`receipt ${name} must be ≥ 1, got ${value}`)
  }
  for (const [name, value] of Object.entries({ unitPriceMinor, taxMinor, totalMinor })) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`receipt ${name} must be a whole number ≥ 0, got ${value}`)
  }
  if (receipt.credits !== receipt.creditsPerPack * quantity)
    throw new Error(`receipt credits ${receipt.credits} ≠ ${receipt.creditsPerPack} × ${quantity}`)
  const lineMinor = unitPriceMinor * quantity
  const taxIncluded = taxMinor > 0 && lineMinor === totalMinor
  if (!taxIncluded && lineMinor + taxMinor !== totalMinor)
    throw new Error(
      `receipt ${receipt.number} does not add up: ${unitPriceMinor} × ${quantity} + tax ${taxMinor} ≠ total ${totalMinor}`,
    )
  return { lineMinor, subtotalMinor: totalMinor - taxMinor, taxMinor, totalMinor, taxIncluded }
}

// WinAnsiEncoding, the only encoding of the standard fonts: printable ASCII, Latin-1's upper half,
// and these characters at 0x80–0x9F (the code points pdfkit maps there).
const WIN_ANSI_EXTRA = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e,
  0x0178,
])
const inWinAnsi = (cp: number) =>
  (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp)
const encodable = (text: string) => [...text].every((c) => inWinAnsi(c.codePointAt(0)!))

/**
 * Text the standard PDF fonts can draw. pdfkit writes any other character as its UTF-16 code in
 * hex, which shifts every byte after it (garbage on the page), so each such character becomes its
 * base letters if it has them (`ő` → `o`, `ﬁ` → `fi`) and `?` otherwise (`東京` → `??`); line
 * breaks, tabs and other controls become spaces.
 *
 * @example
 * winAnsiText('Café — 5 €')  // → 'Café — 5 €' (all in WinAnsi)
 * winAnsiText('Łódź 東京')    // → '?ódz ??' (ó is Latin-1, ź is z + accent, Ł and 東京 have no letters in WinAnsi)
 */
export function winAnsiText(text: string): string {
  let out = ''
  for (const c of text) {
    const cp = c.codePointAt(0)!
    if (inWinAnsi(cp)) out += c
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || /\s/u.test(c)) out += ' '
    else {
      const base = c.normalize('NFKD').replace(/\p{M}/gu, '')
      out += base !== '' && encodable(base) ? base : '?'
    }
  }
  return out
}

/**
 * Money as drawn: the shared formatter's text, or `INR 15.00` when its symbol (₹) is not in the
 * standard fonts.
 */
function moneyText(amountMinor: number, currency: string): string {
  const shown = formatMoney({ amountMinor, currency })
  return encodable(shown) ? shown : `${currency} ${majorUnits({ amountMinor, currency })}`
}

/** A link only when it is one a reader may follow: http(s), nothing else (no `javascript:`). */
function followable(url: string): boolean {
  try {
    const { protocol } = new URL(url)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

// A4 in points, with 2 cm margins.
const PAGE = { width: 595.28, height: 841.89, margin: 56 }
const CONTENT = PAGE.width - 2 * PAGE.margin
const GREY = '#555555'
const INK = '#111111'
const LINK = '#1d4ed8'
const REGULAR = 'Helvetica'
const BOLD = 'Helvetica-Bold'

type Doc = PDFKit.PDFDocument

interface Box {
  x: number
  width: number
  font?: string
  size?: number
  color?: string
  /** At most this many lines: the rest ends in "…", so no value, however long, leaves the page. */
  lines: number
  align?: 'left' | 'right'
  link?: string
}

/** Draws text in a box at y, wrapped to its width and cut to its lines; returns the y below it. */
function put(doc: Doc, text: string, y: number, box: Box): number {
  const size = box.size ?? 10
  doc
    .font(box.font ?? REGULAR)
    .fontSize(size)
    .fillColor(box.color ?? INK)
  const lineHeight = doc.currentLineHeight(true)
  // Line by line: a line break is the caller's, any other control character becomes a space.
  const drawn = text.split('\n').map(winAnsiText).join('\n')
  doc.text(drawn, box.x, y, {
    width: box.width,
    // Half a point over, so that rounding never costs the last line.
    height: lineHeight * box.lines + 0.5,
    ellipsis: true,
    align: box.align ?? 'left',
    lineGap: 0,
    ...(box.link ? { link: box.link, underline: true } : {}),
  })
  return Math.max(doc.y, y + lineHeight)
}

/** A hairline across the content width. */
function rule(doc: Doc, y: number): void {
  doc
    .moveTo(PAGE.margin, y)
    .lineTo(PAGE.margin + CONTENT, y)
    .lineWidth(0.5)
    .strokeColor('#999999')
    .stroke()
}

/** The head, the seller and the buyer; returns the y below them. */
function drawParties(doc: Doc, receipt: ReceiptDocument, number: string): number {
  const m = PAGE.margin
  let y = put(doc, 'Receipt', m, { x: m, width: CONTENT, font: BOLD, size: 24, lines: 1 })
  y = put(doc, `Receipt no. ${number}`, y + 6, { x: m, width: CONTENT, size: 11, lines: 1 })
  y = put(doc, `Date of issue: ${dayInWords(receipt.issuedAt)}`, y + 2, {
    x: m,
    width: CONTENT,
    size: 11,
    lines: 1,
  })

  const top = y + 24
  const half = (CONTENT - 24) / 2
  const { seller, buyer } = receipt
  let left = put(doc, 'From', top, { x: m, width: half, font: BOLD, size: 9, color: GREY, lines: 1 })
  left = put(doc, seller.name ?? DEFAULT_SELLER_NAME, left + 2, {
    x: m,
    width: half,
    font: BOLD,
    size: 11,
    lines: 4,
  })
  // Each configured line on its own line. 24 lines hold ten lines of a hundred characters (what
  // EASEL_SELLER_ADDRESS's 1000 allow, written as lines); more is cut, to keep one page.
  if (seller.address.length > 0)
    left = put(doc, seller.address.join('\n'), left + 2, { x: m, width: half, size: 9, lines: 24 })
  if (seller.taxId) left = put(doc, `Tax ID: ${seller.taxId}`, left + 2, { x: m, width: half, lines: 2 })

  const rx = m + half + 24
  let right = put(doc, 'Billed to', top, { x: rx, width: half, font: BOLD, size: 9, color: GREY, lines: 1 })
  right = put(doc, buyer.email ?? buyer.accountId, right + 2, {
    x: rx,
    width: half,
    font: BOLD,
    size: 11,
    lines: 3,
  })
  if (buyer.email !== null)
    right = put(doc, `Account ${buyer.accountId}`, right + 2, {
      x: rx,
      width: half,
      size: 9,
      color: GREY,
      lines: 2,
    })
  return Math.max(left, right)
}

// The table's columns: description, quantity, unit price, amount (the last three right-aligned).
const COLUMNS = {
  description: { x: PAGE.margin, width: 220 },
  quantity: { x: PAGE.margin + 228, width: 50 },
  unit: { x: PAGE.margin + 286, width: 95 },
  amount: { x: PAGE.margin + CONTENT - 95, width: 95 },
}

/** What was bought and what it cost; returns the y below it. */
function drawTable(doc: Doc, receipt: ReceiptDocument, figures: ReceiptFigures, top: number): number {
  const c = COLUMNS
  const money = (minor: number) => moneyText(minor, receipt.currency)
  const head = { font: BOLD, size: 9, color: GREY, lines: 1 }
  put(doc, 'Description', top, { ...c.description, ...head })
  put(doc, 'Quantity', top, { ...c.quantity, ...head, align: 'right' })
  put(doc, 'Unit price', top, { ...c.unit, ...head, align: 'right' })
  let y = put(doc, 'Amount', top, { ...c.amount, ...head, align: 'right' })
  rule(doc, y + 3)

  const row = y + 9
  y = put(doc, receiptLineDescription(receipt), row, { ...c.description, lines: 3 })
  y = Math.max(
    y,
    put(doc, String(receipt.quantity), row, { ...c.quantity, lines: 1, align: 'right' }),
    put(doc, money(receipt.unitPriceMinor), row, { ...c.unit, lines: 1, align: 'right' }),
    put(doc, money(figures.lineMinor), row, { ...c.amount, lines: 1, align: 'right' }),
  )
  rule(doc, y + 3)

  const label = { x: c.quantity.x, width: c.amount.x - c.quantity.x, lines: 1 }
  const total = (text: string, minor: number, at: number, bold = false) => {
    const font = bold ? BOLD : REGULAR
    const size = bold ? 11 : 10
    put(doc, text, at, { ...label, font, size })
    return put(doc, money(minor), at, { ...c.amount, font, size, lines: 1, align: 'right' })
  }
  y = total(figures.taxIncluded ? 'Subtotal (before tax)' : 'Subtotal', figures.subtotalMinor, y + 9)
  y = total(figures.taxIncluded ? 'Tax (included in the price)' : 'Tax', figures.taxMinor, y + 3)
  y = total('Total paid', figures.totalMinor, y + 5, true)
  return put(doc, `Amounts in ${receipt.currency}.`, y + 6, { ...label, size: 9, color: GREY })
}

/** How it was paid, and the provider's own receipt; returns the y below it. */
function drawPayment(doc: Doc, receipt: ReceiptDocument, top: number): number {
  const box = { x: PAGE.margin, width: CONTENT }
  const paid = `Paid with ${providerName(receipt.provider)} — reference ${receipt.providerReference}`
  let y = put(doc, paid, top, { ...box, lines: 3 })
  if (receipt.receiptUrl !== null) {
    const label = `${providerName(receipt.provider)}'s receipt:`
    y = put(doc, label, y + 6, { ...box, size: 9, color: GREY, lines: 1 })
    const link = followable(receipt.receiptUrl) ? receipt.receiptUrl : undefined
    y = put(doc, receipt.receiptUrl, y + 1, {
      ...box,
      size: 9,
      color: link ? LINK : INK,
      lines: 4,
      ...(link ? { link } : {}),
    })
  }
  return put(doc, 'Thank you for your purchase.', y + 18, { ...box, lines: 1 })
}

/**
 * A purchase's receipt as a one-page A4 PDF: number and date of issue, the seller (name, address,
 * tax id, as configured when it was issued), who was billed, the pack, quantity, prices, tax and
 * total in the currency paid, and the provider's reference and receipt link. Whatever the seller
 * or buyer typed is drawn safely: wrapped, cut to a few lines, and reduced to what the standard
 * fonts can show. The same receipt gives the same bytes (its dates are `issuedAt`).
 *
 * @example
 * const pdf = await renderReceiptPdf(receipt)
 * reply.header('content-type', 'application/pdf').send(pdf)
 * Rejects when the receipt's figures do not add up ({@link receiptFigures}).
 */
export async function renderReceiptPdf(receipt: ReceiptDocument): Promise<Buffer> {
  const number = receiptNumberText(receipt.number)
  const figures = receiptFigures(receipt)
  const issued = new Date(receipt.issuedAt)
  if (Number.isNaN(issued.getTime())) throw new Error(`receipt issuedAt is not a moment: ${receipt.issuedAt}`)
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    info: {
      Title: `Receipt ${number}`,
      Author: receipt.seller.name ?? DEFAULT_SELLER_NAME,
      Subject: `${credits(receipt.credits)}, ${majorUnits({ amountMinor: figures.totalMinor, currency: receipt.currency })} ${receipt.currency}`,
      Creator: 'Easel',
      Producer: 'Easel',
      CreationDate: issued,
      ModDate: issued,
    },
  })
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    try {
      const below = drawParties(doc, receipt, number)
      const after = drawTable(doc, receipt, figures, below + 28)
      drawPayment(doc, receipt, after + 24)
      doc.end()
    } catch (error) {
      reject(error)
    }
  })
}
