import { describe, expect, it } from 'vitest'
import {
  addMonthsClamped,
  LABS_2022,
  Ledger,
  perImageKept,
  quote,
  staticPricing,
} from '../../src/credits/index.ts'
import { listPricePerCredit } from '../../src/credits/pricing/quote.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

// DESIGN.md §1, figure by figure, through the same code the service runs.
const T0 = Date.UTC(2026, 10, 25, 9, 30)
const PERIOD_END = Date.UTC(2026, 11, 25, 9, 30)

describe('labs-2022 reference figures (pricing)', () => {
  const perCredit = listPricePerCredit(LABS_2022)!
  it.each([
    ['115 credits for USD 15.00 → list price per credit (cents)', perCredit.shown(3), '13.043'],
    [
      'a generation of 4 images at 1 credit, all 4 kept → per image (cents)',
      perImageKept(perCredit, 4)!.shown(2),
      '3.26',
    ],
    [
      'the same generation, 1 favourite kept → per image (cents)',
      perImageKept(perCredit, 1)!.shown(2),
      '13.04',
    ],
  ])('%s: %s', (_, actual, expected) => {
    expect(actual).toBe(expected)
  })

  it.each([
    ['generate', 1, 4],
    ['edit', 1, 3],
    ['variation', 1, 3],
  ])('%s costs %i credit and returns %i images', (operation, credits, images) => {
    expect(unwrap(quote(LABS_2022, operation, {}))).toMatchObject({ credits, images })
  })
})

describe.each(BACKENDS)('labs-2022 reference figures (ledger, %s)', (backend) => {
  const suite = useTestDatabase(backend)
  const setup = async (cohorts: string[] = []) => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    const { accountId } = unwrap(await ledger.createAccount({ cohorts }))
    return { clock, ledger, accountId }
  }

  it('every account gets 15 monthly credits that expire at the end of the period', async () => {
    const { ledger, accountId } = await setup()
    // Owed (and available) from the start; the first spend grants them.
    expect(unwrap(await ledger.balance(accountId)).owed).toEqual([
      expect.objectContaining({ source: 'monthly', amount: 15, expiresAt: PERIOD_END }),
    ])
    unwrap(await ledger.hold({ accountId, amount: 1 }))
    expect(unwrap(await ledger.balance(accountId)).lots).toEqual([
      expect.objectContaining({ source: 'monthly', remaining: 14, held: 1, expiresAt: PERIOD_END }),
    ])
  })

  it('a beta account holds 65 in its first period', async () => {
    const { ledger, accountId } = await setup(['beta'])
    expect(unwrap(await ledger.balance(accountId)).available).toBe(65)
  })

  it('monthly credits burn before the bonus, the bonus before purchased credits', async () => {
    const { ledger, accountId } = await setup(['beta'])
    const bought = unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_ref_${accountId}`,
      }),
    )
    const hold = unwrap(await ledger.hold({ accountId, amount: 66 }))
    // The hold granted the allowance and the bonus; its lots show with what they hold.
    const sources = new Map(unwrap(await ledger.balance(accountId)).lots.map((l) => [l.id, l.source]))
    expect(hold.allocations.map((a) => [sources.get(a.lotId), a.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
      ['purchase', 1],
    ])
    expect(bought.lotId).toBe(hold.allocations[2]?.lotId)
  })

  it('an unused monthly allowance is gone after its period (no rollover)', async () => {
    const { clock, ledger, accountId } = await setup()
    // Spent and given back: the period's 15 are granted, and left unused.
    unwrap(await ledger.release({ holdId: unwrap(await ledger.hold({ accountId, amount: 1 })).holdId }))
    clock.set(PERIOD_END)
    const next = unwrap(await ledger.balance(accountId))
    expect(next.available).toBe(15) // the new period's 15, not 30
    expect(next.lots).toEqual([])
    expect(next.owed?.map((l) => l.expiresAt)).toEqual([addMonthsClamped(PERIOD_END, 1)])
  })

  it('a purchased lot lives for 12 months', async () => {
    const { clock, ledger, accountId } = await setup()
    const p = unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_12m_${accountId}`,
      }),
    )
    expect(p.expiresAt).toBe(Date.UTC(2027, 10, 25, 9, 30))
    clock.set(p.expiresAt! - 1)
    expect(unwrap(await ledger.balance(accountId)).lots.some((l) => l.id === p.lotId)).toBe(true)
    clock.set(p.expiresAt!)
    expect(unwrap(await ledger.balance(accountId)).lots.some((l) => l.id === p.lotId)).toBe(false)
  })
})
