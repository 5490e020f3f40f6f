// The one money module: amounts, exact fractions of them, and how they are written and read, for
// the server, the CLI and the studio alike. It imports nothing (only `Intl` and BigInt), so the web
// app bundles this file and none of the ledger behind it.
//
// Money is integer minor units plus an ISO 4217 code; how many digits the minor unit has comes from
// `Intl` (JPY 0, USD 2, KWD 3), never from a division by a hundred. Per-credit prices are fractions
// of a minor unit (1500 / 115 cents), kept exact in BigInt and rounded only when shown.

/** An amount of money: integer minor units (cents for USD, yen for JPY, fils for KWD). */
export interface Money {
  /** Integer minor units. */
  amountMinor: number
  /** ISO 4217 code, upper case. */
  currency: string
}

/** A price that may be a fraction of a minor unit (a credit's share of a pack's price). */
export interface Price {
  amountMinor: number | Fraction
  currency: string
}

const digitsCache = new Map<string, number>()

/**
 * How many digits a currency's minor unit has, from `Intl`.
 *
 * @example
 * minorDigits('USD') // → 2
 * minorDigits('JPY') // → 0
 * minorDigits('KWD') // → 3
 * @throws RangeError when `currency` is not a well-formed ISO 4217 code.
 */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency)
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number
    digitsCache.set(currency, digits)
  }
  return digits
}

/**
 * An exact rational number: numerator over a positive denominator, in lowest terms, in BigInt.
 * Sums of cost bases spread over many lots and per-credit prices stay exact through every sum,
 * product and quotient, and are rounded once, when shown.
 *
 * @example
 * Fraction.of(1500, 115)             // → 300/23 (cents a credit)
 * Fraction.of(1500, 115).shown(3)    // → '13.043'
 * Fraction.of(1500, 115).over(4)?.shown() // → '3.26' (an image, all four kept)
 */
export class Fraction {
  private constructor(
    readonly numerator: bigint,
    readonly denominator: bigint,
  ) {}

  static readonly zero = new Fraction(0n, 1n)

  /** `numerator / denominator` in lowest terms; whole numbers only (safe integers or BigInt). */
  static of(numerator: number | bigint, denominator: number | bigint = 1): Fraction {
    const n = whole(numerator, 'numerator')
    const d = whole(denominator, 'denominator')
    if (d <= 0n) throw new RangeError(`a fraction's denominator must be positive, got ${d}`)
    const g = gcd(n < 0n ? -n : n, d)
    return new Fraction(n / g, d / g)
  }

  /**
   * A decimal string read exactly (what the API sends: `'13.043'`, `'-0.50'`), or null when it is
   * not one. Floats never take part.
   *
   * @example
   * Fraction.parse('13.04') // → 326/25
   */
  static parse(decimal: string): Fraction | null {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal)
    if (!m) return null
    const fractionDigits = m[3] ?? ''
    const n = BigInt(`${m[2]}${fractionDigits}`) * (m[1] === '-' ? -1n : 1n)
    return Fraction.of(n, 10n ** BigInt(fractionDigits.length))
  }

  plus(other: Fraction): Fraction {
    return Fraction.of(
      this.numerator * other.denominator + other.numerator * this.denominator,
      this.denominator * other.denominator,
    )
  }

  /** `this × k`, exactly. */
  times(k: number | bigint): Fraction {
    return Fraction.of(this.numerator * whole(k, 'factor'), this.denominator)
  }

  /** `this / k`, exactly; null when k is 0 (nothing to spread it over: no per-unit price). */
  over(k: number | bigint): Fraction | null {
    const d = whole(k, 'divisor')
    if (d === 0n) return null
    return d < 0n
      ? Fraction.of(-this.numerator, -this.denominator * d)
      : Fraction.of(this.numerator, this.denominator * d)
  }

  isZero(): boolean {
    return this.numerator === 0n
  }

  /**
   * Rounded half away from zero to `decimals` places, as a plain decimal string (no grouping, no
   * symbol): how a fraction of a minor unit is shown.
   *
   * @example
   * Fraction.of(1500, 460).shown(2) // → '3.26'
   * Fraction.of(-1, 2).shown(0)     // → '-1'
   */
  shown(decimals = 2): string {
    if (!Number.isSafeInteger(decimals) || decimals < 0)
      throw new RangeError(`decimals must be ≥ 0, got ${decimals}`)
    const negative = this.numerator < 0n
    const scaled = (negative ? -this.numerator : this.numerator) * 10n ** BigInt(decimals)
    const rounded = (scaled * 2n + this.denominator) / (this.denominator * 2n)
    const digits = rounded.toString().padStart(decimals + 1, '0')
    const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`
    return negative && rounded !== 0n ? `-${text}` : text
  }

  /** Exact in JSON too: numerator and denominator as strings, with `shown` (two places) beside them. */
  toJSON(): { numerator: string; denominator: string; shown: string } {
    return {
      numerator: this.numerator.toString(),
      denominator: this.denominator.toString(),
      shown: this.shown(),
    }
  }

  toString(): string {
    return `${this.numerator}/${this.denominator}`
  }
}

function whole(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a whole number, got ${value}`)
  return BigInt(value)
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a
  let y = b
  while (y !== 0n) [x, y] = [y, x % y]
  return x === 0n ? 1n : x
}

