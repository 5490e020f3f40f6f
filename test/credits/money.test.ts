import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Fraction, formatMoney, majorUnits, minorDigits, parseMoney } from '../../src/credits/money.ts'
import { LABS_2022 } from '../../src/credits/pricing/labs-2022.ts'
import { listPricePerCredit, packPrice, perImageKept, quote } from '../../src/credits/pricing/quote.ts'
import { validateBook } from '../../src/credits/pricing/validate.ts'

// USD has two minor digits, JPY none (the yen is its own minor unit), KWD and BHD three.
const usd = (amountMinor: number | Fraction) => ({ amountMinor, currency: 'USD' })
const jpy = (amountMinor: number | Fraction) => ({ amountMinor, currency: 'JPY' })
const kwd = (amountMinor: number | Fraction) => ({ amountMinor, currency: 'KWD' })

describe('minor digits, from Intl', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['BHD', 3],
  ])('%s has %i', (currency, digits) => {
    expect(minorDigits(currency)).toBe(digits)
  })

  it('refuses what is not a currency code', () => {
    expect(() => minorDigits('dollars')).toThrow(RangeError)
  })
})

describe('formatting', () => {
  it.each([
    [usd(1500), '$15.00'],
    [usd(5), '$0.05'],
    [usd(123_456_789), '$1,234,567.89'],
    [usd(-150), '-$1.50'],
    [jpy(1500), '¥1,500'],
    [jpy(0), '¥0'],
    [kwd(1500), 'KWD\u00a01.500'],
    [{ amountMinor: 1500, currency: 'BHD' }, 'BHD\u00a01.500'],
  ])('%o is %s', (money, shown) => {
    expect(formatMoney(money)).toBe(shown)
  })

  it('writes major units in the currency’s own digits for the API and the CLI', () => {
    expect(majorUnits(usd(1500))).toBe('15.00')
    expect(majorUnits(jpy(1500))).toBe('1500')
    expect(majorUnits(kwd(1500))).toBe('1.500')
    expect(majorUnits(usd(-5))).toBe('-0.05')
  })

  it('shows per-credit prices, fractions of a minor unit, with extra digits, rounded half up', () => {
    const perCredit = (m: (f: Fraction) => { amountMinor: number | Fraction; currency: string }) =>
      formatMoney(m(Fraction.of(1500, 115)), { extraDigits: 2 })
    expect(perCredit(usd)).toBe('$0.1304') // 13.043 cents
    expect(perCredit(jpy)).toBe('¥13.04') // 13.043 yen
    expect(perCredit(kwd)).toBe('KWD\u00a00.01304') // 13.043 fils
    expect(majorUnits(usd(Fraction.of(1500, 115)), { extraDigits: 2 })).toBe('0.1304')
    expect(majorUnits(jpy(Fraction.of(1500, 115)), { extraDigits: 2 })).toBe('13.04')
    expect(formatMoney(usd(Fraction.of(1, 2)))).toBe('$0.01') // half a cent rounds up
  })

  it('never goes through a float: exact for amounts past 2^53 and for any fraction', () => {
    expect(formatMoney(usd(Fraction.of(10n ** 20n + 1n)))).toBe('$1,000,000,000,000,000,000.01')
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (minor) => {
        const text = majorUnits(usd(Fraction.of(minor)))
        return text.replace('.', '') === minor.toString().padStart(3, '0')
      }),
    )
  })
})

describe('parsing amounts people type', () => {
  it.each([
    ['15.00', 'USD', 1500],
    ['15', 'USD', 1500],
    ['15.5', 'USD', 1550],
    ['0.05', 'USD', 5],
    ['1500', 'JPY', 1500],
    ['1.5', 'KWD', 1500],
    ['1.500', 'BHD', 1500],
    [' 2 ', 'USD', 200],
  ])('%s %s is %i minor units', (text, currency, amountMinor) => {
    expect(parseMoney(text, currency)).toEqual({ ok: true, value: { amountMinor, currency } })
  })

  it.each([
    ['1.5', 'JPY', /JPY has no minor unit/],
    ['15.001', 'USD', /USD has 2 decimal places/],
    ['1.5000', 'KWD', /KWD has 3 decimal places/],
    ['-1', 'USD', /must be an amount such as 15.00/],
    ['1e3', 'USD', /must be an amount/],
    ['15,00', 'USD', /must be an amount/],
    ['', 'USD', /must be an amount/],
    ['99999999999999999', 'USD', /too large/],
  ])('refuses %s %s', (text, currency, message) => {
    const r = parseMoney(text, currency)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(message)
  })

  it('reads back what it writes, in every currency', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'KWD'),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (currency, amountMinor) => {
          const r = parseMoney(majorUnits({ amountMinor, currency }), currency)
          return r.ok && r.value.amountMinor === amountMinor
        },
      ),
    )
  })
})

