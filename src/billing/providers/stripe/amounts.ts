import { minorDigits } from '../../../credits/index.ts'
import { UnchargeableAmount } from '../unchargeable-amount.ts'

// Stripe's rules for amounts (https://docs.stripe.com/currencies), applied here and nowhere else:
// Easel counts money in ISO 4217 minor units (the money module's digits), and Stripe mostly does
// too, but not always.

/** Currencies Stripe takes in whole units (`amount: 500` is ¥500). */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
])

/**
 * Currencies that have no minor unit in use but that Stripe's API still counts in hundredths, for
 * backwards compatibility: `amount: 500` is 5 ISK, and an amount must be divisible by 100.
 */
const WHOLE_UNITS_IN_HUNDREDTHS = new Set(['ISK'])

/** Three-decimal currencies: Stripe takes thousandths, but card partners need the last digit 0. */
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND'])

/** Easel's digits for the currency, Stripe's, and the step Stripe's amounts must be a multiple of. */
function scale(currency: string): { digits: number; stripeDigits: number; step: number } {
  const code = currency.toUpperCase()
  const digits = minorDigits(code)
  if (ZERO_DECIMAL.has(code)) return { digits, stripeDigits: 0, step: 1 }
  if (WHOLE_UNITS_IN_HUNDREDTHS.has(code)) return { digits, stripeDigits: 2, step: 100 }
  if (THREE_DECIMAL.has(code)) return { digits, stripeDigits: 3, step: 10 }
  return { digits, stripeDigits: digits, step: 1 }
}

/** Why an amount cannot be sent to Stripe as it is (the price book's price needs changing). */
export { UnchargeableAmount }

/**
 * Easel's amount (minor units of `currency`) as Stripe's API wants it. Exact or refused: a price
 * Stripe would have to round (a fraction of a króna, KWD not ending in 0) is an
 * {@link UnchargeableAmount}, never silently charged differently from what the book says.
 *
 * @example
 * toStripeAmount(1500, 'USD') // → 1500
 * toStripeAmount(500, 'JPY')  // → 500
 * toStripeAmount(5, 'ISK')    // → 500 (5 króna)
 * toStripeAmount(5125, 'KWD') // throws: Stripe's KWD amounts end in 0
 */
export function toStripeAmount(minor: number, currency: string): number {
  const { digits, stripeDigits, step } = scale(currency)
  const shift = stripeDigits - digits
  const amount = shift >= 0 ? minor * 10 ** shift : minor / 10 ** -shift
  if (!Number.isSafeInteger(amount) || amount % step !== 0) {
    throw new UnchargeableAmount(
      `${minor} minor units of ${currency.toUpperCase()} cannot be charged through Stripe, which takes ${currency.toUpperCase()} ${step === 1 ? 'in whole units' : `in multiples of ${step} of its units`}: change the price book's price`,
    )
  }
  return amount
}

/** Stripe's amount back in Easel's minor units (null when it is not a whole number of them). */
export function fromStripeAmount(amount: number, currency: string): number | null {
  const { digits, stripeDigits } = scale(currency)
  const shift = digits - stripeDigits
  const minor = shift >= 0 ? amount * 10 ** shift : amount / 10 ** -shift
  return Number.isSafeInteger(minor) ? minor : null
}