/** The amount in major units, as an exact fraction (1500 USD cents → 15). */
function majorFraction(price: Price): Fraction {
  const minor = typeof price.amountMinor === 'number' ? Fraction.of(price.amountMinor) : price.amountMinor
  return Fraction.of(minor.numerator, minor.denominator * 10n ** BigInt(minorDigits(price.currency)))
}

export interface MoneyFormat {
  /**
   * Places beyond the currency's own, for prices that are fractions of a minor unit: a credit at
   * `extraDigits: 2` is $0.1304, ¥13.04.
   */
  extraDigits?: number
}

/**
 * Money in major units as a plain decimal string, in the currency's own digits (plus
 * `extraDigits`), rounded half away from zero: what the API's `price` fields and the CLI's tables
 * carry.
 *
 * @example
 * majorUnits({ amountMinor: 1500, currency: 'USD' }) // → '15.00'
 * majorUnits({ amountMinor: 1500, currency: 'JPY' }) // → '1500'
 * majorUnits({ amountMinor: 1500, currency: 'KWD' }) // → '1.500'
 * majorUnits({ amountMinor: Fraction.of(1500, 115), currency: 'USD' }, { extraDigits: 2 }) // → '0.1304'
 */
export function majorUnits(price: Price, format: MoneyFormat = {}): string {
  return majorFraction(price).shown(minorDigits(price.currency) + (format.extraDigits ?? 0))
}

const formatters = new Map<string, Intl.NumberFormat>()

/**
 * The one formatter of money for people: `Intl`'s symbol, grouping and the currency's own digits
 * (plus `extraDigits`). The digits are rounded exactly first and handed to `Intl` as a decimal
 * string, which it formats without going through a float.
 *
 * @example
 * formatMoney({ amountMinor: 1500, currency: 'USD' }) // → '$15.00'
 * formatMoney({ amountMinor: 1500, currency: 'JPY' }) // → '¥1,500'
 * formatMoney({ amountMinor: 1500, currency: 'BHD' }) // → 'BHD 1.500' (a no-break space)
 * formatMoney({ amountMinor: Fraction.of(1500, 115), currency: 'USD' }, { extraDigits: 2 }) // → '$0.1304'
 */
export function formatMoney(price: Price, format: MoneyFormat = {}): string {
  const places = minorDigits(price.currency) + (format.extraDigits ?? 0)
  const key = `${price.currency}/${places}`
  let formatter = formatters.get(key)
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: price.currency,
      minimumFractionDigits: places,
      maximumFractionDigits: places,
    })
    formatters.set(key, formatter)
  }
  return formatter.format(majorFraction(price).shown(places) as `${number}`)
}

/**
 * An amount a person typed (`15.00`, `1500`), in the currency's own digits, to integer minor units;
 * more decimal places than the currency has is a refusal, never a rounding.
 *
 * @example
 * parseMoney('15.00', 'USD') // → { ok: true, value: { amountMinor: 1500, currency: 'USD' } }
 * parseMoney('1500', 'JPY')  // → { ok: true, value: { amountMinor: 1500, currency: 'JPY' } }
 * parseMoney('1.5', 'JPY')   // → { ok: false, message: 'must be an amount such as 15 (JPY has no minor unit), got "1.5"' }
 */
export function parseMoney(
  text: string,
  currency: string,
): { ok: true; value: Money } | { ok: false; message: string } {
  const digits = minorDigits(currency)
  const example = majorUnits({ amountMinor: 15 * 10 ** digits, currency })
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim())
  if (!m) return { ok: false, message: `must be an amount such as ${example}, got "${text}"` }
  const fractionDigits = m[2] ?? ''
  if (fractionDigits.length > digits) {
    const why = digits === 0 ? `${currency} has no minor unit` : `${currency} has ${digits} decimal places`
    return { ok: false, message: `must be an amount such as ${example} (${why}), got "${text}"` }
  }
  const minor = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(fractionDigits.padEnd(digits, '0') || '0')
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `is too large, got "${text}"` }
  return { ok: true, value: { amountMinor: Number(minor), currency } }
}

/**
 * How the minor unit is named in text that shows fractions of it: `'USD cents'`, `'JPY'` (the yen
 * is its own minor unit), `'KWD thousandths'`.
 */
export function minorUnitName(currency: string): string {
  const digits = minorDigits(currency)
  if (digits === 0) return currency
  if (digits === 2) return `${currency} cents`
  return digits === 3 ? `${currency} thousandths` : `${currency} minor units`
}
