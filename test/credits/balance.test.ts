import { describe, expect, it } from 'vitest'
import { type PendingHoldView, projectBalance } from '../../src/credits/balance.ts'
import type { LotView } from '../../src/credits/types.ts'

const NOW = Date.UTC(2026, 0, 15)
const MIN = 60_000
const DAY = 86_400_000
const ACCT = 'acct_test'

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

function hold(id: string, allocations: Array<[string, number]>, fields: Partial<PendingHoldView> = {}) {
  return {
    id,
    amount: allocations.reduce((s, [, n]) => s + n, 0),
    expiresAt: NOW + 15 * MIN,
    reference: null,
    allocations: allocations.map(([lotId, n]) => [lotId, n, null] as const),
    ...fields,
  } satisfies PendingHoldView
}

describe('projectBalance', () => {
  it('counts live lots as available and pending holds as held', () => {
    const balance = projectBalance(
      ACCT,
      [lot('lot_a', { remaining: 7 })],
      [hold('hold_1', [['lot_a', 3]], { reference: 'job_1' })],
      NOW,
    )
    expect(balance).toEqual({
      accountId: ACCT,
      at: NOW,
      available: 7,
      held: 3,
      lots: [{ ...lot('lot_a', { remaining: 7 }), held: 3 }],
      holds: [{ id: 'hold_1', amount: 3, expiresAt: NOW + 15 * MIN, reference: 'job_1' }],
    })
  })

  it('counts a hold past its TTL as released, back in its lots', () => {
    const lots = [lot('lot_a', { remaining: 7 }), lot('lot_b', { priority: 50, remaining: 0 })]
    const overdue = hold(
      'hold_1',
      [
        ['lot_a', 3],
        ['lot_b', 10],
      ],
      { expiresAt: NOW - 1 },
    )
    const balance = projectBalance(ACCT, lots, [overdue], NOW)
    expect(balance.available).toBe(20)
    expect(balance.held).toBe(0)
    expect(balance.holds).toEqual([])
    expect(balance.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([
      ['lot_a', 10, 0],
      ['lot_b', 10, 0],
    ])
  })

  it('counts a hold as released at the very moment its TTL ends', () => {
    const balance = projectBalance(
      ACCT,
      [lot('lot_a', { remaining: 7 })],
      [hold('hold_1', [['lot_a', 3]], { expiresAt: NOW })],
      NOW,
    )
    expect([balance.available, balance.held]).toEqual([10, 0])
  })

  it('counts credits of expired lots as gone, from the moment of expiry', () => {
    const lots = [
      lot('lot_live', { remaining: 4, expiresAt: NOW + 1 }),
      lot('lot_now', { remaining: 5, expiresAt: NOW }),
      lot('lot_old', { remaining: 6, expiresAt: NOW - DAY }),
    ]
    const balance = projectBalance(ACCT, lots, [], NOW)
    expect(balance.available).toBe(4)
    expect(balance.lots.map((l) => l.id)).toEqual(['lot_live'])
  })

  it('counts credits an overdue hold returns to an expired lot as gone', () => {
    const lots = [lot('lot_a', { remaining: 0, expiresAt: NOW - 1 }), lot('lot_b', { remaining: 1 })]
    const overdue = hold('hold_1', [['lot_a', 10]], { expiresAt: NOW - 1 })
    const balance = projectBalance(ACCT, lots, [overdue], NOW)
    expect(balance.available).toBe(1)
    expect(balance.held).toBe(0)
    expect(balance.lots.map((l) => l.id)).toEqual(['lot_b'])
  })

  it('keeps showing an expired lot that a live hold still holds credits of, with nothing remaining', () => {
    const lots = [lot('lot_a', { remaining: 2, expiresAt: NOW - 1 })]
    const balance = projectBalance(ACCT, lots, [hold('hold_1', [['lot_a', 8]])], NOW)
    expect(balance.available).toBe(0)
    expect(balance.held).toBe(8)
    expect(balance.lots).toEqual([{ ...lots[0], remaining: 0, held: 8 }])
  })

  it('shows what each lot has reserved, summed over holds', () => {
    const lots = [lot('lot_a', { remaining: 1 }), lot('lot_b', { priority: 50, amount: 200, remaining: 20 })]
    const holds = [
      hold('hold_1', [
        ['lot_a', 4],
        ['lot_b', 1],
      ]),
      hold('hold_2', [
        ['lot_a', 5],
        ['lot_b', 2],
      ]),
      hold('hold_3', [['lot_b', 100]], { expiresAt: NOW - 1 }),
    ]
    const balance = projectBalance(ACCT, lots, holds, NOW)
    expect(balance.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([
      ['lot_a', 1, 9],
      ['lot_b', 120, 3],
    ])
    expect(balance.held).toBe(12)
    expect(balance.available).toBe(121)
  })

  it('shows a lot whose credits are all held, and hides lots with nothing left or held', () => {
    const lots = [lot('lot_held', { remaining: 0 }), lot('lot_spent', { remaining: 0 })]
    const balance = projectBalance(ACCT, lots, [hold('hold_1', [['lot_held', 10]])], NOW)
    expect(balance.lots.map((l) => [l.id, l.remaining, l.held])).toEqual([['lot_held', 0, 10]])
  })

  it('lists lots in burn order and pending holds soonest expiry first', () => {
    const lots = [
      lot('lot_paid', { source: 'purchase', priority: 50, expiresAt: NOW + DAY }),
      lot('lot_forever', { priority: 10 }),
      lot('lot_soon', { priority: 10, expiresAt: NOW + DAY }),
      lot('lot_soon_older', { priority: 10, expiresAt: NOW + DAY, grantedAt: NOW - 2 * DAY }),
      lot('lot_bonus', { source: 'bonus', priority: 20, expiresAt: NOW + 2 * DAY }),
    ]
    const holds = [
      hold('hold_late', [['lot_paid', 1]], { expiresAt: NOW + 30 * MIN }),
      hold('hold_early', [['lot_paid', 1]], { expiresAt: NOW + MIN }),
      hold('hold_mid', [['lot_paid', 1]], { expiresAt: NOW + 10 * MIN }),
    ]
    const balance = projectBalance(ACCT, lots, holds, NOW)
    expect(balance.lots.map((l) => l.id)).toEqual([
      'lot_soon_older',
      'lot_soon',
      'lot_forever',
      'lot_bonus',
      'lot_paid',
    ])
    expect(balance.holds.map((h) => h.id)).toEqual(['hold_early', 'hold_mid', 'hold_late'])
  })

  it('ignores allocations to lots it was not given', () => {
    const balance = projectBalance(
      ACCT,
      [lot('lot_a', { remaining: 1 })],
      [hold('hold_1', [['lot_missing', 2]], { expiresAt: NOW - 1 })],
      NOW,
    )
    expect(balance.available).toBe(1)
  })

  it('is pure: it leaves its inputs as they were and gives the same answer twice', () => {
    const lots = [lot('lot_a', { remaining: 7 })]
    const holds = [hold('hold_1', [['lot_a', 3]], { expiresAt: NOW - 1 }), hold('hold_2', [['lot_a', 1]])]
    const copies = structuredClone({ lots, holds })
    const first = projectBalance(ACCT, lots, holds, NOW)
    expect({ lots, holds }).toEqual(copies)
    expect(projectBalance(ACCT, lots, holds, NOW)).toEqual(first)
  })
})
