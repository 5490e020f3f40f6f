import { describe, expect, it } from 'vitest'
import { ReportBody } from '../../src/contracts/index.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { useTestServer } from '../support/server.ts'

describe.each(BACKENDS)('GET /api/admin/report (%s)', (backend) => {
  const t = useTestServer(backend, { env: { EASEL_TEST_CHECKOUT: 'on' } })

  it('shows cash received per currency beside revenue recognised: $45 of packs sold, then one refunded', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const buyer = await t.current.user()
    const from = Date.now() - 1000
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${t.current.url}/api/purchases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${buyer.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          packId: 'pack-115',
          card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
        }),
      })
      expect(res.status).toBe(201)
      ids.push(((await res.json()) as { id: string }).id)
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

    const refunded = await fetch(`${t.current.url}/api/admin/purchases/${ids[0]}/refund`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(refunded.status).toBe(202)
    const after = await report()
    expect(after.cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 4500, refundsMinor: 1500, netMinor: 3000 },
    ])
    expect(after.payments).toEqual([
      {
        currency: 'USD',
        receivedMinor: 4500,
        refundedMinor: 1500,
        disputedMinor: 0,
        disputesWonMinor: 0,
        netMinor: 3000,
      },
    ])

    // Credits sold outside Stripe (granted with what was paid for them) are cash too, not payments.
    const granted = await t.current.server.services.ledger.grant({
      accountId: buyer.user.accountId,
      amount: 115,
      source: 'purchase',
      costBasis: { amountMinor: 1500, currency: 'USD' },
    })
    expect(granted.ok).toBe(true)
    const withSale = await report()
    expect(withSale.cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 6000, refundsMinor: 1500, netMinor: 4500 },
    ])
    expect(withSale.payments).toEqual(after.payments)
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  })
})
