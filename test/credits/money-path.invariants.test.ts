import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { allocateByBurnOrder } from '../../src/credits/burn-order.ts'
import { LedgerInvariantError } from '../../src/credits/errors.ts'
import { holdAllocations, parseAllocations } from '../../src/credits/ops/sweep.ts'
import { summarizeCharge } from '../../src/credits/reports.ts'
import { toSafeInteger } from '../../src/credits/safe-integer.ts'
import { splitCapture, splitRefund } from '../../src/credits/settlement.ts'
import type { LotView } from '../../src/credits/types.ts'

const NOW = Date.UTC(2026, 0, 15)

const lot = (id: string, remaining: number, fields: Partial<LotView> = {}): LotView => ({
  id,
  source: 'purchase',
  amount: Math.max(remaining, 1),
  remaining,
  priority: 50,
  grantedAt: NOW - 1,
  expiresAt: null,
  ...fields,
})

describe('toSafeInteger: SQL sums and counts from either driver, checked', () => {
  it.each([
    [42, 42],
    ['42', 42], // pg: sum(bigint) is numeric, sent as text
    ['-7', -7],
    [42n, 42],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('accepts %s', (value, expected) => {
    expect(toSafeInteger(value, 'a sum')).toBe(expected)
  })

  it.each([
    ['a fraction', 1.5],
    ['a fraction as text', '1.5'],
    ['an exponent', '1e3'],
    ['text past 2^53', '9007199254740993'],
    ['a bigint past 2^53', 2n ** 53n + 1n],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['empty text', ''],
    ['a boolean', true],
  ])('refuses %s as a broken invariant, naming it', (_, value) => {
    expect(() => toSafeInteger(value, 'the credits of lot_x')).toThrow(LedgerInvariantError)
    expect(() => toSafeInteger(value, 'the credits of lot_x')).toThrow(/the credits of lot_x/)
  })
})

describe('parseAllocations: a hold’s allocations JSON is checked, never cast', () => {
  it('reads well-formed allocations', () => {
    expect(parseAllocations('[["lot_a",2,null],["lot_b",1,1700000000000]]', 'hold_1')).toEqual([
      ['lot_a', 2, null],
      ['lot_b', 1, 1_700_000_000_000],
    ])
  })

  it.each([
    ['not JSON', '[["lot_a",2,null]'],
    ['an object', '{"lot_a":2}'],
    ['empty', '[]'],
    ['a pair without the expiry', '[["lot_a",2]]'],
    ['an amount as text', '[["lot_a","2",null]]'],
    ['a zero amount', '[["lot_a",0,null]]'],
    ['a negative amount', '[["lot_a",-1,null]]'],
    ['a fractional amount', '[["lot_a",0.5,null]]'],
    ['an empty lot id', '[["",1,null]]'],
    ['an expiry as text', '[["lot_a",1,"2026-01-01"]]'],
  ])('throws LedgerInvariantError on %s, naming the hold', (_, json) => {
    expect(() => parseAllocations(json, 'hold_corrupt')).toThrow(LedgerInvariantError)
    expect(() => parseAllocations(json, 'hold_corrupt')).toThrow(/hold_corrupt/)
  })

  it('holdAllocations also needs them to add up to the hold', () => {
    const allocations = '[["lot_a",2,null],["lot_b",1,null]]'
    expect(holdAllocations({ id: 'hold_1', amount: 3, allocations })).toHaveLength(2)
    expect(() => holdAllocations({ id: 'hold_1', amount: 4, allocations })).toThrow(LedgerInvariantError)
  })
})

describe('allocateByBurnOrder asserts what it is given and what it gives', () => {
  it.each([
    ['a fractional amount', [lot('lot_a', 5)], 1.5],
    ['a negative amount', [lot('lot_a', 5)], -1],
    ['a lot with negative credits', [lot('lot_a', -2)], 1],
    ['a lot with fractional credits', [lot('lot_a', 2.5)], 1],
  ])('refuses %s as a bug', (_, lots, amount) => {
    expect(() => allocateByBurnOrder(lots, amount, NOW)).toThrow(LedgerInvariantError)
  })

  it('refuses the same lot given twice rather than allocate it twice', () => {
    expect(() => allocateByBurnOrder([lot('lot_a', 2), lot('lot_a', 2)], 3, NOW)).toThrow(
      LedgerInvariantError,
    )
  })

  it('allocates nothing for nothing', () => {
    expect(allocateByBurnOrder([lot('lot_a', 2)], 0, NOW)).toEqual({ ok: true, allocations: [] })
  })
})

describe('settlement conserves credits', () => {
  const held = [['lot_a', 2, null] as const, ['lot_b', 3, null] as const]

  it.each([
    ['more than was held', 6],
    ['a negative capture', -1],
    ['a fractional capture', 1.5],
  ])('splitCapture refuses %s', (_, capture) => {
    expect(() => splitCapture(held, capture)).toThrow(LedgerInvariantError)
  })

  it('splitCapture refuses allocations of no credits', () => {
    expect(() => splitCapture([['lot_a', 0, null]], 0)).toThrow(LedgerInvariantError)
  })

  it('capture and refunds add up: consumed + returned = held, refunds never past the capture', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        (amounts, c, r) => {
          const allocations = amounts.map((n, i) => [`lot_${i}`, n, null] as const)
          const total = amounts.reduce((s, n) => s + n, 0)
          const captured = c % (total + 1)
          const refunded = r % (captured + 1)
          const { consumed, returned } = splitCapture(allocations, captured)
          const sum = (e: ReadonlyArray<readonly [string, number, unknown]>) =>
            e.reduce((s, [, n]) => s + n, 0)
          expect(sum(consumed) + sum(returned)).toBe(total)
          expect(sum(splitRefund(allocations, captured, 0, refunded))).toBe(refunded)
          expect(() => splitRefund(allocations, captured, refunded, captured - refunded + 1)).toThrow(
            LedgerInvariantError,
          )
        },
      ),
    )
  })
})

describe('summarizeCharge asserts the hold and its lots agree', () => {
  const lots = new Map([
    ['lot_usd', { amount: 10, costBasisMinor: 100, currency: 'USD' }],
    ['lot_free', { amount: 5, costBasisMinor: 0, currency: null }],
  ])
  const hold = {
    id: 'hold_1',
    amount: 4,
    allocations: '[["lot_free",1,null],["lot_usd",3,null]]',
    captured: 4,
    refunded: 1,
  }

  it('charges net of refunds, a line per currency, credits of currency-less lots counted only in credits', () => {
    const charge = summarizeCharge(hold, lots, { returned: 2, kept: 1 })
    expect(charge.credits).toBe(3)
    expect(charge.byCurrency.map((l) => [l.currency, l.credits, l.cost.shown(0)])).toEqual([['USD', 2, '20']])
  })

  it('throws on a charged lot that does not exist, or a cost basis without a currency', () => {
    expect(() => summarizeCharge(hold, new Map(), { returned: 1, kept: 1 })).toThrow(LedgerInvariantError)
    const costly = new Map([...lots, ['lot_free', { amount: 5, costBasisMinor: 50, currency: null }]])
    expect(() => summarizeCharge(hold, costly, { returned: 1, kept: 1 })).toThrow(LedgerInvariantError)
  })
})
