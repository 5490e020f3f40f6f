import { describe, expect, it } from 'vitest'
import { ReportBody } from '../../src/contracts/index.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { useTestServer } from '../support/server.ts'

describe.each(BACKENDS)('GET /api/admin/report (%s)', (backend) => {
  const t = useTestServer(backend)

  it('shows cash received per currency beside revenue recognised: $45 of packs sold, then one refunded', async () => {
    const { ledger } = t.current.server.services
    const admin = await t.current.user({ role: 'admin' })
    const buyer = await t.current.user()
    const from = Date.now() - 1000
    const references: string[] = []
    for (let i = 0; i < 3; i++) {
      const providerReference = `pi_report_${backend}_${Date.now()}_${i}`
      const bought = await ledger.completePurchase({
        accountId: buyer.user.accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference,
      })
      expect(bought.ok).toBe(true)
      references.push(providerReference)
    }
    const report = async () => {
      const res = await fetch(`${t.current.url}/api/admin/report?from=${from}&to=${Date.now() + 1000}`, {
        headers: { authorization: `Bearer ${admin.apiKey}` },
      })
      expect(res.status).toBe(200)
      return readJson(res, ReportBody)
    }
    const sold = await report()
    expect(sold.cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 4500, refundsMinor: 0, netMinor: 4500 },
    ])
    // Nothing was used yet: no revenue, and the rest of the report is still there.
    // (Revenue is per currency; none was recognised, so there is no line.)
    expect(sold.byCurrency).toEqual([])
    expect(sold.total).toMatchObject({ granted: expect.any(Number) })

    expect((await ledger.refundPurchase({ providerReference: references[0]! })).ok).toBe(true)
    expect((await report()).cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 4500, refundsMinor: 1500, netMinor: 3000 },
    ])
  })
})
