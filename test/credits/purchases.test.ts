import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { addMonthsClamped, LABS_2022, Ledger, staticPricing, validateBook } from '../../src/credits/index.ts'
import type { SqlTx } from '../../src/db/writer/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)
const pricing = staticPricing(LABS_2022)
let refs = 0
const newRef = () => `pi_test_${Date.now()}_${++refs}`

describe.each(BACKENDS)('purchases on %s', (backend) => {
  const suite = useTestDatabase(backend)

  async function setup(options: { pricing?: typeof pricing } = {}) {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: options.pricing ?? pricing })
    const { accountId } = unwrap(await ledger.createAccount({}))
    return { clock, ledger, accountId }
  }
  const buy = (ledger: Ledger, accountId: string, providerReference = newRef(), quantity = 1) =>
    ledger.completePurchase({
      accountId,
      packId: 'pack-115',
      quantity,
      amountPaidMinor: 1500 * quantity,
      currency: 'USD',
      providerReference,
    })

  it('grants 115 credits for USD 15.00 with that cost basis, burning after free credits, alive for 12 months', async () => {
    const { clock, ledger, accountId } = await setup()
    const receipt = unwrap(await buy(ledger, accountId))
    const expiresAt = addMonthsClamped(T0, 12)
    expect(receipt).toMatchObject({
      credits: 115,
      amountPaidMinor: 1500,
      listPriceMinor: 1500,
      expiresAt,
      bookVersion: 'labs-2022',
    })
    const balance = unwrap(await ledger.balance(accountId))
    expect(balance.available).toBe(130) // with this period's 15 free credits, owed until the first spend
    expect(balance.lots.map((l) => [l.source, l.remaining, l.priority])).toEqual([['purchase', 115, 50]])
    expect(balance.owed?.map((l) => [l.source, l.amount, l.priority])).toEqual([['monthly', 15, 10]])
    clock.set(expiresAt - 1)
    expect(unwrap(await ledger.balance(accountId)).lots.find((l) => l.source === 'purchase')?.remaining).toBe(
      115,
    )
    clock.set(expiresAt)
    expect(unwrap(await ledger.balance(accountId)).lots.find((l) => l.source === 'purchase')).toBeUndefined()
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('grants exactly once per provider reference, whatever the concurrency, and refuses a different purchase under it', async () => {
    const { ledger, accountId } = await setup()
    const other = await suite.testDb.open()
    try {
      const second = new Ledger(other, { clock: ledger.clock, pricing })
      const ref = newRef()
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => buy(i % 2 ? ledger : second, accountId, ref)),
      )
      const receipts = answers.map(unwrap)
      for (const r of receipts) expect(r).toEqual(receipts[0])
      const purchases = unwrap(await ledger.balance(accountId)).lots.filter((l) => l.source === 'purchase')
      expect(purchases).toHaveLength(1)
      expect(refusal(await buy(ledger, accountId, ref, 2))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' })
    } finally {
      await other.close()
    }
  })

  it('commits what the caller writes alongside (a payment event) with the grant, or neither; a repeat runs it again', async () => {
    const { ledger, accountId } = await setup()
    await suite.db.kysely.schema
      .createTable('caused_by')
      .ifNotExists()
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .execute()
    const ref = newRef()
    const purchase = {
      accountId,
      packId: 'pack-115',
      quantity: 1,
      amountPaidMinor: 1500,
      currency: 'USD',
      providerReference: ref,
    }
    const record = (eventId: string) => ({
      alsoWrite: async (tx: SqlTx) => {
        await tx.run('insert into caused_by (event_id) values (?) on conflict (event_id) do nothing', [
          eventId,
        ])
      },
    })
    const events = async () =>
      (await sql<{ event_id: string }>`select event_id from caused_by`.execute(suite.db.kysely)).rows.length
    // The caller's write fails: the grant is rolled back with it.
    class Refused extends Error {}
    await expect(
      ledger.completePurchase(purchase, {
        alsoWrite: () => {
          throw new Refused('no')
        },
      }),
    ).rejects.toBeInstanceOf(Refused)
    expect(unwrap(await ledger.balance(accountId)).lots).toEqual([])
    // Granted with its event; a second event of the same purchase is recorded beside the same grant.
    const first = unwrap(await ledger.completePurchase(purchase, record('evt_1')))
    const again = unwrap(await ledger.completePurchase(purchase, record('evt_2')))
    expect(again.lotId).toBe(first.lotId)
    expect(await events()).toBe(2)
    expect(unwrap(await ledger.balance(accountId)).lots.map((l) => l.remaining)).toEqual([115])
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('prices volume tiers from the book', async () => {
    const r = validateBook({
      ...LABS_2022,
      version: 'labs-2022-tiers',
      packs: [
        { id: 'pack-115', credits: 115, priceMinor: 1500, tiers: [{ minQuantity: 3, unitPriceMinor: 1350 }] },
      ],
    })
    if (!r.ok) throw new Error(JSON.stringify(r.problems))
    const { ledger, accountId } = await setup({ pricing: staticPricing(r.book) })
    const receipt = unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 3,
        amountPaidMinor: 4050,
        currency: 'USD',
        providerReference: newRef(),
      }),
    )
    expect(receipt).toMatchObject({ credits: 345, listPriceMinor: 4050, bookVersion: 'labs-2022-tiers' })
  })

  it('grants what the buyer was quoted (pricedAt): a book activated while they paid changes nothing', async () => {
    const bigger = validateBook({
      ...LABS_2022,
      version: 'labs-2027-bigger-packs',
      packs: [{ id: 'pack-115', credits: 130, priceMinor: 1500 }],
    })
    if (!bigger.ok) throw new Error(JSON.stringify(bigger.problems))
    const T1 = T0 + 3_600_000
    const { clock, ledger, accountId } = await setup({
      pricing: { bookAt: (at) => (at < T1 ? LABS_2022 : bigger.book) },
    })
    clock.set(T1 + 60_000)
    const purchase = {
      accountId,
      packId: 'pack-115',
      quantity: 1,
      amountPaidMinor: 1500,
      currency: 'USD',
    }
    const quoted = unwrap(
      await ledger.completePurchase({ ...purchase, providerReference: newRef(), pricedAt: T0 }),
    )
    expect(quoted).toMatchObject({ credits: 115, bookVersion: 'labs-2022' })
    const now = unwrap(await ledger.completePurchase({ ...purchase, providerReference: newRef() }))
    expect(now).toMatchObject({ credits: 130, bookVersion: 'labs-2027-bigger-packs' })
    expect(
      refusal(
        await ledger.completePurchase({ ...purchase, providerReference: newRef(), pricedAt: T1 + 120_000 }),
      ),
    ).toMatchObject({
      code: 'VALIDATION',
      field: 'pricedAt',
    })
    expect(
      refusal(await ledger.completePurchase({ ...purchase, providerReference: newRef(), pricedAt: 1.5 })),
    ).toMatchObject({
      code: 'VALIDATION',
      field: 'pricedAt',
    })
    expect((await ledger.verify()).ok).toBe(true)
  })

  it.each([
    [{ packId: 'pack-9000' }, 'packId'],
    [{ quantity: 0 }, 'quantity'],
    [{ quantity: 1.5 }, 'quantity'],
    [{ amountPaidMinor: -1 }, 'amountPaidMinor'],
    [{ currency: 'EUR' }, 'currency'],
    [{ currency: 'usd' }, 'currency'],
    [{ providerReference: '' }, 'idempotencyKey'],
  ])('refuses %o and grants nothing', async (change, field) => {
    const { ledger, accountId } = await setup()
    const before = unwrap(await ledger.balance(accountId))
    const r = await ledger.completePurchase({
      accountId,
      packId: 'pack-115',
      quantity: 1,
      amountPaidMinor: 1500,
      currency: 'USD',
      providerReference: newRef(),
      ...change,
    })
    expect(refusal(r)).toMatchObject({ code: 'VALIDATION' })
    expect(JSON.stringify(refusal(r))).toContain(field === 'idempotencyKey' ? 'idempotencyKey' : field)
    expect(unwrap(await ledger.balance(accountId))).toEqual(before)
  })

  it('refunds a purchase: unspent credits leave, the receipt says how many were used, a later job refund cannot bring them back', async () => {
    const { ledger, accountId } = await setup()
    const ref = newRef()
    unwrap(await buy(ledger, accountId, ref))
    const job = unwrap(await ledger.hold({ accountId, amount: 35 })) // 15 free, then 20 bought
    unwrap(await ledger.capture({ holdId: job.holdId }))

    const refund = unwrap(await ledger.refundPurchase({ providerReference: ref, reason: 'chargeback' }))
    expect(refund).toMatchObject({ revoked: 95, alreadyUsed: 20 })
    expect(unwrap(await ledger.balance(accountId)).available).toBe(0)
    expect(unwrap(await ledger.refundPurchase({ providerReference: ref, reason: 'chargeback' }))).toEqual(
      refund,
    )

    const jobRefund = unwrap(await ledger.refund({ holdId: job.holdId }))
    expect(jobRefund.refunded).toBe(35)
    // The 15 free credits come back; the 20 bought ones leave again with their refunded purchase.
    expect(unwrap(await ledger.balance(accountId)).available).toBe(15)
    const kinds = unwrap(await ledger.history(accountId)).entries.map((e) => e.kind)
    expect(kinds.filter((k) => k === 'revoke')).toHaveLength(2)
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('refuses to refund a purchase while its credits are on hold, and sweeps overdue holds into the refund', async () => {
    const { clock, ledger, accountId } = await setup()
    const ref = newRef()
    unwrap(await buy(ledger, accountId, ref))
    unwrap(await ledger.hold({ accountId, amount: 20, ttlMs: 60_000 }))
    expect(refusal(await ledger.refundPurchase({ providerReference: ref }))).toMatchObject({
      code: 'PURCHASE_CREDITS_HELD',
      held: 5,
    })
    clock.advance(60_000)
    expect(unwrap(await ledger.refundPurchase({ providerReference: ref }))).toMatchObject({
      revoked: 115,
      alreadyUsed: 0,
    })
    expect(unwrap(await ledger.balance(accountId))).toMatchObject({ available: 15, held: 0 })
    expect((await ledger.verify()).ok).toBe(true)
  })

  it('answers PURCHASE_NOT_FOUND for an unknown reference', async () => {
    const { ledger } = await setup()
    expect(refusal(await ledger.refundPurchase({ providerReference: 'pi_nope' }))).toMatchObject({
      code: 'PURCHASE_NOT_FOUND',
    })
  })
})
