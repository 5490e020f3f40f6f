import { describe, expect, it } from 'vitest'
import { Ledger } from '../../src/credits/index.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'
import { boughtPack, newKey, pricing } from './support/revocation.ts'

describe.each(BACKENDS)('revoking part of a purchase on %s', (backend) => {
  const suite = useTestDatabase(backend)
  const setup = () => boughtPack(suite.db)

  it('revokes a partial refund, then only the difference for a larger one, and nothing for the same or an older total', async () => {
    const s = await setup()
    const first = unwrap(await s.revoke(58))
    expect(first).toEqual({
      providerReference: s.ref,
      accountId: s.accountId,
      lotId: s.purchase.lotId,
      credits: 115,
      revokedNow: 58,
      owed: 0,
      revokedTotal: 58,
      unrecovered: 0,
    })
    expect((await s.balance()).available).toBe(57)
    await s.expectClean()
    expect(unwrap(await s.revoke(58))).toMatchObject({ revokedNow: 0, revokedTotal: 58, unrecovered: 0 })
    expect(unwrap(await s.revoke(80))).toMatchObject({ revokedNow: 22, revokedTotal: 80, unrecovered: 0 })
    expect(unwrap(await s.revoke(58))).toMatchObject({ revokedNow: 0, revokedTotal: 80 })
    expect((await s.balance()).available).toBe(35)
    const history = unwrap(await s.ledger.history(s.accountId)).entries
    expect(history.filter((e) => e.kind === 'revoke').map((e) => [e.amount, e.memo, e.changes])).toEqual([
      [22, 'partial refund', { available: -22, revoked: 22 }],
      [58, 'partial refund', { available: -58, revoked: 58 }],
    ])
    await s.expectClean()
  })

  it('reports what was spent already as unrecovered and takes it from no other lot', async () => {
    const s = await setup()
    unwrap(await s.ledger.grant({ accountId: s.accountId, amount: 40, source: 'adjustment' }))
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100 }))
    unwrap(await s.ledger.capture({ holdId: job.holdId }))
    expect(unwrap(await s.revoke(115))).toMatchObject({
      revokedNow: 15,
      owed: 0,
      revokedTotal: 15,
      unrecovered: 100,
    })
    // The adjustment lot is untouched.
    expect((await s.balance()).lots.map((l) => [l.source, l.remaining])).toEqual([['adjustment', 40]])
    await s.expectClean()
    // A job refund brings 30 of the spent credits back to the lot: the same target takes them then.
    unwrap(await s.ledger.refund({ holdId: job.holdId, amount: 30 }))
    expect((await s.balance()).available).toBe(70)
    expect(unwrap(await s.revoke(115))).toMatchObject({ revokedNow: 30, revokedTotal: 45, unrecovered: 70 })
    expect((await s.balance()).available).toBe(40)
    await s.expectClean()
  })

  it('owes credits on hold, and revokes them when the hold is released', async () => {
    const s = await setup()
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100 }))
    expect(unwrap(await s.revoke(115))).toMatchObject({
      revokedNow: 115,
      owed: 100,
      revokedTotal: 115,
      unrecovered: 0,
    })
    expect(await s.balance()).toMatchObject({ available: 0, held: 100 })
    expect((await s.balance()).lots).toMatchObject([{ remaining: 0, held: 100, revokeOwed: 100 }])
    await s.expectClean()
    // A second dispute event under another key takes nothing more.
    expect(unwrap(await s.revoke(115))).toMatchObject({ revokedNow: 0, owed: 100, revokedTotal: 115 })
    unwrap(await s.ledger.release({ holdId: job.holdId }))
    expect(await s.balance()).toMatchObject({ available: 0, held: 0, lots: [] })
    expect((await s.kinds()).slice(-2)).toEqual(['release', 'revoke'])
    expect(unwrap(await s.revoke(115))).toMatchObject({ revokedNow: 0, owed: 0, revokedTotal: 115 })
    await s.expectClean()
  })

  it('owes part of a hold: only what is owed leaves on release, the rest is spendable again', async () => {
    const s = await setup()
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100 }))
    expect(unwrap(await s.revoke(40))).toMatchObject({ revokedNow: 40, owed: 25, revokedTotal: 40 })
    unwrap(await s.ledger.release({ holdId: job.holdId }))
    expect((await s.balance()).available).toBe(75)
    expect(unwrap(await s.revoke(40))).toMatchObject({ revokedNow: 0, owed: 0, revokedTotal: 40 })
    await s.expectClean()
  })

  it('revokes owed credits when their hold expires: the balance counts them gone before the sweep, a hold cannot take them', async () => {
    const s = await setup()
    unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100, ttlMs: 60_000 }))
    unwrap(await s.revoke(115))
    s.clock.advance(60_000)
    expect(await s.balance()).toMatchObject({ available: 0, held: 0 })
    expect(refusal(await s.ledger.hold({ accountId: s.accountId, amount: 1 }))).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      available: 0,
    })
    expect((await s.ledger.expireDue()).holdsReleased).toBe(1)
    expect((await s.kinds()).slice(-2)).toEqual(['hold_expired', 'revoke'])
    expect(await s.balance()).toMatchObject({ available: 0, held: 0 })
    await s.expectClean()
  })

  it('lets a hold spend the part of an expired hold that was not owed', async () => {
    const s = await setup()
    unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100, ttlMs: 60_000 }))
    unwrap(await s.revoke(55)) // 15 available now, 40 owed
    s.clock.advance(60_000)
    expect((await s.balance()).available).toBe(60)
    unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 60 }))
    expect(await s.balance()).toMatchObject({ available: 0, held: 60 })
    await s.expectClean()
  })

  it('keeps captured credits spent: what a capture consumed is no longer owed', async () => {
    const s = await setup()
    const job = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 100 }))
    unwrap(await s.revoke(115))
    unwrap(await s.ledger.capture({ holdId: job.holdId }))
    expect(await s.balance()).toMatchObject({ available: 0, held: 0 })
    expect(unwrap(await s.revoke(115))).toMatchObject({
      revokedNow: 0,
      owed: 0,
      revokedTotal: 15,
      unrecovered: 100,
    })
    await s.expectClean()
  })

  it('revokes at once what a partial capture returns, and forgives only what it spent', async () => {
    const s = await setup()
    const a = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 50 }))
    const b = unwrap(await s.ledger.hold({ accountId: s.accountId, amount: 50 }))
    expect(unwrap(await s.revoke(115))).toMatchObject({ owed: 100 })
    const owed = async () => (await s.balance()).lots.find((l) => l.id === s.purchase.lotId)?.revokeOwed
    // 20 of a return and are revoked; its other 30 are spent, but b still holds 50 owed credits.
    unwrap(await s.ledger.capture({ holdId: a.holdId, amount: 30 }))
    expect(await owed()).toBe(50)
    await s.expectClean()
    // A job refund brings a's 30 back: they pay what is owed and leave at once.
    unwrap(await s.ledger.refund({ holdId: a.holdId }))
    expect(await s.balance()).toMatchObject({ available: 0, held: 50 })
    expect(await owed()).toBe(20)
    await s.expectClean()
    // b is captured: the 20 still owed were spent, and are forgiven.
    unwrap(await s.ledger.capture({ holdId: b.holdId }))
    expect(await s.balance()).toMatchObject({ available: 0, held: 0, lots: [] })
    expect(unwrap(await s.revoke(115))).toMatchObject({
      revokedNow: 0,
      owed: 0,
      revokedTotal: 65,
      unrecovered: 50,
    })
    expect((await s.kinds()).filter((k) => k === 'revoke')).toHaveLength(3)
    await s.expectClean()
  })

  it('answers a replay of a key with the same receipt, and refuses another request under it', async () => {
    const s = await setup()
    const key = newKey()
    const first = unwrap(await s.revoke(50, key))
    expect(unwrap(await s.revoke(50, key))).toEqual(first)
    expect((await s.balance()).available).toBe(65)
    expect(refusal(await s.revoke(60, key))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', key })
    expect(refusal(await s.reinstate(50, key))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', key })
    expect((await s.balance()).available).toBe(65)
    await s.expectClean()
  })

  it('revokes once in total under concurrent calls with different keys and the same target', async () => {
    const s = await setup()
    const other = await suite.testDb.open()
    try {
      const second = new Ledger(other, { clock: s.ledger.clock, pricing })
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? s.ledger : second).revokePurchase({ providerReference: s.ref, upTo: 60, key: newKey() }),
        ),
      )
      const receipts = answers.map(unwrap)
      expect(receipts.reduce((sum, r) => sum + r.revokedNow, 0)).toBe(60)
      for (const r of receipts) expect(r.revokedTotal).toBe(60)
      expect((await s.balance()).available).toBe(55)
    } finally {
      await other.close()
    }
    await s.expectClean()
  })

  it('writes what the caller writes alongside in the same transaction, or nothing', async () => {
    const s = await setup()
    class Refused extends Error {}
    await expect(
      s.ledger.revokePurchase(
        { providerReference: s.ref, upTo: 10, key: newKey() },
        {
          alsoWrite: () => {
            throw new Refused('no')
          },
        },
      ),
    ).rejects.toBeInstanceOf(Refused)
    expect((await s.balance()).available).toBe(115)
    let seen: number | undefined
    unwrap(
      await s.ledger.revokePurchase(
        { providerReference: s.ref, upTo: 10, key: newKey() },
        {
          alsoWrite: async (tx, revocation) => {
            const [lot] = await tx.all<{ remaining: number }>('select remaining from lots where id = ?', [
              revocation.lotId,
            ])
            seen = Number(lot?.remaining)
          },
        },
      ),
    )
    expect(seen).toBe(105)
    await s.expectClean()
  })

  it.each([
    [{ upTo: -1 }, 'upTo'],
    [{ upTo: 1.5 }, 'upTo'],
    [{ upTo: Number.MAX_SAFE_INTEGER + 1 }, 'upTo'],
    [{ key: '' }, 'key'],
    [{ key: 'k'.repeat(201) }, 'key'],
    [{ providerReference: '' }, 'providerReference'],
    [{ reason: 'r'.repeat(501) }, 'reason'],
  ])('refuses %o and revokes nothing', async (change, field) => {
    const s = await setup()
    const r = await s.ledger.revokePurchase({ providerReference: s.ref, upTo: 10, key: newKey(), ...change })
    expect(refusal(r)).toMatchObject({ code: 'VALIDATION', field })
    expect((await s.balance()).available).toBe(115)
  })

  it('answers PURCHASE_NOT_FOUND for an unknown reference, and revokes nothing for a target of 0', async () => {
    const s = await setup()
    expect(
      refusal(await s.ledger.revokePurchase({ providerReference: 'pi_nope', upTo: 1, key: newKey() })),
    ).toMatchObject({ code: 'PURCHASE_NOT_FOUND', providerReference: 'pi_nope' })
    expect(unwrap(await s.revoke(0))).toMatchObject({ revokedNow: 0, revokedTotal: 0, unrecovered: 0 })
    await s.expectClean()
  })
})
