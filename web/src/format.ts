import type { Lot } from './types.ts'

// How the studio writes numbers, money and dates. Money arrives from the API as decimal strings
// (exact; rounded by the server); the studio only moves the decimal point, never uses floats.

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

/** Moves the decimal point of a decimal string: shiftDecimal("13.04", -2) = "0.1304". */
export function shiftDecimal(value: string, places: number): string {
  const negative = value.startsWith('-')
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.')
  let digits = whole + fraction
  let point = whole.length + places
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits
    point = 1
  }
  if (point > digits.length) digits = digits.padEnd(point, '0')
  let intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '')
  const fracPart = digits.slice(point).replace(/0+$/, '')
  if (intPart === '') intPart = '0'
  return `${negative ? '-' : ''}${intPart}${fracPart ? `.${fracPart}` : ''}`
}

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', CAD: 'CA$', AUD: 'A$' }

/** A price in major units ("15.00", "USD") as "$15.00". */
export function money(major: string, currency: string): string {
  const negative = major.startsWith('-')
  const [whole = '0', fraction = ''] = (negative ? major.slice(1) : major).split('.')
  const text = `${whole}.${fraction.padEnd(2, '0')}`
  const symbol = SYMBOLS[currency]
  // "−$1.50", not "$-1.50" (a refund larger than the purchases of a period).
  return `${negative ? '−' : ''}${symbol ? `${symbol}${text}` : `${text} ${currency}`}`
}

/** A price in minor units, as a decimal string, written the way people say small prices. */
export function minorMoney(minor: string, currency: string): string {
  const negative = minor.startsWith('-')
  const whole = (negative ? minor.slice(1) : minor).split('.')[0] ?? '0'
  if (currency === 'USD' && whole.length <= 2) return `${minor}¢`
  const major = shiftDecimal(minor, -2)
  const [w = '0', f = ''] = major.split('.')
  return money(`${w}.${f.padEnd(2, '0')}`, currency)
}

/** A sum in minor units, as a decimal string, in major units rounded to the cent: "1304.35" → "$13.04". */
export function minorTotal(minor: string, currency: string): string {
  const negative = minor.startsWith('-')
  const [whole = '0', fraction = ''] = (negative ? minor.slice(1) : minor).split('.')
  // Round half up to whole minor units, then write them as major units.
  const cents = BigInt(whole || '0') + (fraction && Number(fraction[0]) >= 5 ? 1n : 0n)
  return `${negative && cents > 0n ? '-' : ''}${moneyOfMinor(Number(cents), currency)}`
}

/** A price in integer minor units as "$15.00". */
export const moneyOfMinor = (minor: number, currency: string) =>
  money(shiftDecimal(String(minor), -2), currency)

export const sizeLabel = (px: number) => `${px}×${px}`

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

/** What each kept image cost: "3.26¢ an image" (none a favourite), "13.04¢ a favourite". */
export function perKept(cost: { currency: string; perImageKeptMinor: string | null }, favourites: number) {
  if (cost.perImageKeptMinor === null) return null
  return `${minorMoney(cost.perImageKeptMinor, cost.currency)} ${favourites > 0 ? 'a favourite' : 'an image'}`
}

/**
 * What a job's credits cost in money, with its images and favourites:
 * "13.04¢ · 4 images, 3.26¢ an image", "13.04¢ · 4 images · 1 favourite, 13.04¢ a favourite", or
 * "paid with free credits · 4 images · 1 favourite".
 */
export function jobMoney(
  cost: { currency: string; priceMinor: string; perImageKeptMinor: string | null },
  images: number,
  favourites: number,
): string {
  const counted = imagesAndFavourites(images, favourites)
  if (isZero(cost.priceMinor)) return `paid with free credits · ${counted}`
  const total = minorMoney(cost.priceMinor, cost.currency)
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
