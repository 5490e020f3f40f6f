import { expect } from 'vitest'
import { LABS_2022, Ledger, staticPricing } from '../../../src/credits/index.ts'
import type { Database } from '../../../src/db/open.ts'
import { ManualClock } from '../../../src/util/clock.ts'
import { unwrap } from '../../support/results.ts'

// Shared by the purchase revocation and reinstatement suites: an account without free grants (so
// every hold takes from the purchase), one pack of 115 credits bought, and verify asserted clean.

export const T0 = Date.UTC(2026, 11, 3, 12)
export const pricing = staticPricing(LABS_2022)
let refs = 0
export const newRef = () => `pi_revoke_${Date.now()}_${++refs}`
let keys = 0
export const newKey = () => `stripe:evt_${Date.now()}_${++keys}`

export async function boughtPack(db: Database) {
  const clock = new ManualClock(T0)
  const ledger = new Ledger(db, { clock, pricing })
  const { accountId } = unwrap(await ledger.createAccount({ holdFreeGrants: true }))
  const ref = newRef()
  const purchase = unwrap(
    await ledger.completePurchase({
      accountId,
      packId: 'pack-115',
      quantity: 1,
      amountPaidMinor: 1500,
      currency: 'USD',
      providerReference: ref,
    }),
  )
  expect(purchase.credits).toBe(115)
  const revoke = (upTo: number, key = newKey()) =>
    ledger.revokePurchase({ providerReference: ref, upTo, key, reason: 'partial refund' })
  const reinstate = (credits: number, key = newKey()) =>
    ledger.reinstatePurchase({ providerReference: ref, credits, key, reason: 'dispute won' })
  const balance = async () => unwrap(await ledger.balance(accountId))
  const kinds = async () =>
    unwrap(await ledger.history(accountId, { limit: 100 }))
      .entries.map((e) => e.kind)
      .reverse()
  const expectClean = async () => expect((await ledger.verify()).violations).toEqual([])
  return { clock, ledger, accountId, ref, purchase, revoke, reinstate, balance, kinds, expectClean }
}
