import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { Fraction } from '../../src/credits/money.ts'
import { cohortBonus, type PriceBook, type PriceBookInput } from '../../src/credits/pricing/book.ts'
import { LABS_2022, PRO_PLAN_EXAMPLE_URL } from '../../src/credits/pricing/labs-2022.ts'
import { listPricePerCredit, packPrice, perImageKept, quote } from '../../src/credits/pricing/quote.ts'
import { type BookProblem, parseBook, validateBook } from '../../src/credits/pricing/validate.ts'

/** A mutable copy of labs-2022 to derive other books from. */
function labs(): PriceBookInput {
  return structuredClone(LABS_2022) as PriceBookInput
}

function valid(data: unknown): PriceBook {
  const r = validateBook(data)
  if (!r.ok) throw new Error(`expected a valid book, got:\n${JSON.stringify(r.problems, null, 2)}`)
  return r.book
}

function problemsOf(data: unknown): BookProblem[] {
  const r = validateBook(data)
  if (r.ok) throw new Error('expected the book to be refused')
  return r.problems
}

function quoted(book: PriceBook, operation: string, parameters: Record<string, unknown> = {}) {
  const r = quote(book, operation, parameters)
  if (!r.ok) throw new Error(`expected a quote, got ${r.error.message}`)
  return r.value
}

describe('labs-2022 reproduces DESIGN §1', () => {
  it('is a valid book, and validating it changes nothing', () => {
    expect(valid(LABS_2022)).toEqual(LABS_2022)
    expect(Object.isFrozen(LABS_2022.operations.generate!.rules[0])).toBe(true)
  })

  it.each([
    { operation: 'generate', credits: 1, images: 4, perImage: '3.26' },
    { operation: 'edit', credits: 1, images: 3, perImage: '4.35' },
    { operation: 'variation', credits: 1, images: 3, perImage: '4.35' },
  ])(
    '$operation costs $credits credit and returns $images images',
    ({ operation, credits, images, perImage }) => {
      const q = quoted(LABS_2022, operation)
      expect(q).toMatchObject({ bookVersion: 'labs-2022', operation, ruleId: operation, credits, images })
      expect(q.listPricePerCredit).toEqual({
        currency: 'USD',
        minor: Fraction.of(1500, 115),
        shown: '13.043',
      })
      expect(q.listPrice?.shown).toBe('13.04')
      expect(q.pricePerImage?.shown).toBe(perImage)
    },
  )

  it('sells 115 credits for USD 15.00: 1500 / 115 = 13.043 cents a credit, kept exact', () => {
    const perCredit = listPricePerCredit(LABS_2022)!
    expect(perCredit).toEqual(Fraction.of(300, 23))
    expect(perCredit.shown(3)).toBe('13.043')
    const pack = packPrice(LABS_2022, 'pack-115', 1)
    expect(pack).toEqual({
      ok: true,
      value: {
        packId: 'pack-115',
        quantity: 1,
        credits: 115,
        currency: 'USD',
        unitPriceMinor: 1500,
        totalMinor: 1500,
        tier: null,
        perCredit: { currency: 'USD', minor: perCredit, shown: '13.043' },
      },
    })
  })

  it.each([
    { kept: 4, shown: '3.26' },
    { kept: 3, shown: '4.35' },
    { kept: 2, shown: '6.52' },
    { kept: 1, shown: '13.04' },
  ])('a one-credit generation with $kept image(s) kept costs $shown cents an image', ({ kept, shown }) => {
    const cost = listPricePerCredit(LABS_2022)!.times(1)
    expect(perImageKept(cost, kept)!.shown(2)).toBe(shown)
  })

  it('has no per-image price when nothing is kept, and refuses a nonsense count', () => {
    expect(perImageKept(1500, 0)).toBeNull()
    expect(perImageKept(1500, 4)).toEqual(Fraction.of(375))
    expect(() => perImageKept(1500, -1)).toThrow(RangeError)
    expect(() => perImageKept(1500, 1.5)).toThrow(RangeError)
  })

  it('grants 15 free credits a month on the free plan, and beta accounts a 50-credit bonus for a month', () => {
    expect(LABS_2022.allowances).toEqual({
      period: 'monthly-from-signup',
      defaultPlan: 'free',
      plans: { free: { monthlyCredits: 15 } },
    })
    expect(LABS_2022.cohorts.beta?.joinOnSignup).toBe(true)
    expect(cohortBonus(LABS_2022, 'beta')).toEqual({ credits: 50, expiresIn: { months: 1 }, priority: 20 })
    expect(cohortBonus(LABS_2022, 'gamma')).toBeNull()
    expect(cohortBonus(LABS_2022, 'constructor')).toBeNull()
  })

  it('expires purchases after 12 months and burns them after every free source', () => {
    expect(LABS_2022.expiry).toEqual({
      monthly: 'end-of-period',
      bonus: { months: 1 },
      promotional: null,
      purchase: { months: 12 },
    })
    const { monthly, bonus, promotional, purchase } = LABS_2022.priorities
    expect([monthly, bonus, promotional, purchase]).toEqual([10, 20, 30, 50])
  })

  it('lets a cohort override the bonus expiry, including never', () => {
    const book = labs()
    book.cohorts = {
      launch: { bonusCredits: 100, bonusExpiresIn: null },
      spring: { bonusCredits: 10, bonusExpiresIn: { days: 14 } },
    }
    const b = valid(book)
    expect(cohortBonus(b, 'launch')).toEqual({ credits: 100, expiresIn: null, priority: 20 })
    expect(cohortBonus(b, 'spring')?.expiresIn).toEqual({ days: 14 })
    expect(b.cohorts.spring?.joinOnSignup).toBe(false)
  })
})

