import { describe, expect, it } from 'vitest'
import { Fraction, LABS_2022, Ledger, staticPricing, summarizeMovements } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 25, 12)

describe('report maths (pure)', () => {
  it('spreads each lot’s cost over its credits, exactly, and shows it rounded', () => {
    const r = summarizeMovements([
      {
        source: 'purchase',
        lotAmount: 115,
        costBasisMinor: 1500,
        currency: 'USD',
        bucket: 'issued',
        credits: -115,
      },
      {
        source: 'purchase',
        lotAmount: 115,
        costBasisMinor: 1500,
        currency: 'USD',
        bucket: 'consumed',
        credits: 4,
      },
      {
        source: 'monthly',
        lotAmount: 15,
        costBasisMinor: 0,
        currency: 'USD',
        bucket: 'consumed',
        credits: 15,
      },
      {
        source: 'purchase',
        lotAmount: 115,
        costBasisMinor: 1500,
        currency: 'USD',
        bucket: 'expired',
        credits: 10,
      },
      { source: 'bonus', lotAmount: 50, costBasisMinor: 0, currency: 'USD', bucket: 'expired', credits: 50 },
    ])
    expect(r.bySource.purchase).toEqual({ granted: 115, consumed: 4, expired: 10, refunded: 0 })
    expect(r.total).toEqual({ granted: 115, consumed: 19, expired: 60, refunded: 0 })
    expect(r.byCurrency).toHaveLength(1)
    const usd = r.byCurrency[0]!
    expect(usd.currency).toBe('USD')
    expect(usd.revenueRecognised.shown()).toBe('52.17') // 4 × 1500 / 115
    expect(usd.breakage.shown()).toBe('130.43') // 10 paid credits expired; free ones are no breakage
    expect(usd.effectivePricePerCredit?.shown(3)).toBe('2.746') // 6000/115 cents over 19 credits
  })

  it('never adds cost bases across currencies: one line per currency of the lots', () => {
    const r = summarizeMovements([
      {
        source: 'purchase',
        lotAmount: 115,
        costBasisMinor: 1500,
        currency: 'USD',
        bucket: 'consumed',
        credits: 1,
      },
      {
        source: 'purchase',
        lotAmount: 100,
        costBasisMinor: 1500,
        currency: 'JPY',
        bucket: 'consumed',
        credits: 10,
      },
      {
        source: 'purchase',
        lotAmount: 100,
        costBasisMinor: 1500,
        currency: 'JPY',
        bucket: 'expired',
        credits: 90,
      },
      {
        source: 'promotional',
        lotAmount: 5,
        costBasisMinor: 0,
        currency: null,
        bucket: 'consumed',
        credits: 5,
      },
    ])
    expect(r.total.consumed).toBe(16)
    expect(r.byCurrency.map((l) => [l.currency, l.revenueRecognised.shown(), l.breakage.shown()])).toEqual([
      ['JPY', '150.00', '1350.00'],
      ['USD', '13.04', '0.00'],
    ])
    expect(r.byCurrency[0]!.effectivePricePerCredit).toEqual(Fraction.of(15))
    expect(() =>
      summarizeMovements([
        {
          source: 'purchase',
          lotAmount: 1,
          costBasisMinor: 1,
          currency: null,
          bucket: 'consumed',
          credits: 1,
        },
      ]),
    ).toThrow(/no currency/)
  })

  it('keeps sums of many fractions exact', () => {
    let sum = Fraction.zero
    for (let i = 0; i < 115; i++) sum = sum.plus(Fraction.of(1500, 115))
    expect(sum.shown()).toBe('1500.00')
  })
})

