import { type CreditError, ok, type Result, validation } from '../errors.ts'
import { Fraction } from '../money.ts'
import type { Pack, PackTier, ParameterValue, PriceBook, PriceRule } from './book.ts'

/** A price that may be a fraction of a minor unit, with the figure to show for it. */
export interface UnitPrice {
  currency: string
  /** Exact, in minor units (cents for USD, yen for JPY): per-credit prices are fractions of one. */
  minor: Fraction
  /** `minor` rounded half up for display, still in minor units: `'13.043'`. */
  shown: string
}

/**
 * Decimals shown, in minor units. DESIGN §1's derived figures fix them: a credit is 13.043 cents
 * (three places, since a credit is the unit people multiply), an image 3.26 or 13.04 (two).
 */
export const CREDIT_PRICE_DECIMALS = 3
export const IMAGE_PRICE_DECIMALS = 2

export interface Quote {
  bookVersion: string
  operation: string
  /** The rule that priced it: recorded on the charge with `bookVersion`. */
  ruleId: string
  credits: number
  /** Images the operation returns (`n`). */
  images: number
  /** Null when the book sells no packs: credits then have no list price. */
  listPricePerCredit: UnitPrice | null
  /** `credits` at the list price per credit. */
  listPrice: UnitPrice | null
  /** The list price divided over the images returned: what an image costs when all are kept. */
  pricePerImage: UnitPrice | null
}

type QuoteError = Extract<CreditError, { code: 'VALIDATION' }>

/**
 * Prices one operation with a book: the first rule whose conditions match the parameters wins.
 * A flat rule charges `credits` per operation (up to `imagesReturned` images each); a rule with
 * `imagesPerCredit` charges `ceil(n / imagesPerCredit) × credits`. Parameters the book does not
 * declare (prompt, user, response_format…) do not affect the price and are ignored.
 *
 * Refusals are `VALIDATION` errors naming the field (`operation`, `parameters.n`,
 * `parameters.size`), so the API renders them like any other bad request.
 *
 * @example
 * quote(LABS_2022, 'generate', {})
 * // → { ok: true, value: { bookVersion: 'labs-2022', ruleId: 'generate', credits: 1, images: 4,
 * //      listPricePerCredit: { currency: 'USD', minor: 300/23, shown: '13.043' }, … } }
 */
export function quote(
  book: PriceBook,
  operation: string,
  parameters: Readonly<Record<string, unknown>> = {},
): Result<Quote, QuoteError> {
  const op = Object.hasOwn(book.operations, operation) ? book.operations[operation] : undefined
  if (!op) {
    const known = Object.keys(book.operations).join(', ')
    return refuse('operation', `"${operation}" is not an operation of price book ${book.version} (${known})`)
  }
  const maxImages = op.maxImages ?? op.imagesReturned
  const given = (name: string): unknown => (Object.hasOwn(parameters, name) ? parameters[name] : undefined)
  const rawN = given('n') ?? op.imagesReturned
  if (typeof rawN !== 'number' || !Number.isSafeInteger(rawN) || rawN < 1) {
    return refuse('parameters.n', `must be a whole number of images of at least 1, got ${show(rawN)}`)
  }
  if (rawN > maxImages) return refuse('parameters.n', `must be at most ${maxImages}, got ${rawN}`)
  const n = rawN

  // A Map, not an object: a parameter named `constructor` must not find Object.prototype's.
  const values = new Map<string, ParameterValue>([['n', n]])
  for (const [name, spec] of Object.entries(op.parameters)) {
    const value = given(name) ?? spec.default
    if (value === undefined) continue
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return refuse(`parameters.${name}`, `must be a string, a number or true/false, got ${show(value)}`)
    }
    // A value outside a declared list is refused rather than priced by the catch-all: an unknown
    // size is a bad request, not a cheap one.
    if (spec.values && !spec.values.includes(value)) {
      return refuse(
        `parameters.${name}`,
        `must be one of ${spec.values.map(show).join(', ')}, got ${show(value)}`,
      )
    }
    values.set(name, value)
  }

  const rule = op.rules.find((r) => matches(r, values))
  // validateBook guarantees a final catch-all; a book that reached here without one is a bug.
  if (!rule) throw new Error(`price book ${book.version}: operations.${operation} has no catch-all rule`)
  // The schema's caps (n ≤ 100, credits ≤ 10^4) keep this well inside a safe integer.
  const credits = Math.ceil(n / (rule.imagesPerCredit ?? op.imagesReturned)) * rule.credits

  const perCredit = listPricePerCredit(book)
  const total = perCredit === null ? null : perCredit.times(credits)
  return ok({
    bookVersion: book.version,
    operation,
    ruleId: rule.id,
    credits,
    images: n,
    listPricePerCredit: perCredit && unitPrice(book.currency, perCredit, CREDIT_PRICE_DECIMALS),
    // An operation's price is shown like an image's: cents to two places (13.04).
    listPrice: total && unitPrice(book.currency, total, IMAGE_PRICE_DECIMALS),
    pricePerImage: total && unitPrice(book.currency, perImageKept(total, n)!, IMAGE_PRICE_DECIMALS),
  })
}