describe('the paid-plan example book', () => {
  const text = readFileSync(PRO_PLAN_EXAMPLE_URL, 'utf8')

  it('is valid, with a 200-credit pro plan next to the free one, and prices like labs-2022', () => {
    const r = parseBook(text, 'yaml')
    if (!r.ok) throw new Error(JSON.stringify(r.problems))
    expect(r.book.version).toBe('labs-2022-pro')
    expect(r.book.allowances.defaultPlan).toBe('free')
    expect(r.book.allowances.plans).toEqual({
      free: { monthlyCredits: 15 },
      pro: { monthlyCredits: 200, priceMinor: 2000 },
    })
    const { version, effectiveFrom, allowances, ...rest } = r.book
    const { version: _v, effectiveFrom: _e, allowances: _a, ...labsRest } = LABS_2022
    expect(rest).toEqual(labsRest)
  })
})

describe('quote: parameters and rules', () => {
  const edit2 = (() => {
    const book = labs()
    book.version = 'labs-2022-edit2'
    book.operations.edit!.rules = [{ id: 'edit-2', credits: 2 }]
    return valid(book)
  })()

  it('prices an operation the book makes dearer: an edit costing 2', () => {
    const q = quoted(edit2, 'edit')
    expect(q).toMatchObject({ bookVersion: 'labs-2022-edit2', ruleId: 'edit-2', credits: 2, images: 3 })
    expect(q.listPrice?.minor).toEqual(Fraction.of(3000, 115))
    expect(q.listPrice?.shown).toBe('26.09')
    expect(q.pricePerImage?.shown).toBe('8.70')
    expect(quoted(edit2, 'generate').credits).toBe(1)
  })

  const paramBook = (() => {
    const book = labs()
    book.version = 'params-1'
    book.operations.generate = {
      imagesReturned: 4,
      maxImages: 10,
      parameters: {
        size: { values: ['256x256', '512x512', '1024x1024'], default: '512x512' },
        quality: { values: ['standard', 'hd'], default: 'standard' },
        model: {},
      },
      rules: [
        { id: 'gen-large-hd', when: { size: '1024x1024', quality: 'hd' }, credits: 4 },
        { id: 'gen-large', when: { size: '1024x1024' }, credits: 2 },
        { id: 'gen-sdxl', when: { model: ['sdxl', 'sdxl-turbo'] }, credits: 1, imagesPerCredit: 2 },
        { id: 'gen-default', credits: 1, imagesPerCredit: 4 },
      ],
    }
    return valid(book)
  })()

  it.each([
    { params: {}, rule: 'gen-default', credits: 1, images: 4 },
    { params: { n: 1 }, rule: 'gen-default', credits: 1, images: 1 },
    { params: { n: 4 }, rule: 'gen-default', credits: 1, images: 4 },
    { params: { n: 5 }, rule: 'gen-default', credits: 2, images: 5 },
    { params: { n: 10 }, rule: 'gen-default', credits: 3, images: 10 }, // ceil(10 / 4) × 1
    { params: { n: null }, rule: 'gen-default', credits: 1, images: 4 },
    { params: { size: '512x512' }, rule: 'gen-default', credits: 1, images: 4 },
    { params: { size: '1024x1024' }, rule: 'gen-large', credits: 2, images: 4 },
    { params: { size: '1024x1024', n: 10 }, rule: 'gen-large', credits: 6, images: 10 }, // per operation of 4
    { params: { size: '1024x1024', quality: 'hd' }, rule: 'gen-large-hd', credits: 4, images: 4 },
    { params: { quality: 'hd' }, rule: 'gen-default', credits: 1, images: 4 },
    { params: { model: 'sdxl', n: 3 }, rule: 'gen-sdxl', credits: 2, images: 3 }, // ceil(3 / 2) × 1
    { params: { model: 'sdxl-turbo', n: 1 }, rule: 'gen-sdxl', credits: 1, images: 1 },
    { params: { model: 'dall-e-2' }, rule: 'gen-default', credits: 1, images: 4 },
    {
      params: { prompt: 'a cat', user: 'u1', response_format: 'url' },
      rule: 'gen-default',
      credits: 1,
      images: 4,
    },
  ])(
    'generate $params → $rule, $credits credit(s), $images image(s)',
    ({ params, rule, credits, images }) => {
      expect(quoted(paramBook, 'generate', params)).toMatchObject({
        bookVersion: 'params-1',
        ruleId: rule,
        credits,
        images,
      })
    },
  )

  it('charges ceil(n / imagesPerCredit) × credits: n = 10 at 4 images per 2 credits costs 6', () => {
    const book = labs()
    book.operations.generate = {
      imagesReturned: 4,
      maxImages: 10,
      rules: [{ id: 'g', credits: 2, imagesPerCredit: 4 }],
    }
    expect(quoted(valid(book), 'generate', { n: 10 })).toMatchObject({ credits: 6, images: 10 })
  })

  it.each([
    { params: { n: 0 }, field: 'parameters.n', says: 'at least 1' },
    { params: { n: -1 }, field: 'parameters.n', says: 'at least 1' },
    { params: { n: 2.5 }, field: 'parameters.n', says: 'whole number' },
    { params: { n: '4' }, field: 'parameters.n', says: 'whole number' },
    { params: { n: Number.NaN }, field: 'parameters.n', says: 'whole number' },
    { params: { n: 11 }, field: 'parameters.n', says: 'at most 10' },
    { params: { size: '2048x2048' }, field: 'parameters.size', says: 'must be one of "256x256"' },
    { params: { size: 1024 }, field: 'parameters.size', says: 'got 1024' },
    { params: { quality: 'HD' }, field: 'parameters.quality', says: '"standard", "hd"' },
    {
      params: { model: { name: 'sdxl' } },
      field: 'parameters.model',
      says: 'a string, a number or true/false',
    },
  ])('refuses generate $params on $field', ({ params, field, says }) => {
    const r = quote(paramBook, 'generate', params)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toMatchObject({ code: 'VALIDATION', field })
    expect(r.error.message).toContain(`${field}: `)
    expect(r.error.message).toContain(says)
  })

  it('refuses more images than one labs-2022 operation returns (n above imagesReturned, no maxImages)', () => {
    expect(quote(LABS_2022, 'generate', { n: 5 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', field: 'parameters.n' },
    })
    expect(quoted(LABS_2022, 'edit', { n: 1 })).toMatchObject({ credits: 1, images: 1 })
  })

  it.each(['upscale', 'Generate', '', '__proto__', 'constructor', 'toString'])(
    'refuses the unknown operation %j, naming the ones the book has',
    (operation) => {
      const r = quote(LABS_2022, operation)
      expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'operation' } })
      if (!r.ok) expect(r.error.message).toContain('generate, edit, variation')
    },
  )

  it("reads only the caller's own parameters: a parameter named constructor is not Object.prototype's", () => {
    const book = labs()
    book.operations.generate = {
      imagesReturned: 4,
      parameters: { constructor: { values: ['a', 'b'] } },
      rules: [
        { id: 'g-b', when: { constructor: 'b' }, credits: 2 },
        { id: 'g', credits: 1 },
      ],
    }
    const b = valid(book)
    expect(quoted(b, 'generate', {})).toMatchObject({ ruleId: 'g', credits: 1 })
    expect(quoted(b, 'generate', { constructor: 'b' })).toMatchObject({ ruleId: 'g-b', credits: 2 })
  })

  it('has no list price when the book sells no packs', () => {
    const book = labs()
    book.packs = []
    delete book.listPricePack
    const q = quoted(valid(book), 'generate')
    expect(q).toMatchObject({ credits: 1, listPricePerCredit: null, listPrice: null, pricePerImage: null })
  })
})

