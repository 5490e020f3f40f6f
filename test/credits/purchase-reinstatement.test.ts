import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { addMonthsClamped, type ReinstatePurchaseRequest } from '../../src/credits/index.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'
import { boughtPack, newKey, T0 } from './support/revocation.ts'

describe.each(BACKENDS)('reinstating a purchase on %s', (backend) => {
  const suite = useTestDatabase(backend)
  const setup = () => boughtPack(suite.db)

  it('gives back what a dispute took, to the same lot with the same expiry, on the record', async () => {
    const s = await setup()
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 15 }))
    unwrap(await s.ledger.capture({ holdId: job.holdId }))
    const dispute = unwrap(await s.revoke(115))
    expect(dispute).toMatchObject({ revokedNow: 100, revokedTotal: 100, unrecovered: 15 })
    expect((await s.balance()).available).toBe(0)
    const back = unwrap(await s.reinstate(dispute.revokedNow))
    expect(back).toEqual({
      providerReference: s.ref,
      accountId: s.accountId,
      lotId: s.purchase.lotId,
      reinstated: 100,
      expired: 0,
      revokedTotal: 0,
    })
    expect((await s.balance()).lots).toMatchObject([
      { id: s.purchase.lotId, remaining: 100, expiresAt: addMonthsClamped(T0, 12) },
    ])
    const entry = unwrap(await s.ledger.history(s.accountId)).entries[0]!
    expect(entry).toMatchObject({
      kind: 'reinstate',
      amount: 100,
      lotId: s.purchase.lotId,
      memo: 'dispute won',
      changes: { revoked: -100, available: 100 },
    })
    await s.expectClean()
  })

  it('gives back at most what is revoked, and answers a replay of its key with the same receipt', async () => {
    const s = await setup()
    unwrap(await s.revoke(30))
    const key = newKey()
    const back = unwrap(await s.reinstate(50, key))
    expect(back).toMatchObject({ reinstated: 30, expired: 0, revokedTotal: 0 })
    expect(unwrap(await s.reinstate(50, key))).toEqual(back)
    expect(refusal(await s.reinstate(40, key))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', key })
    expect(unwrap(await s.reinstate(50))).toMatchObject({ reinstated: 0, revokedTotal: 0 })
    expect((await s.balance()).available).toBe(115)
    await s.expectClean()
  })

  it('cancels owed credits first: they stay on their hold, and return on release', async () => {
    const s = await setup()
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100 }))
    expect(unwrap(await s.revoke(115))).toMatchObject({ owed: 100, revokedTotal: 115 })
    expect(unwrap(await s.reinstate(105))).toMatchObject({ reinstated: 105, revokedTotal: 10 })
    // 100 owed cancelled, 5 revoked given back; 10 stay revoked.
    expect(await s.balance()).toMatchObject({ available: 5, held: 100 })
    unwrap(await s.ledger.release({ holdId: job.holdId }))
    expect(await s.balance()).toMatchObject({ available: 105, held: 0 })
    expect(unwrap(await s.revoke(10))).toMatchObject({ revokedNow: 0, owed: 0, revokedTotal: 10 })
    await s.expectClean()
  })

  it('expires at once what it gives back to a lot past its expiry, on the record', async () => {
    const s = await setup()
    unwrap(await s.revoke(115))
    s.clock.set(addMonthsClamped(T0, 12))
    expect(unwrap(await s.reinstate(115))).toMatchObject({ reinstated: 115, expired: 115, revokedTotal: 0 })
    expect((await s.balance()).available).toBe(0)
    expect((await s.kinds()).slice(-2)).toEqual(['reinstate', 'expire'])
    await s.expectClean()
  })

  it('reinstates credits a dispute took after the purchase was refunded in full', async () => {
    const s = await setup()
    unwrap(await s.ledger.refundPurchase({ providerReference: s.ref, reason: 'refund' }))
    expect(unwrap(await s.reinstate(50))).toMatchObject({ reinstated: 50, revokedTotal: 65 })
    expect((await s.balance()).available).toBe(50)
    await s.expectClean()
  })

  it('refuses bad requests and unknown references', async () => {
    const s = await setup()
    const cases: Array<[Partial<ReinstatePurchaseRequest>, string]> = [
      [{ credits: -1 }, 'credits'],
      [{ credits: 2.5 }, 'credits'],
      [{ key: '' }, 'key'],
      [{ providerReference: '' }, 'providerReference'],
    ]
    for (const [change, field] of cases) {
      const valid: ReinstatePurchaseRequest = { providerReference: s.ref, credits: 1, key: newKey() }
      const r = await s.ledger.reinstatePurchase({ ...valid, ...change })
      expect(refusal(r)).toMatchObject({ code: 'VALIDATION', field })
    }
    expect(
      refusal(await s.ledger.reinstatePurchase({ providerReference: 'pi_nope', credits: 1, key: newKey() })),
    ).toMatchObject({ code: 'PURCHASE_NOT_FOUND' })
  })
})

describe.each(BACKENDS)('ledger verify of revocations on %s', (backend) => {
  const suite = useTestDatabase(backend)

  it('finds a lot owing more than it has on hold', async () => {
    const s = await boughtPack(suite.db)
    unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 10 }))
    await s.expectClean()
    await sql`update lots set revoke_owed = 11 where id = ${s.purchase.lotId}`.execute(suite.db.kysely)
    expect((await s.ledger.verify()).violations).toEqual([
      expect.objectContaining({ invariant: 5, subject: s.purchase.lotId }),
    ])
    await sql`update lots set revoke_owed = 0 where id = ${s.purchase.lotId}`.execute(suite.db.kysely)
    await s.expectClean()
  })

  it('finds credits reinstated that were never revoked, and a reinstatement that moves other buckets', async () => {
    const s = await boughtPack(suite.db)
    const lot = s.purchase.lotId
    const at = s.clock.now()
    // Credits given back from nowhere (and a reinstatement out of `consumed`), kept last in this
    // database: what is left behind is not cleaned up.
    await sql`insert into journal_transactions (id, account_id, kind, created_at, amount, lot_id)
              values ('txn_tampered_1', ${s.accountId}, 'reinstate', ${at}, 5, ${lot})`.execute(
      suite.db.kysely,
    )
    await sql`insert into journal_postings (transaction_id, seq, account_id, lot_id, bucket, amount)
              values ('txn_tampered_1', 0, ${s.accountId}, ${lot}, 'revoked', -5),
                     ('txn_tampered_1', 1, ${s.accountId}, ${lot}, 'consumed', -5),
                     ('txn_tampered_1', 2, ${s.accountId}, ${lot}, 'available', 10)`.execute(suite.db.kysely)
    const violations = (await s.ledger.verify()).violations
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ invariant: 7, subject: lot }),
        expect.objectContaining({ invariant: 7, subject: 'txn_tampered_1' }),
      ]),
    )
  })
})