function matches(rule: PriceRule, values: ReadonlyMap<string, ParameterValue>): boolean {
  for (const [name, want] of Object.entries(rule.when ?? {})) {
    const have = values.get(name)
    // A parameter left out with no default matches no condition on it: only the catch-all.
    if (have === undefined) return false
    if (Array.isArray(want) ? !want.includes(have) : want !== have) return false
  }
  return true
}

/**
 * The list price of one credit: the list-price pack's single-pack price over its credits.
 *
 * @example
 * listPricePerCredit(LABS_2022) // → 300/23 (1500 / 115 cents)
 * @returns null when the book sells no packs.
 */
export function listPricePerCredit(book: PriceBook): Fraction | null {
  const pack = book.packs.find((p) => p.id === book.listPricePack)
  return pack ? Fraction.of(pack.priceMinor, pack.credits) : null
}

export interface PackPrice {
  packId: string
  quantity: number
  /** Credits bought in all: the pack's credits × quantity. */
  credits: number
  currency: string
  /** What each pack costs at this quantity (the tier's price, or the pack's own). */
  unitPriceMinor: number
  /** What the purchase costs in all, minor units: the lot's cost basis. */
  totalMinor: number
  /** The volume tier applied, or null for the pack's own price. */
  tier: PackTier | null
  perCredit: UnitPrice
}

/**
 * Prices `quantity` packs bought at once: the tier with the largest `minQuantity` not above
 * `quantity` sets each pack's price.
 *
 * @example
 * packPrice(LABS_2022, 'pack-115', 1)
 * // → { ok: true, value: { credits: 115, totalMinor: 1500, perCredit: { shown: '13.043', … }, … } }
 */
export function packPrice(book: PriceBook, packId: string, quantity = 1): Result<PackPrice, QuoteError> {
  const pack: Pack | undefined = book.packs.find((p) => p.id === packId)
  if (!pack) {
    const known = book.packs.map((p) => p.id).join(', ') || 'none'
    return refuse('packId', `"${packId}" is not a pack of price book ${book.version} (${known})`)
  }
  if (!Number.isSafeInteger(quantity) || quantity < 1) {
    return refuse('quantity', `must be a whole number of packs of at least 1, got ${show(quantity)}`)
  }
  let tier: PackTier | null = null
  for (const t of pack.tiers) if (quantity >= t.minQuantity) tier = t
  const unitPriceMinor = tier?.unitPriceMinor ?? pack.priceMinor
  const totalMinor = unitPriceMinor * quantity
  const credits = pack.credits * quantity
  if (!Number.isSafeInteger(totalMinor) || !Number.isSafeInteger(credits)) {
    return refuse('quantity', `${quantity} packs is more than can be priced exactly`)
  }
  return ok({
    packId,
    quantity,
    credits,
    currency: book.currency,
    unitPriceMinor,
    totalMinor,
    tier,
    perCredit: unitPrice(book.currency, Fraction.of(totalMinor, credits), CREDIT_PRICE_DECIMALS),
  })
}

/**
 * What each kept image cost: the operation's cost spread over the images kept, not over those
 * returned, because what people value is the images they keep.
 *
 * @example
 * const cost = listPricePerCredit(LABS_2022)!         // one credit: 1500/115 cents
 * perImageKept(cost, 4)!.shown(2) // → '3.26'
 * perImageKept(cost, 1)!.shown(2) // → '13.04'
 * @returns null when nothing was kept (there is no per-image price).
 */
export function perImageKept(cost: Fraction | number, imagesKept: number): Fraction | null {
  if (!Number.isSafeInteger(imagesKept) || imagesKept < 0) {
    throw new RangeError(`imagesKept must be a whole number, got ${imagesKept}`)
  }
  const c = typeof cost === 'number' ? Fraction.of(cost) : cost
  return c.over(imagesKept)
}

function unitPrice(currency: string, minor: Fraction, decimals: number): UnitPrice {
  return { currency, minor, shown: minor.shown(decimals) }
}

function refuse(field: string, message: string): { ok: false; error: QuoteError } {
  return validation(field, message) as { ok: false; error: QuoteError }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
