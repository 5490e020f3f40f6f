import type { JobCost, Lot } from '../../src/contracts/index.ts'
import { Fraction, formatMoney } from '../../src/credits/money.ts'

// How the studio writes numbers, money and dates. Money goes through the server's own money module
// (src/credits/money.ts imports nothing, so only it joins the bundle): integer minor units, or
// decimal strings of minor units read exactly, in each currency's own digits; never floats.

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`

export const credits = (n: number) => plural(n, 'credit')

/** What one operation gives for what it costs, from its quote: "4 images for 1 credit". */
export const offer = (quote: { images: number; credits: number }, noun = 'image') =>
  `${plural(quote.images, noun)} for ${credits(quote.credits)}`

const sameYear = (a: Date, b: Date) => a.getFullYear() === b.getFullYear()

/** "25 Dec", or "25 Dec 2027" when not this year. */
export function shortDate(ms: number, now = Date.now()): string {
  const d = new Date(ms)
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(sameYear(d, new Date(now)) ? {} : { year: 'numeric' }),
  }).format(d)
}

/** "25 Dec 2026, 14:05" */
export function dateTime(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(ms))
}

/** "just now", "5 min ago", "3 h ago", then the date. */
export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000)
  if (s < 45) return 'just now'
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return shortDate(ms, now)
}

const SOURCE_WORDS: Record<string, { adjective: string; title: string }> = {
  monthly: { adjective: 'free', title: 'Free monthly' },
  bonus: { adjective: 'bonus', title: 'Bonus' },
  promotional: { adjective: 'promotional', title: 'Promotional' },
  purchase: { adjective: 'purchased', title: 'Purchased' },
  refund: { adjective: 'refunded', title: 'Refund' },
  adjustment: { adjective: 'adjustment', title: 'Adjustment' },
}

export const sourceTitle = (source: string) => SOURCE_WORDS[source]?.title ?? source

/** "15 free credits expire on 25 Dec", "1 purchased credit expires on 3 Mar 2027", "… never expire". */
export function expirySentence(
  lot: Pick<Lot, 'source' | 'remaining' | 'expiresAt'>,
  now = Date.now(),
): string {
  const adjective = SOURCE_WORDS[lot.source]?.adjective ?? lot.source
  const what = `${lot.remaining.toLocaleString('en')} ${adjective} ${lot.remaining === 1 ? 'credit' : 'credits'}`
  if (lot.expiresAt === null) return `${what} never ${lot.remaining === 1 ? 'expires' : 'expire'}`
  return `${what} ${lot.remaining === 1 ? 'expires' : 'expire'} on ${shortDate(lot.expiresAt, now)}`
}

// "−$1.50", not "-$1.50" (a refund larger than the purchases of a period).
const typeset = (text: string) => text.replace(/^-/, '−')

/** Integer minor units as "$15.00", "¥1,500", "KWD 1.500". */
export const moneyOfMinor = (minor: number, currency: string) =>
  typeset(formatMoney({ amountMinor: minor, currency }))

/**
 * A price that may be a fraction of a minor unit, with `places` decimals of the minor unit, written
 * the way people say small prices: "13.04¢" under a dollar, "$1.3043", "¥13.04", "KWD 0.01304".
 */
export function unitPrice(minor: Fraction, currency: string, places = 2): string {
  const cents = minor.numerator < 0n ? -minor.numerator : minor.numerator
  if (currency === 'USD' && cents < 100n * minor.denominator) return `${minor.shown(places)}¢`
  return typeset(formatMoney({ amountMinor: minor, currency }, { extraDigits: places }))
}

/** A price in minor units as the API sends it, a decimal string ("13.04"), in the same words. */
export function minorMoney(minor: string, currency: string): string {
  const exact = Fraction.parse(minor)
  if (!exact) return `${minor} ${currency}`
  return unitPrice(exact, currency, minor.split('.')[1]?.length ?? 0)
}

/** A sum of fractions of minor units, rounded to whole minor units: 1304.35 cents → "$13.04". */
export const moneyTotal = (minor: Fraction, currency: string) =>
  typeset(formatMoney({ amountMinor: minor, currency }))

export const sizeLabel = (width: number, height = width) => `${width}×${height}`

export const kindTitle = (kind: string) =>
  kind === 'generate' ? 'Generation' : kind === 'edit' ? 'Edit' : kind === 'variation' ? 'Variations' : kind

/** Whether a decimal string is zero ("0.00"). */
export const isZero = (decimal: string) => /^-?0*(\.0*)?$/.test(decimal)

/**
 * The images of a job and how many are favourites: "4 images", "4 images · 1 favourite". (What the
 * API calls "kept" is the favourites, or every image while none is a favourite.)
 */
export function imagesAndFavourites(images: number, favourites: number): string {
  return favourites > 0
    ? `${plural(images, 'image')} · ${plural(favourites, 'favourite')}`
    : plural(images, 'image')
}

/** Whether a job was paid with free credits only (every currency's amount zero). */
export const paidWithFreeCredits = (cost: Pick<JobCost, 'byCurrency'>) =>
  cost.byCurrency.every((line) => isZero(line.priceMinor))

/** A job's cost in money: "13.04¢", or one amount per currency its credits were bought in. */
export function costMoney(cost: Pick<JobCost, 'byCurrency'>): string {
  const paid = cost.byCurrency.filter((line) => !isZero(line.priceMinor))
  return paid.map((line) => minorMoney(line.priceMinor, line.currency)).join(' + ')
}

/** What each kept image cost: "3.26¢ an image" (none a favourite), "13.04¢ a favourite". */
export function perKept(cost: Pick<JobCost, 'byCurrency'>, favourites: number) {
  const paid = cost.byCurrency.filter((line) => !isZero(line.priceMinor) && line.perImageKeptMinor !== null)
  if (paid.length === 0) return null
  const each = paid.map((line) => minorMoney(line.perImageKeptMinor!, line.currency)).join(' + ')
  return `${each} ${favourites > 0 ? 'a favourite' : 'an image'}`
}

/**
 * What a job's credits cost in money, with its images and favourites:
 * "13.04¢ · 4 images, 3.26¢ an image", "13.04¢ · 4 images · 1 favourite, 13.04¢ a favourite", or
 * "paid with free credits · 4 images · 1 favourite".
 */
export function jobMoney(cost: Pick<JobCost, 'byCurrency'>, images: number, favourites: number): string {
  const counted = imagesAndFavourites(images, favourites)
  if (paidWithFreeCredits(cost)) return `paid with free credits · ${counted}`
  const total = costMoney(cost)
  const each = perKept(cost, favourites)
  return each ? `${total} · ${counted}, ${each}` : `${total} · ${counted}`
}

/** The price of `quantity` packs bought at once, after volume tiers, in minor units. */
export function packTotalMinor(
  pack: { priceMinor: number; tiers?: { minQuantity: number; unitPriceMinor: number }[] },
  quantity: number,
): number {
  let unit = pack.priceMinor
  let best = 0
  for (const t of pack.tiers ?? []) {
    if (quantity >= t.minQuantity && t.minQuantity > best) {
      best = t.minQuantity
      unit = t.unitPriceMinor
    }
  }
  return unit * quantity
}

/** A receipt's number as the receipt prints it: "No. 000042". */
export const receiptNumber = (n: number) => `No. ${String(n).padStart(6, '0')}`

/** What a purchase cost, tax named when there was any: "$15.00", "$15.00 + $3.00 tax". */
export function paidWithTax(p: { amountPaidMinor: number; taxMinor: number; currency: string }): string {
  const price = moneyOfMinor(p.amountPaidMinor, p.currency)
  return p.taxMinor > 0 ? `${price} + ${moneyOfMinor(p.taxMinor, p.currency)} tax` : price
}