describe('exact fractions', () => {
  it.each([
    { n: 1500, d: 115, places: 3, shown: '13.043' },
    { n: 1500, d: 460, places: 2, shown: '3.26' },
    { n: 1500, d: 115, places: 2, shown: '13.04' },
    { n: 1, d: 8, places: 2, shown: '0.13' }, // 0.125 rounds half up
    { n: 1, d: 200, places: 2, shown: '0.01' },
    { n: 1, d: 201, places: 2, shown: '0.00' },
    { n: 7, d: 2, places: 0, shown: '4' },
    { n: 0, d: 3, places: 3, shown: '0.000' },
    { n: -1, d: 8, places: 2, shown: '-0.13' }, // half away from zero
    { n: -1, d: 300, places: 2, shown: '0.00' }, // no "-0.00"
  ])('$n / $d to $places places is $shown', ({ n, d, places, shown }) => {
    expect(Fraction.of(n, d).shown(places)).toBe(shown)
  })

  it('reduces to lowest terms, adds, multiplies and divides exactly', () => {
    expect(Fraction.of(1500, 115)).toEqual(Fraction.of(300, 23))
    expect(Fraction.of(1500, 115).numerator).toBe(300n)
    expect(Fraction.of(300, 23).times(46)).toEqual(Fraction.of(600))
    expect(Fraction.of(1, 3).plus(Fraction.of(1, 6))).toEqual(Fraction.of(1, 2))
    expect(Fraction.of(600).over(4)).toEqual(Fraction.of(150))
    expect(Fraction.of(600).over(0)).toBeNull()
    expect(() => Fraction.of(1, 0)).toThrow(RangeError)
    expect(() => Fraction.of(1.5, 2)).toThrow(RangeError)
  })

  it('reads decimal strings exactly, and is exact in JSON', () => {
    expect(Fraction.parse('13.043')).toEqual(Fraction.of(13043, 1000))
    expect(Fraction.parse('-0.50')).toEqual(Fraction.of(-1, 2))
    expect(Fraction.parse('1e3')).toBeNull()
    expect(JSON.parse(JSON.stringify(Fraction.of(1500, 115)))).toEqual({
      numerator: '300',
      denominator: '23',
      shown: '13.04',
    })
  })
})

describe('per-credit prices in three currencies', () => {
  const book = (currency: string, priceMinor: number) => {
    const checked = validateBook({
      ...LABS_2022,
      version: `labs-${currency.toLowerCase()}`,
      currency,
      packs: [{ id: 'pack-115', credits: 115, priceMinor, tiers: [] }],
    })
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
    return checked.book
  }

  it.each([
    // Same minor-unit figures, three very different amounts of money.
    { currency: 'USD', priceMinor: 1500, pack: '$15.00', perCredit: '$0.1304' },
    { currency: 'JPY', priceMinor: 1500, pack: '¥1,500', perCredit: '¥13.04' },
    { currency: 'KWD', priceMinor: 1500, pack: 'KWD\u00a01.500', perCredit: 'KWD\u00a00.01304' },
  ])(
    'a pack of 115 credits for $pack is $perCredit a credit',
    ({ currency, priceMinor, pack, perCredit }) => {
      const b = book(currency, priceMinor)
      const price = packPrice(b, 'pack-115', 1)
      if (!price.ok) throw new Error(price.error.message)
      expect(formatMoney({ amountMinor: price.value.totalMinor, currency })).toBe(pack)
      expect(price.value.perCredit.minor).toEqual(Fraction.of(300, 23))
      expect(formatMoney({ amountMinor: price.value.perCredit.minor, currency }, { extraDigits: 2 })).toBe(
        perCredit,
      )
      const q = quote(b, 'generate', {})
      if (!q.ok) throw new Error(q.error.message)
      expect(q.value.listPricePerCredit).toMatchObject({ currency, shown: '13.043' })
      expect(perImageKept(listPricePerCredit(b)!, 4)?.shown(2)).toBe('3.26')
    },
  )
})