describe('packPrice: volume tiers', () => {
  const tiered = (() => {
    const book = labs()
    book.packs = [
      {
        id: 'pack-115',
        credits: 115,
        priceMinor: 1500,
        tiers: [
          { minQuantity: 5, unitPriceMinor: 1400 },
          { minQuantity: 10, unitPriceMinor: 1300 },
        ],
      },
      { id: 'pack-1000', credits: 1000, priceMinor: 11_000 },
    ]
    return valid(book)
  })()

  it.each([
    { quantity: 1, unit: 1500, total: 1500, credits: 115, tier: null, perCredit: '13.043' },
    { quantity: 4, unit: 1500, total: 6000, credits: 460, tier: null, perCredit: '13.043' },
    { quantity: 5, unit: 1400, total: 7000, credits: 575, tier: 5, perCredit: '12.174' },
    { quantity: 9, unit: 1400, total: 12_600, credits: 1035, tier: 5, perCredit: '12.174' },
    { quantity: 10, unit: 1300, total: 13_000, credits: 1150, tier: 10, perCredit: '11.304' },
    { quantity: 25, unit: 1300, total: 32_500, credits: 2875, tier: 10, perCredit: '11.304' },
  ])('$quantity pack(s) of 115: $unit each, $total in all, $perCredit cents a credit', (row) => {
    const r = packPrice(tiered, 'pack-115', row.quantity)
    if (!r.ok) throw new Error(r.error.message)
    expect(r.value).toMatchObject({
      quantity: row.quantity,
      unitPriceMinor: row.unit,
      totalMinor: row.total,
      credits: row.credits,
      currency: 'USD',
    })
    expect(r.value.tier?.minQuantity ?? null).toBe(row.tier)
    expect(r.value.perCredit.minor).toEqual(Fraction.of(row.total, row.credits))
    expect(r.value.perCredit.shown).toBe(row.perCredit)
  })

  it('never charges more per credit for buying more at once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), (q) => {
        const a = packPrice(tiered, 'pack-115', q)
        const b = packPrice(tiered, 'pack-115', q + 1)
        if (!a.ok || !b.ok) return false
        return b.value.unitPriceMinor <= a.value.unitPriceMinor
      }),
    )
  })

  it('keeps the list price on the list-price pack, whatever other packs cost', () => {
    expect(listPricePerCredit(tiered)!.shown(3)).toBe('13.043')
    const big = packPrice(tiered, 'pack-1000')
    expect(big.ok && big.value.perCredit.shown).toBe('11.000')
  })

  it.each([
    { packId: 'pack-9', quantity: 1, field: 'packId' },
    { packId: 'pack-115', quantity: 0, field: 'quantity' },
    { packId: 'pack-115', quantity: 1.5, field: 'quantity' },
    { packId: 'pack-115', quantity: Number.MAX_SAFE_INTEGER, field: 'quantity' },
  ])('refuses $packId × $quantity on $field', ({ packId, quantity, field }) => {
    expect(packPrice(tiered, packId, quantity)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', field },
    })
  })
})

