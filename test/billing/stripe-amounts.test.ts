import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  fromStripeAmount,
  toStripeAmount,
  UnchargeableAmount,
} from '../../src/billing/providers/stripe/amounts.ts'

// Stripe's currency rules (https://docs.stripe.com/currencies: zero-decimal currencies, ISK counted
// in hundredths, three-decimal currencies ending in 0), applied by the provider to Easel's ISO
// minor units on the way out and back.

describe("Stripe's amounts", () => {
  it('sends two-decimal and zero-decimal currencies as they are', () => {
    expect(toStripeAmount(1500, 'USD')).toBe(1500)
    expect(toStripeAmount(1500, 'usd')).toBe(1500)
    expect(toStripeAmount(2000, 'JPY')).toBe(2000)
    expect(toStripeAmount(15000, 'KRW')).toBe(15000)
    // HUF and TWD are two-decimal in charges (zero-decimal only for payouts).
    expect(toStripeAmount(450000, 'HUF')).toBe(450000)
    expect(fromStripeAmount(2000, 'JPY')).toBe(2000)
  })

  it('counts ISK in hundredths, whole krónur only', () => {
    expect(toStripeAmount(2100, 'ISK')).toBe(210_000)
    expect(fromStripeAmount(210_000, 'ISK')).toBe(2100)
    // A fraction of a króna is no amount of Easel's: it grants nothing.
    expect(fromStripeAmount(210_050, 'ISK')).toBeNull()
  })

  it('takes three-decimal currencies only in multiples of ten, refusing rather than rounding', () => {
    expect(toStripeAmount(5120, 'KWD')).toBe(5120)
    expect(() => toStripeAmount(5125, 'KWD')).toThrow(UnchargeableAmount)
    expect(() => toStripeAmount(5125, 'KWD')).toThrow(/KWD .*multiples of 10.*price book/)
    expect(fromStripeAmount(5130, 'BHD')).toBe(5130)
  })

  it('brings back exactly what it sent, for every currency and amount it accepts', () => {
    const currencies = [
      'USD',
      'EUR',
      'GBP',
      'JPY',
      'KRW',
      'CLP',
      'UGX',
      'ISK',
      'HUF',
      'TWD',
      'KWD',
      'BHD',
      'XOF',
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.integer({ min: 0, max: 10_000_000 }),
        (currency, minor) => {
          let sent: number
          try {
            sent = toStripeAmount(minor, currency)
          } catch (error) {
            expect(error).toBeInstanceOf(UnchargeableAmount)
            return
          }
          expect(fromStripeAmount(sent, currency)).toBe(minor)
        },
      ),
      { numRuns: 2000, seed: 20261203 },
    )
  })
})
