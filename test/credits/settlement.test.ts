import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LedgerInvariantError } from '../../src/credits/errors.ts'
import { type LotAmounts, splitCapture, splitRefund } from '../../src/credits/settlement.ts'
import type { Allocation } from '../../src/credits/types.ts'

const EXP = Date.UTC(2026, 1, 1)

/** Free credits first (they burn first), then paid ones: the order a hold's allocations come in. */
const ALLOCATIONS: Allocation[] = [
  ['lot_free', 2, EXP],
  ['lot_bonus', 3, EXP],
  ['lot_paid', 5, null],
]

type Entries = readonly (readonly [lotId: string, amount: number, expiresAt: number | null])[]

/** Credits per lot, summed over any number of splits. */
function perLot(...parts: Entries[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of parts) for (const [lotId, n] of part) out[lotId] = (out[lotId] ?? 0) + n
  return out
}

const total = (entries: Entries) => entries.reduce((s, [, n]) => s + n, 0)

describe('splitCapture', () => {
  it('consumes everything and returns nothing on a full capture', () => {
    expect(splitCapture(ALLOCATIONS, 10)).toEqual({ consumed: ALLOCATIONS, returned: [] })
  })

  it('consumes in burn order and returns the credits that would have burned last', () => {
    expect(splitCapture(ALLOCATIONS, 4)).toEqual({
      consumed: [
        ['lot_free', 2, EXP],
        ['lot_bonus', 2, EXP],
      ],
      returned: [
        ['lot_bonus', 1, EXP],
        ['lot_paid', 5, null],
      ],
    })
  })

  it('splits one lot between consumed and returned when the capture ends inside it', () => {
    expect(
      splitCapture(
        [
          ['lot_a', 1, null],
          ['lot_b', 2, null],
        ],
        2,
      ),
    ).toEqual({
      consumed: [
        ['lot_a', 1, null],
        ['lot_b', 1, null],
      ],
      returned: [['lot_b', 1, null]],
    })
  })

  it('returns everything when nothing is captured', () => {
    expect(splitCapture(ALLOCATIONS, 0)).toEqual({ consumed: [], returned: ALLOCATIONS })
  })
})

describe('splitRefund', () => {
  it('gives a full refund of a full capture back to every lot, last consumed first', () => {
    expect(splitRefund(ALLOCATIONS, 10, 0, 10)).toEqual([
      ['lot_paid', 5, null],
      ['lot_bonus', 3, EXP],
      ['lot_free', 2, EXP],
    ])
  })

  it('undoes consumption last-in first-out: paid credits come back before free ones', () => {
    expect(splitRefund(ALLOCATIONS, 10, 0, 6)).toEqual([
      ['lot_paid', 5, null],
      ['lot_bonus', 1, EXP],
    ])
  })

  it('refunds only credits a partial capture consumed, not those it returned', () => {
    // A capture of 4 consumed free 2 + bonus 2; paid credits were never consumed.
    expect(splitRefund(ALLOCATIONS, 4, 0, 4)).toEqual([
      ['lot_bonus', 2, EXP],
      ['lot_free', 2, EXP],
    ])
  })

  it('skips credits refunded before', () => {
    expect(splitRefund(ALLOCATIONS, 10, 5, 2)).toEqual([['lot_bonus', 2, EXP]])
    expect(splitRefund(ALLOCATIONS, 10, 6, 4)).toEqual([
      ['lot_bonus', 2, EXP],
      ['lot_free', 2, EXP],
    ])
  })

  it('adds partial refunds up to one full refund', () => {
    const first = splitRefund(ALLOCATIONS, 10, 0, 1)
    const second = splitRefund(ALLOCATIONS, 10, 1, 6)
    const third = splitRefund(ALLOCATIONS, 10, 7, 3)
    expect(perLot(first, second, third)).toEqual(perLot(splitRefund(ALLOCATIONS, 10, 0, 10)))
    expect(perLot(first, second, third)).toEqual({ lot_free: 2, lot_bonus: 3, lot_paid: 5 })
  })

  it('refuses, as a bug, to give back more than was consumed and not yet refunded', () => {
    // The refund operation refuses such a request first (REFUND_EXCEEDS_CAPTURE); reaching here is a bug.
    expect(() => splitRefund(ALLOCATIONS, 4, 0, 100)).toThrow(LedgerInvariantError)
    expect(() => splitRefund(ALLOCATIONS, 10, 10, 1)).toThrow(LedgerInvariantError)
    expect(total(splitRefund(ALLOCATIONS, 10, 9, 1))).toBe(1)
  })
})

describe('settlement properties', () => {
  const allocationsArb = fc
    .array(
      fc.record({
        amount: fc.integer({ min: 1, max: 10 }),
        expiresAt: fc.option(fc.integer({ min: EXP - 10, max: EXP + 10 }), { nil: null }),
      }),
      { minLength: 1, maxLength: 8 },
    )
    .map((rows) => rows.map((r, i): Allocation => [`lot_${i}`, r.amount, r.expiresAt]))

  const holdArb = allocationsArb.chain((allocations) =>
    fc.record({
      allocations: fc.constant(allocations),
      capture: fc.integer({ min: 0, max: total(allocations) }),
    }),
  )

  it('consumed plus returned equals the allocations, lot by lot, keeping each lot expiry', () => {
    fc.assert(
      fc.property(holdArb, ({ allocations, capture }) => {
        const { consumed, returned } = splitCapture(allocations, capture)
        expect(perLot(consumed, returned)).toEqual(perLot(allocations))
        expect(total(consumed)).toBe(capture)
        for (const [lotId, n, expiresAt] of [...consumed, ...returned]) {
          expect(n).toBeGreaterThan(0)
          expect(expiresAt).toBe(allocations.find(([id]) => id === lotId)![2])
        }
        // Consumption follows the allocation (burn) order: at most one lot is split, and every lot
        // consumed before it was consumed whole.
        const order = allocations.map(([id]) => id)
        const consumedIdx = consumed.map(([id]) => order.indexOf(id))
        const returnedIdx = returned.map(([id]) => order.indexOf(id))
        if (consumedIdx.length > 0 && returnedIdx.length > 0) {
          expect(Math.max(...consumedIdx)).toBeLessThanOrEqual(Math.min(...returnedIdx))
        }
      }),
      { numRuns: 500 },
    )
  })

  it('any sequence of partial refunds adds up to one refund of the same total', () => {
    const refundsArb = holdArb
      .filter(({ capture }) => capture > 0)
      .chain(({ allocations, capture }) =>
        fc.record({
          allocations: fc.constant(allocations),
          capture: fc.constant(capture),
          parts: fc.array(fc.integer({ min: 1, max: capture }), { minLength: 1, maxLength: 6 }),
        }),
      )
    fc.assert(
      fc.property(refundsArb, ({ allocations, capture, parts }) => {
        const refunds: LotAmounts[] = []
        let refunded = 0
        for (const part of parts) {
          const n = Math.min(part, capture - refunded)
          if (n === 0) break
          const entries = splitRefund(allocations, capture, refunded, n)
          expect(total(entries)).toBe(n)
          refunds.push(entries)
          refunded += n
        }
        expect(perLot(...refunds)).toEqual(perLot(splitRefund(allocations, capture, 0, refunded)))
        // No lot ever gets back more than the capture consumed from it.
        const consumed = perLot(splitCapture(allocations, capture).consumed)
        for (const [lotId, n] of Object.entries(perLot(...refunds))) {
          expect(n).toBeLessThanOrEqual(consumed[lotId] ?? 0)
        }
      }),
      { numRuns: 500 },
    )
  })
})