describe('validateBook: every problem, with its path', () => {
  type Case = { name: string; mutate: (b: ReturnType<typeof labs>) => void; path: string; says: string }
  const cases: Case[] = [
    {
      name: 'missing catch-all',
      mutate: (b) => {
        b.operations.generate!.rules = [{ id: 'g4', when: { n: 4 }, credits: 1 }]
      },
      path: 'operations.generate.rules[0].when',
      says: 'last rule must be a catch-all',
    },
    {
      name: 'catch-all before the last rule',
      mutate: (b) => {
        b.operations.generate!.rules = [
          { id: 'g', credits: 1 },
          { id: 'g2', credits: 2 },
        ]
      },
      path: 'operations.generate.rules[0].when',
      says: 'never apply',
    },
    {
      name: 'no rules',
      mutate: (b) => {
        b.operations.generate!.rules = []
      },
      path: 'operations.generate.rules',
      says: 'at least one rule',
    },
    {
      name: 'negative credits',
      mutate: (b) => {
        b.operations.edit!.rules[0]!.credits = -1
      },
      path: 'operations.edit.rules[0].credits',
      says: 'at least 1',
    },
    {
      name: 'zero credits',
      mutate: (b) => {
        b.operations.edit!.rules[0]!.credits = 0
      },
      path: 'operations.edit.rules[0].credits',
      says: 'at least 1',
    },
    {
      name: 'fractional credits',
      mutate: (b) => {
        b.operations.edit!.rules[0]!.credits = 1.5
      },
      path: 'operations.edit.rules[0].credits',
      says: 'whole number',
    },
    {
      name: 'credits as text',
      mutate: (b) => {
        ;(b.operations.edit!.rules[0] as { credits: unknown }).credits = '1'
      },
      path: 'operations.edit.rules[0].credits',
      says: 'got "1"',
    },
    {
      name: 'lower-case currency',
      mutate: (b) => {
        b.currency = 'usd'
      },
      path: 'currency',
      says: 'ISO 4217',
    },
    {
      name: 'made-up currency',
      mutate: (b) => {
        b.currency = 'XYZ'
      },
      path: 'currency',
      says: 'ISO 4217',
    },
    {
      name: 'duplicate rule id (across operations)',
      mutate: (b) => {
        b.operations.variation!.rules[0]!.id = 'edit'
      },
      path: 'operations.variation.rules[0].id',
      says: 'already the id of operations.edit.rules[0]',
    },
    {
      name: 'tiers out of order',
      mutate: (b) => {
        b.packs![0]!.tiers = [
          { minQuantity: 10, unitPriceMinor: 1400 },
          { minQuantity: 5, unitPriceMinor: 1400 },
        ]
      },
      path: 'packs[0].tiers[1].minQuantity',
      says: 'greater than the previous tier',
    },
    {
      name: 'a larger tier dearer than a smaller one',
      mutate: (b) => {
        b.packs![0]!.tiers = [
          { minQuantity: 5, unitPriceMinor: 1300 },
          { minQuantity: 10, unitPriceMinor: 1400 },
        ]
      },
      path: 'packs[0].tiers[1].unitPriceMinor',
      says: 'never cost more',
    },
    {
      name: 'a tier dearer than the pack',
      mutate: (b) => {
        b.packs![0]!.tiers = [{ minQuantity: 5, unitPriceMinor: 1600 }]
      },
      path: 'packs[0].tiers[0].unitPriceMinor',
      says: "pack's own priceMinor (1500)",
    },
    {
      name: 'a tier for a single pack',
      mutate: (b) => {
        b.packs![0]!.tiers = [{ minQuantity: 1, unitPriceMinor: 1400 }]
      },
      path: 'packs[0].tiers[0].minQuantity',
      says: 'at least 2',
    },
    {
      name: 'free pack',
      mutate: (b) => {
        b.packs![0]!.priceMinor = 0
      },
      path: 'packs[0].priceMinor',
      says: 'at least 1',
    },
    {
      name: 'duplicate pack id',
      mutate: (b) => {
        b.packs!.push({ id: 'pack-115', credits: 230, priceMinor: 2900 })
      },
      path: 'packs[1].id',
      says: 'already the id',
    },
    {
      name: 'list price from a pack that does not exist',
      mutate: (b) => {
        b.listPricePack = 'pack-9'
      },
      path: 'listPricePack',
      says: 'names no pack',
    },
    {
      name: 'packs with no list-price pack',
      mutate: (b) => {
        delete b.listPricePack
      },
      path: 'listPricePack',
      says: 'required when the book sells packs',
    },
    {
      name: 'missing expiry rule',
      mutate: (b) => {
        delete (b.expiry as Partial<typeof b.expiry>).purchase
      },
      path: 'expiry.purchase',
      says: 'is required',
    },
    {
      name: 'expiry in weeks',
      mutate: (b) => {
        ;(b.expiry as { bonus: unknown }).bonus = { weeks: 4 }
      },
      path: 'expiry.bonus',
      says: '{ months: N } or { days: N }',
    },
    {
      name: 'misspelt field',
      mutate: (b) => {
        ;(b.operations.generate!.rules[0] as Record<string, unknown>).imagesPerCredits = 4
      },
      path: 'operations.generate.rules[0].imagesPerCredits',
      says: 'not a known field',
    },
    {
      name: 'default plan that does not exist',
      mutate: (b) => {
        b.allowances.defaultPlan = 'basic'
      },
      path: 'allowances.defaultPlan',
      says: 'names no plan',
    },
    {
      name: 'negative monthly allowance',
      mutate: (b) => {
        b.allowances.plans.free!.monthlyCredits = -15
      },
      path: 'allowances.plans.free.monthlyCredits',
      says: 'at least 0',
    },
    {
      name: 'condition on an undeclared parameter',
      mutate: (b) => {
        b.operations.generate!.rules.unshift({ id: 'g-large', when: { sise: '1024x1024' }, credits: 2 })
      },
      path: 'operations.generate.rules[0].when.sise',
      says: 'not declared',
    },
    {
      name: 'condition on a value the parameter cannot take',
      mutate: (b) => {
        b.operations.generate!.parameters = { size: { values: ['512x512', '1024x1024'] } }
        b.operations.generate!.rules.unshift({
          id: 'g-large',
          when: { size: ['1024x1024', '2048x2048'] },
          credits: 2,
        })
      },
      path: 'operations.generate.rules[0].when.size',
      says: '"2048x2048" is not among',
    },
    {
      name: 'a default outside the declared values',
      mutate: (b) => {
        b.operations.generate!.parameters = { size: { values: ['512x512'], default: '1024x1024' } }
      },
      path: 'operations.generate.parameters.size.default',
      says: 'must be one of',
    },
    {
      name: 'n declared as a parameter',
      mutate: (b) => {
        b.operations.generate!.parameters = { n: { values: [1, 2, 3, 4] } }
      },
      path: 'operations.generate.parameters.n',
      says: 'built in',
    },
    {
      name: 'maxImages below imagesReturned',
      mutate: (b) => {
        b.operations.generate!.maxImages = 2
      },
      path: 'operations.generate.maxImages',
      says: 'at least imagesReturned (4)',
    },
    {
      name: 'purchases burning before free credits',
      mutate: (b) => {
        b.priorities.purchase = 15
      },
      path: 'priorities.purchase',
      says: 'bonus (20), promotional (30)',
    },
    {
      name: 'effective date without a time',
      mutate: (b) => {
        b.effectiveFrom = '2022-07-20'
      },
      path: 'effectiveFrom',
      says: 'ISO 8601',
    },
    {
      name: 'operation name with capitals',
      mutate: (b) => {
        b.operations.Upscale = { imagesReturned: 1, parameters: {}, rules: [{ id: 'upscale', credits: 1 }] }
      },
      path: 'operations.Upscale',
      says: 'not a valid name',
    },
    {
      name: 'unknown monthly period',
      mutate: (b) => {
        ;(b.allowances as { period: string }).period = 'calendar-month'
      },
      path: 'allowances.period',
      says: '"monthly-from-signup"',
    },
  ]

  it.each(cases)('refuses a book with $name at $path', ({ mutate, path, says }) => {
    const book = labs()
    mutate(book)
    const problems = problemsOf(book)
    const at = problems.filter((p) => p.path === path)
    expect(at, JSON.stringify(problems)).not.toHaveLength(0)
    expect(at.map((p) => p.message).join(' | ')).toContain(says)
  })

  it('takes a book without an effective date: it takes effect when activated', () => {
    const book = labs()
    delete (book as Partial<typeof book>).effectiveFrom
    const r = validateBook(book)
    expect(r.ok && r.book.effectiveFrom).toBeUndefined()
    expect(r.ok).toBe(true)
  })

  it('lists every problem at once, type errors and cross-field ones together', () => {
    const book = labs()
    book.currency = 'usd'
    book.operations.edit!.rules[0]!.credits = -1
    book.operations.variation!.rules = [{ id: 'v3', when: { n: 3 }, credits: 1 }]
    book.packs![0]!.tiers = [
      { minQuantity: 10, unitPriceMinor: 1300 },
      { minQuantity: 5, unitPriceMinor: 1400 },
    ]
    ;(book as Record<string, unknown>).colour = 'blue'
    expect(
      problemsOf(book)
        .map((p) => p.path)
        .sort(),
    ).toEqual([
      'colour',
      'currency',
      'operations.edit.rules[0].credits',
      'operations.variation.rules[0].when',
      'packs[0].tiers[1].minQuantity',
      'packs[0].tiers[1].unitPriceMinor',
    ])
  })

  it.each([null, 'labs-2022', 42, [], {}])('refuses %j as a book without throwing', (data) => {
    const problems = problemsOf(data)
    expect(problems.length).toBeGreaterThan(0)
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      expect(problems).toEqual([{ path: '(book)', message: expect.stringContaining('must be an object') }])
    } else {
      expect(problems.map((p) => p.path)).toContain('version')
      expect(problems.find((p) => p.path === 'version')?.message).toBe('is required')
    }
  })

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const r = validateBook(data)
        return r.ok === false && r.problems.length > 0
      }),
    )
    // Near misses: labs-2022 with one field replaced by anything.
    const paths = [
      ['currency'],
      ['operations', 'generate'],
      ['operations', 'edit', 'rules'],
      ['packs'],
      ['priorities'],
    ]
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.anything(), (path, value) => {
        const book = labs() as unknown as Record<string, unknown>
        let at = book
        for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>
        at[path.at(-1)!] = value
        validateBook(book)
        return true
      }),
    )
  })
})

