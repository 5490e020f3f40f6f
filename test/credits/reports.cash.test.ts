import { describe, expect, it } from 'vitest'
import { LABS_2022, Ledger, LedgerInvariantError, staticPricing } from '../../src/credits/index.ts'
import { summarizeCash } from '../../src/credits/reports.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)
const DAY = 86_400_000

describe('summarizeCash (pure)', () => {
  it('sums purchases and refunds per currency, never across currencies, sorted by currency', () => {
    expect(
      summarizeCash([
        { currency: 'USD', kind: 'purchase', amountMinor: 3000 },
        { currency: 'EUR', kind: 'purchase', amountMinor: 900 },
        { currency: 'USD', kind: 'purchase', amountMinor: 1500 },
        { currency: 'USD', kind: 'refund', amountMinor: 1500 },
      ]),
    ).toEqual([
      { currency: 'EUR', purchasesMinor: 900, refundsMinor: 0, netMinor: 900 },
      { currency: 'USD', purchasesMinor: 4500, refundsMinor: 1500, netMinor: 3000 },
    ])
  })

  it('goes below zero when a period refunds more than it sells, and is empty without movements', () => {
    expect(summarizeCash([{ currency: 'USD', kind: 'refund', amountMinor: 1500 }])).toEqual([
      { currency: 'USD', purchasesMinor: 0, refundsMinor: 1500, netMinor: -1500 },
    ])
    expect(summarizeCash([])).toEqual([])
  })

  it('treats an amount that is not a whole, non-negative number as a bug', () => {
    for (const amountMinor of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => summarizeCash([{ currency: 'USD', kind: 'purchase', amountMinor }])).toThrow(
        LedgerInvariantError,
      )
    }
  })
})

describe.each(BACKENDS)('cash received in the ledger report, on %s', (backend) => {
  const suite = useTestDatabase(backend)
  let refs = 0

  it('shows $45 of packs sold as $45 received while revenue is still $0, then nets a refund', async () => {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    const other = unwrap(await ledger.createAccount({})).accountId
    const buy = async (account: string) => {
      const providerReference = `pi_cash_${backend}_${++refs}`
      unwrap(
        await ledger.completePurchase({
          accountId: account,
          packId: 'pack-115',
          quantity: 1,
          amountPaidMinor: 1500,
          currency: 'USD',
          providerReference,
        }),
      )
      return providerReference
    }
    const before = await buy(accountId) // before the period: neither sold nor refunded in it
    clock.advance(DAY)
    const from = clock.now()
    const first = await buy(accountId)
    await buy(accountId)
    await buy(other)
    // An offline sale in another currency, recorded as the README says (a grant with a cost).
    unwrap(
      await ledger.grant({
        accountId: other,
        amount: 100,
        source: 'purchase',
        costBasis: { amountMinor: 900, currency: 'EUR' },
      }),
    )
    // Free credits are not cash.
    unwrap(await ledger.grant({ accountId, amount: 10, source: 'promotional' }))
    clock.advance(DAY)
    const to = clock.now()

    const sold = unwrap(await ledger.report({ from, to }))
    // Nothing was used: no revenue in any currency.
    expect(sold.byCurrency.every((l) => l.revenueRecognised.isZero())).toBe(true)
    expect(sold.cashReceived).toEqual([
      { currency: 'EUR', purchasesMinor: 900, refundsMinor: 0, netMinor: 900 },
      { currency: 'USD', purchasesMinor: 4500, refundsMinor: 0, netMinor: 4500 },
    ])
    expect(unwrap(await ledger.report({ from, to, accountId })).cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 3000, refundsMinor: 0, netMinor: 3000 },
    ])

    // Refunds count in the period they happen, whenever the purchase was.
    unwrap(await ledger.refundPurchase({ providerReference: first }))
    unwrap(await ledger.refundPurchase({ providerReference: before }))
    clock.advance(DAY)
    const refunds = unwrap(await ledger.report({ from: to, to: clock.now() }))
    expect(refunds.cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 0, refundsMinor: 3000, netMinor: -3000 },
    ])
    const whole = unwrap(await ledger.report({ from: T0, to: clock.now() }))
    expect(whole.cashReceived).toEqual([
      { currency: 'EUR', purchasesMinor: 900, refundsMinor: 0, netMinor: 900 },
      { currency: 'USD', purchasesMinor: 6000, refundsMinor: 3000, netMinor: 3000 },
    ])
    expect((await ledger.verify()).ok).toBe(true)
  })
})
