import { describe, expect, it } from 'vitest'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)

describe.each(BACKENDS)('quotes and priced charges on %s', (backend) => {
  const suite = useTestDatabase(backend)
  const ledger = () => new Ledger(suite.db, { clock: new ManualClock(T0), pricing: staticPricing(LABS_2022) })

  it.each([
    ['generate', 1, 4, '3.26'],
    ['edit', 1, 3, '4.35'],
    ['variation', 1, 3, '4.35'],
  ])(
    'prices a %s at %i credit for %i images (list price per image %s cents)',
    async (operation, credits, images, perImage) => {
      const q = unwrap(await ledger().quote({ operation }))
      expect(q).toMatchObject({ bookVersion: 'labs-2022', ruleId: operation, credits, images })
      expect(q.listPricePerCredit?.shown).toBe('13.043')
      expect(q.pricePerImage?.shown).toBe(perImage)
    },
  )

  it('with an account, counts the allowance it is owed and says whether it can pay, writing nothing', async () => {
    const l = ledger()
    const { accountId } = unwrap(await l.createAccount({}))
    expect(unwrap(await l.quote({ operation: 'generate', accountId }))).toMatchObject({
      available: 15,
      affordable: true,
    })
    expect(unwrap(await l.history(accountId)).entries).toEqual([])
  })

  it('records the book version and rule that priced a charge on the hold', async () => {
    const l = ledger()
    const { accountId } = unwrap(await l.createAccount({}))
    const q = unwrap(await l.quote({ operation: 'edit', accountId }))
    const hold = unwrap(
      await l.hold({
        accountId,
        amount: q.credits,
        pricedBy: { bookVersion: q.bookVersion, ruleId: q.ruleId },
      }),
    )
    expect(hold.pricedBy).toEqual({ bookVersion: 'labs-2022', ruleId: 'edit' })
    const row = await suite.db.kysely
      .selectFrom('holds')
      .select(['book_version', 'price_rule'])
      .where('id', '=', hold.holdId)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ book_version: 'labs-2022', price_rule: 'edit' })
  })

  it('refuses an unknown operation, bad parameters and a ledger without a book', async () => {
    expect(refusal(await ledger().quote({ operation: 'upscale' }))).toMatchObject({
      code: 'VALIDATION',
      field: 'operation',
    })
    expect(refusal(await ledger().quote({ operation: 'generate', parameters: { n: 0 } }))).toMatchObject({
      field: 'parameters.n',
    })
    const bare = new Ledger(suite.db, { clock: new ManualClock(T0) })
    expect(refusal(await bare.quote({ operation: 'generate' }))).toMatchObject({ field: 'pricing' })
  })
})
