import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { allocateByBurnOrder, compareBurnOrder, isLive, spendable } from '../../src/credits/burn-order.ts'
import type { LotView } from '../../src/credits/types.ts'

const NOW = Date.UTC(2026, 0, 15)
const DAY = 86_400_000

function lot(id: string, fields: Partial<LotView> = {}): LotView {
  return {
    id,
    source: 'monthly',
    amount: 10,
    remaining: 10,
    priority: 10,
    grantedAt: NOW - DAY,
    expiresAt: null,
    ...fields,
  }
}

const ids = (lots: readonly LotView[]) => lots.map((l) => l.id)
const sorted = (...lots: LotView[]) => ids([...lots].sort(compareBurnOrder))

describe('compareBurnOrder', () => {
  it('burns the lowest priority number first, whatever the expiry and age', () => {
    const paid = lot('lot_paid', { priority: 50, expiresAt: NOW + DAY, grantedAt: NOW - 9 * DAY })
    const free = lot('lot_free', { priority: 10, expiresAt: NOW + 30 * DAY, grantedAt: NOW })
    expect(sorted(paid, free)).toEqual(['lot_free', 'lot_paid'])
  })

  it('burns free credits before paid ones with the default priorities', () => {
    const lots = [
      lot('lot_purchase', { source: 'purchase', priority: 50, expiresAt: NOW + DAY }),
      lot('lot_promo', { source: 'promotional', priority: 30, expiresAt: NOW + 5 * DAY }),
      lot('lot_bonus', { source: 'bonus', priority: 20, expiresAt: NOW + 9 * DAY }),
      lot('lot_monthly', { source: 'monthly', priority: 10, expiresAt: NOW + 20 * DAY }),
    ]
    expect(sorted(...lots)).toEqual(['lot_monthly', 'lot_bonus', 'lot_promo', 'lot_purchase'])
  })

  it('burns the soonest expiry first within one priority', () => {
    const later = lot('lot_a', { expiresAt: NOW + 2 * DAY, grantedAt: NOW - 5 * DAY })
    const sooner = lot('lot_b', { expiresAt: NOW + DAY, grantedAt: NOW })
    expect(sorted(later, sooner)).toEqual(['lot_b', 'lot_a'])
  })

  it('burns a never-expiring lot after every expiring lot of its priority', () => {
    const never = lot('lot_a', { expiresAt: null, grantedAt: NOW - 100 * DAY })
    const farFuture = lot('lot_b', { expiresAt: Number.MAX_SAFE_INTEGER, grantedAt: NOW })
    expect(sorted(never, farFuture)).toEqual(['lot_b', 'lot_a'])
  })

  it('burns the oldest grant first when priority and expiry tie', () => {
    const newer = lot('lot_a', { expiresAt: NOW + DAY, grantedAt: NOW })
    const older = lot('lot_b', { expiresAt: NOW + DAY, grantedAt: NOW - DAY })
    expect(sorted(newer, older)).toEqual(['lot_b', 'lot_a'])
    const neverNewer = lot('lot_c', { grantedAt: NOW })
    const neverOlder = lot('lot_d', { grantedAt: NOW - DAY })
    expect(sorted(neverNewer, neverOlder)).toEqual(['lot_d', 'lot_c'])
  })

  it('breaks a full tie by id, so the order is total', () => {
    const a = lot('lot_a')
    const b = lot('lot_b')
    expect(compareBurnOrder(a, b)).toBeLessThan(0)
    expect(compareBurnOrder(b, a)).toBeGreaterThan(0)
    expect(compareBurnOrder(a, { ...a })).toBe(0)
  })
})