describe.each(BACKENDS)('reports on %s', (backend) => {
  const suite = useTestDatabase(backend)

  it('per account over a period: granted, consumed, expired, refunded by source, revenue, breakage and prices', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_report_${accountId}`,
      }),
    )
    // 15 free credits and 4 bought ones spent (free ones first).
    const job = unwrap(await ledger.hold({ accountId, amount: 19 }))
    unwrap(await ledger.capture({ holdId: job.holdId }))
    clock.advance(31 * DAY) // into the next period: its allowance is owed, and granted by a spend
    unwrap(await ledger.balance(accountId))
    await ledger.expireDue()
    // A balance read and the sweep granted nothing: the report counts only what was written.
    const owedOnly = unwrap(await ledger.report({ accountId, from: T0, to: T0 + 40 * DAY }))
    expect(owedOnly.bySource.monthly).toMatchObject({ granted: 15, consumed: 15 })
    unwrap(await ledger.release({ holdId: unwrap(await ledger.hold({ accountId, amount: 1 })).holdId }))

    const report = unwrap(await ledger.report({ accountId, from: T0, to: T0 + 40 * DAY }))
    expect(report.bySource).toMatchObject({
      monthly: { granted: 30, consumed: 15, expired: 0 },
      purchase: { granted: 115, consumed: 4, expired: 0, refunded: 0 },
    })
    expect(report.byCurrency.map((l) => l.currency)).toEqual(['USD'])
    expect(report.byCurrency[0]!.revenueRecognised.shown()).toBe('52.17')
    expect(report.byCurrency[0]!.effectivePricePerCredit?.shown(3)).toBe('2.746')
    expect(report).toMatchObject({ listPricePerCredit: '13.043', currency: 'USD' })

    // The installation's report includes this account's figures.
    const all = unwrap(await ledger.report({ from: T0, to: T0 + 40 * DAY }))
    expect(all.total.consumed).toBeGreaterThanOrEqual(19)
  })

  it('per job: credits charged and money cost, per image returned and per image kept', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_job_${accountId}`,
      }),
    )
    const free = unwrap(await ledger.hold({ accountId, amount: 15 }))
    unwrap(await ledger.capture({ holdId: free.holdId }))
    const paid = unwrap(await ledger.hold({ accountId, amount: 1 }))
    unwrap(await ledger.capture({ holdId: paid.holdId }))

    const all = unwrap(await ledger.chargeReport(paid.holdId, { returned: 4, kept: 4 }))
    expect(all).toMatchObject({ credits: 1, imagesReturned: 4, imagesKept: 4 })
    expect(all.byCurrency.map((l) => [l.currency, l.credits])).toEqual([['USD', 1]])
    expect(all.byCurrency[0]!.cost.shown(3)).toBe('13.043')
    expect(all.byCurrency[0]!.perImageKept?.shown()).toBe('3.26')
    const one = unwrap(await ledger.chargeReport(paid.holdId, { returned: 4, kept: 1 }))
    expect(one.byCurrency[0]!.perImageKept?.shown()).toBe('13.04')
    const none = unwrap(await ledger.chargeReport(paid.holdId, { returned: 4, kept: 0 }))
    expect(none.byCurrency[0]!.perImageKept).toBeNull()
    // Free credits cost nothing; refunded ones are no longer charged.
    unwrap(await ledger.refund({ holdId: free.holdId, amount: 5 }))
    const freeCharge = unwrap(await ledger.chargeReport(free.holdId, { returned: 4, kept: 4 }))
    expect(freeCharge).toMatchObject({ credits: 10 })
    expect(freeCharge.byCurrency.every((l) => l.cost.isZero())).toBe(true)
    // The bulk read answers the same, by hold id, and leaves unknown holds out.
    const bulk = unwrap(
      await ledger.chargeReports([
        { holdId: paid.holdId, images: { returned: 4, kept: 1 } },
        { holdId: free.holdId, images: { returned: 4, kept: 4 } },
        { holdId: 'hold_00000000000000000000000000', images: { returned: 1, kept: 1 } },
      ]),
    )
    expect([...bulk.keys()].sort()).toEqual([free.holdId, paid.holdId].sort())
    expect(bulk.get(paid.holdId)).toEqual(one)
    expect(bulk.get(free.holdId)).toEqual(freeCharge)
    expect(refusal(await ledger.chargeReport(paid.holdId, { returned: 4, kept: 5 }))).toMatchObject({
      code: 'VALIDATION',
    })
    expect(
      refusal(await ledger.chargeReports([{ holdId: paid.holdId, images: { returned: 4, kept: 5 } }])),
    ).toMatchObject({ code: 'VALIDATION', field: 'imagesKept' })
    const tooMany = Array.from({ length: 501 }, () => ({
      holdId: paid.holdId,
      images: { returned: 1, kept: 1 },
    }))
    expect(refusal(await ledger.chargeReports(tooMany))).toMatchObject({
      code: 'VALIDATION',
      field: 'charges',
    })
  })

  it('per job across currencies: one cost line per currency the credits were bought in, never a sum', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    const grant = (amount: number, amountMinor: number, currency: string, priority: number) =>
      ledger.grant({ accountId, amount, source: 'purchase', priority, costBasis: { amountMinor, currency } })
    unwrap(await grant(100, 1000, 'USD', 50)) // 10 cents a credit, spent first
    unwrap(await grant(100, 1500, 'JPY', 51)) // 15 yen a credit
    unwrap(await ledger.grant({ accountId, amount: 5, source: 'promotional', priority: 49 })) // free, USD 0
    const job = unwrap(await ledger.hold({ accountId, amount: 115 }))
    unwrap(await ledger.capture({ holdId: job.holdId }))

    const charge = unwrap(await ledger.chargeReport(job.holdId, { returned: 2, kept: 1 }))
    expect(charge.credits).toBe(115)
    expect(
      charge.byCurrency.map((l) => [l.currency, l.credits, l.cost.shown(0), l.perImageReturned?.shown(0)]),
    ).toEqual([
      ['JPY', 10, '150', '75'],
      ['USD', 105, '1000', '500'],
    ])
  })
})