describe('parseBook: files', () => {
  const labsJson = JSON.stringify(LABS_2022, null, 2)
  const labsYaml = stringify(LABS_2022)

  it('reads the same book from JSON and YAML', () => {
    const fromJson = parseBook(labsJson, 'json')
    const fromYaml = parseBook(labsYaml, 'yaml')
    expect(fromJson).toEqual({ ok: true, book: LABS_2022 })
    expect(fromYaml).toEqual(fromJson)
  })

  it('refuses the same invalid book from JSON and YAML with the same problems, each with its line', () => {
    const book = labs()
    book.currency = 'usd'
    book.operations.edit!.rules = [{ id: 'e', when: { n: 3 }, credits: -2 }]
    const fromJson = parseBook(JSON.stringify(book, null, 2), 'json')
    const fromYaml = parseBook(stringify(book), 'yaml')
    if (fromJson.ok || fromYaml.ok) throw new Error('expected both to be refused')
    const strip = (ps: BookProblem[]) => ps.map(({ path, message }) => ({ path, message }))
    expect(strip(fromYaml.problems)).toEqual(strip(fromJson.problems))
    expect(strip(fromJson.problems)).toEqual([
      { path: 'currency', message: 'must be an ISO 4217 currency code, e.g. USD' },
      { path: 'operations.edit.rules[0].credits', message: 'must be at least 1, got -2' },
      {
        path: 'operations.edit.rules[0].when',
        message: 'the last rule must be a catch-all (no `when`), so that every request has a price',
      },
    ])
    for (const p of [...fromJson.problems, ...fromYaml.problems]) expect(p.line).toBeGreaterThan(0)
  })

  it('points a YAML problem at its line', () => {
    const text = [
      'version: mini',
      'effectiveFrom: 2026-01-01T00:00:00Z',
      'currency: EUR',
      'operations:',
      '  generate:',
      '    imagesReturned: 4',
      '    rules:',
      '      - id: g',
      '        credits: -1',
      'allowances: { period: monthly-from-signup, defaultPlan: free, plans: { free: { monthlyCredits: 15 } } }',
      'expiry: { monthly: end-of-period, bonus: { months: 1 }, promotional: null, purchase: { months: 12 } }',
      'priorities: { monthly: 10, bonus: 20, promotional: 30, refund: 40, purchase: 50, adjustment: 60 }',
    ].join('\n')
    expect(parseBook(text, 'yaml')).toEqual({
      ok: false,
      problems: [
        { path: 'operations.generate.rules[0].credits', message: 'must be at least 1, got -1', line: 9 },
      ],
    })
    const fixed = parseBook(text.replace('credits: -1', 'credits: 1'), 'yaml')
    expect(fixed.ok && quoted(fixed.book, 'generate')).toMatchObject({
      bookVersion: 'mini',
      credits: 1,
      images: 4,
      listPricePerCredit: null,
    })
  })

  it('points a missing field at the object that lacks it', () => {
    const text = stringify({
      ...LABS_2022,
      expiry: { monthly: 'end-of-period', bonus: { months: 1 }, promotional: null },
    })
    const r = parseBook(text, 'yaml')
    expect(r.ok).toBe(false)
    if (r.ok) return
    const line = text.split('\n').findIndex((l) => l.startsWith('expiry:')) + 1
    expect(r.problems).toEqual([{ path: 'expiry.purchase', message: 'is required', line }])
  })

  it.each([
    {
      name: 'YAML syntax error',
      format: 'yaml' as const,
      text: 'version: labs-2022\noperations:\n  generate: [1, 2\ncurrency: USD\n',
    },
    { name: 'YAML bad indentation', format: 'yaml' as const, text: 'version: a\n  currency: USD\n' },
    { name: 'YAML duplicate key', format: 'yaml' as const, text: 'version: a\nversion: b\n' },
    {
      name: 'JSON syntax error',
      format: 'json' as const,
      text: '{\n  "version": "labs-2022",\n  "currency": USD\n}',
    },
    { name: 'JSON trailing comma', format: 'json' as const, text: '{\n  "version": "a",\n}' },
    { name: 'empty JSON', format: 'json' as const, text: '' },
  ])('reports a $name as a problem of the file, with its line', ({ format, text }) => {
    const r = parseBook(text, format)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems.length).toBeGreaterThan(0)
    for (const p of r.problems) {
      expect(p.path).toBe('(file)')
      expect(p.message).toMatch(format === 'yaml' ? /^YAML/ : /^JSON syntax/)
      if (text !== '') expect(p.line).toBeGreaterThanOrEqual(1)
    }
  })

  it('reports the line of a JSON syntax error', () => {
    const r = parseBook('{\n  "version": "labs-2022",\n  "currency": USD\n}', 'json')
    expect(r.ok === false && r.problems[0]?.line).toBe(3)
  })

  it('treats an empty YAML file as an empty book', () => {
    expect(parseBook('', 'yaml')).toMatchObject({ ok: false, problems: [{ path: '(book)' }] })
  })

  it('refuses an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n')
    const r = parseBook(bomb, 'yaml')
    expect(r.ok).toBe(false)
  })

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('json' as const, 'yaml' as const), (text, format) => {
        const r = parseBook(text, format)
        return r.ok === false && r.problems.length > 0
      }),
    )
  })
})