describe('isLive', () => {
  it('treats a lot without expiry as live forever', () => {
    expect(isLive({ expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe(true)
  })

  it('is live strictly before the expiry and dead from the expiry on', () => {
    expect(isLive({ expiresAt: NOW + 1 }, NOW)).toBe(true)
    expect(isLive({ expiresAt: NOW }, NOW)).toBe(false)
    expect(isLive({ expiresAt: NOW - 1 }, NOW)).toBe(false)
  })
})

describe('spendable', () => {
  it('sums the remaining credits of live lots only', () => {
    const lots = [
      lot('lot_a', { remaining: 3 }),
      lot('lot_b', { remaining: 4, expiresAt: NOW + 1 }),
      lot('lot_c', { remaining: 100, expiresAt: NOW }),
      lot('lot_d', { remaining: 100, expiresAt: NOW - DAY }),
    ]
    expect(spendable(lots, NOW)).toBe(7)
    expect(spendable([], NOW)).toBe(0)
  })
})

describe('allocateByBurnOrder', () => {
  it('takes free credits before paid ones', () => {
    const paid = lot('lot_paid', { priority: 50, remaining: 100 })
    const free = lot('lot_free', { priority: 10, remaining: 1, expiresAt: NOW + DAY })
    expect(allocateByBurnOrder([paid, free], 2, NOW)).toEqual({
      ok: true,
      allocations: [
        ['lot_free', 1, NOW + DAY],
        ['lot_paid', 1, null],
      ],
    })
  })

  it('takes only what is needed and leaves later lots untouched', () => {
    const lots = [
      lot('lot_c', { priority: 30, remaining: 5 }),
      lot('lot_a', { priority: 10, remaining: 2 }),
      lot('lot_b', { priority: 20, remaining: 3 }),
    ]
    expect(allocateByBurnOrder(lots, 5, NOW)).toEqual({
      ok: true,
      allocations: [
        ['lot_a', 2, null],
        ['lot_b', 3, null],
      ],
    })
    expect(allocateByBurnOrder(lots, 1, NOW)).toEqual({ ok: true, allocations: [['lot_a', 1, null]] })
  })

  it('skips expired lots, including one expiring at this very moment', () => {
    const lots = [
      lot('lot_gone', { priority: 0, remaining: 50, expiresAt: NOW - 1 }),
      lot('lot_now', { priority: 1, remaining: 50, expiresAt: NOW }),
      lot('lot_live', { priority: 50, remaining: 5, expiresAt: NOW + 1 }),
    ]
    expect(allocateByBurnOrder(lots, 5, NOW)).toEqual({ ok: true, allocations: [['lot_live', 5, NOW + 1]] })
  })

  it('skips empty lots', () => {
    const lots = [lot('lot_empty', { priority: 0, remaining: 0 }), lot('lot_full', { priority: 50 })]
    expect(allocateByBurnOrder(lots, 1, NOW)).toEqual({ ok: true, allocations: [['lot_full', 1, null]] })
  })

  it('refuses when live credits fall short and reports only the live credits as available', () => {
    const lots = [
      lot('lot_a', { remaining: 3 }),
      lot('lot_b', { remaining: 2, expiresAt: NOW + DAY }),
      lot('lot_expired', { remaining: 100, expiresAt: NOW - 1 }),
    ]
    expect(allocateByBurnOrder(lots, 6, NOW)).toEqual({ ok: false, available: 5 })
    expect(allocateByBurnOrder([], 1, NOW)).toEqual({ ok: false, available: 0 })
  })

  it('does not reorder or change the lots it is given', () => {
    const lots = [lot('lot_b', { priority: 50 }), lot('lot_a', { priority: 10 })]
    const copy = structuredClone(lots)
    allocateByBurnOrder(lots, 15, NOW)
    expect(lots).toEqual(copy)
  })
})

describe('allocateByBurnOrder properties', () => {
  // Small ranges on purpose, so that priorities, expiries and grant times often tie.
  const lotsArb = fc
    .array(
      fc.record({
        priority: fc.constantFrom(10, 20, 50),
        remaining: fc.integer({ min: 0, max: 20 }),
        grantedAt: fc.integer({ min: NOW - 3, max: NOW }),
        expiresAt: fc.option(fc.integer({ min: NOW - 3, max: NOW + 3 }), { nil: null }),
      }),
      { maxLength: 12 },
    )
    .map((rows) =>
      rows.map(
        (r, i): LotView => ({ id: `lot_${String(i).padStart(2, '0')}`, source: 'monthly', amount: 20, ...r }),
      ),
    )

  it('allocates exactly the amount from live lots in burn order, or reports what is spendable', () => {
    fc.assert(
      fc.property(lotsArb, fc.integer({ min: 1, max: 120 }), (lots, amount) => {
        const result = allocateByBurnOrder(lots, amount, NOW)
        const total = spendable(lots, NOW)
        if (!result.ok) {
          expect(result.available).toBe(total)
          expect(total).toBeLessThan(amount)
          return
        }
        expect(total).toBeGreaterThanOrEqual(amount)
        const byId = new Map(lots.map((l) => [l.id, l]))
        const { allocations } = result
        expect(allocations.reduce((s, [, n]) => s + n, 0)).toBe(amount)
        expect(new Set(allocations.map(([id]) => id)).size).toBe(allocations.length)
        for (const [id, n, expiresAt] of allocations) {
          const source = byId.get(id)!
          expect(n).toBeGreaterThan(0)
          expect(n).toBeLessThanOrEqual(source.remaining)
          expect(isLive(source, NOW)).toBe(true)
          expect(expiresAt).toBe(source.expiresAt)
        }
        // Burn order: allocations follow it, every lot but the last is emptied, and no live lot
        // with credits that sorts before the last one taken was skipped.
        const taken = allocations.map(([id]) => byId.get(id)!)
        for (let i = 1; i < taken.length; i++) {
          expect(compareBurnOrder(taken[i - 1]!, taken[i]!)).toBeLessThan(0)
        }
        for (let i = 0; i < allocations.length - 1; i++) {
          expect(allocations[i]![1]).toBe(taken[i]!.remaining)
        }
        const last = taken[taken.length - 1]!
        for (const l of lots) {
          if (l.remaining > 0 && isLive(l, NOW) && compareBurnOrder(l, last) < 0) {
            expect(taken).toContain(l)
          }
        }
      }),
      { numRuns: 500 },
    )
  })
})
