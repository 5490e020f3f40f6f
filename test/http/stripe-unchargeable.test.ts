import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/contracts/index.ts'
import { LABS_2022, validateBook } from '../../src/credits/index.ts'
import { useStripeServer } from '../billing/stripe-server.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'

// A price book whose price Stripe cannot charge exactly (Stripe takes KWD in multiples of 10 of its
// units): opening a checkout is refused with a 409 that tells what to change, nothing is recorded,
// and Stripe is never asked — not a 5xx, which would say the buyer's request broke something.

const KWD_BOOK = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'labs-2022-kwd',
    effectiveFrom: undefined,
    currency: 'KWD',
    packs: [{ id: 'pack-115', credits: 115, priceMinor: 5125, tiers: [] }],
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe.each(BACKENDS)('a pack Stripe cannot charge exactly (%s)', (backend) => {
  const t = useStripeServer(backend)

  beforeAll(async () => {
    const activated = await t.current.server.services.pricing.activate(KWD_BOOK, 'now')
    if (!activated.ok) throw new Error(activated.error.message)
  })

  it('refuses the checkout with 409 naming the price to change, and records nothing', async () => {
    const user = await t.current.user({ credits: 0 })
    const asked = t.stripe.requests.length
    const res = Reply.injected(
      await t.current.server.app.inject({
        method: 'POST',
        url: '/api/billing/checkout',
        headers: { authorization: `Bearer ${user.apiKey}` },
        payload: { packId: 'pack-115' },
      }),
    )
    expect(res.status, res.text).toBe(409)
    expect(res.as(ErrorBody).error).toMatchObject({ code: 'CONFLICT', reason: 'UNCHARGEABLE_PRICE' })
    expect(res.error.message).toMatch(/5125 minor units of KWD cannot be charged through Stripe/)
    expect(t.stripe.requests.length).toBe(asked)
    const intents = await sql<{ n: string | number }>`select count(*) as n from purchase_intents
      where account_id = ${user.user.accountId}`.execute(t.current.server.services.db.kysely)
    expect(Number(intents.rows[0]!.n)).toBe(0)
  })
})
