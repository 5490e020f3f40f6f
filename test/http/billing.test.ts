import { describe, expect, it } from 'vitest'
import { luhn } from '../../src/billing/providers/test-checkout/index.ts'
import {
  CreditsBody,
  ErrorBody,
  JobBody,
  PacksBody,
  PurchaseBody,
  PurchasesBody,
  SetupBody,
} from '../../src/contracts/index.ts'
import { LABS_2022 } from '../../src/credits/pricing/labs-2022.ts'
import { validateBook } from '../../src/credits/pricing/validate.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

const YEAR_MS = 365 * 86_400_000

describe('test card numbers', () => {
  it('pass the Luhn check, and typos do not', () => {
    for (const n of ['4242424242424242', '5555555555554444', '4000000000000002', '4000000000009995'])
      expect(luhn(n)).toBe(true)
    expect(luhn('4242424242424241')).toBe(false)
  })
})

describe.each(BACKENDS)('buying credits with the test checkout (%s)', (backend) => {
  const t = useTestServer(backend, { env: { EASEL_TEST_CHECKOUT: 'on' } })

  const as = (user: TestUser) => keyed(t.current.url, user.apiKey)
  const card = (number: string) => ({
    number,
    expMonth: 12,
    expYear: new Date().getUTCFullYear() + 2,
    cvc: '123',
  })

  it('lists the packs of the book in force with their prices', async () => {
    const res = await fetch(`${t.current.url}/api/packs`)
    expect(await readJson(res, PacksBody)).toMatchObject({
      bookVersion: 'labs-2022',
      currency: 'USD',
      packs: [
        {
          id: 'pack-115',
          credits: 115,
          priceMinor: 1500,
          price: '15.00',
          perCredit: '0.1304',
          expiresInMonths: 12,
          expiresInDays: null,
        },
      ],
      provider: 'test',
    })
  })

  it('a test card buys a pack: +115 credits that expire a year out; a replay is not charged twice', async () => {
    const user = await t.current.user()
    const call = as(user)
    const before = Date.now()
    const bought = await call(
      'POST',
      '/api/purchases',
      { packId: 'pack-115', card: card('4242 4242 4242 4242') },
      { 'idempotency-key': 'buy-1' },
    )
    expect(bought.status).toBe(201)
    const purchase = bought.as(PurchaseBody)
    expect(purchase).toMatchObject({
      packId: 'pack-115',
      quantity: 1,
      credits: 115,
      amountPaidMinor: 1500,
      price: '15.00',
      currency: 'USD',
    })
    expect(purchase.expiresAt).toBeGreaterThan(before + YEAR_MS - 2 * 86_400_000)
    expect(purchase.expiresAt).toBeLessThan(before + YEAR_MS + 2 * 86_400_000)
    const replay = await call(
      'POST',
      '/api/purchases',
      { packId: 'pack-115', card: card('4242424242424242') },
      { 'idempotency-key': 'buy-1' },
    )
    expect(replay.as(PurchaseBody).id).toBe(purchase.id)
    const credits = (await call('GET', '/api/credits')).as(CreditsBody)
    expect(credits.available).toBe(130)
    expect(credits.lots.find((l) => l.source === 'purchase')).toMatchObject({
      remaining: 115,
      expiresAt: purchase.expiresAt,
    })
    expect((await call('GET', '/api/purchases')).as(PurchasesBody).purchases).toHaveLength(1)
  })

  it('an Idempotency-Key: concurrent retries buy once; another purchase with the key is a conflict', async () => {
    const user = await t.current.user()
    const call = as(user)
    const body = { packId: 'pack-115', card: card('4242424242424242') }
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/api/purchases', body, { 'idempotency-key': 'same-click' }),
      ),
    )
    const bought = results.filter((r) => r.status === 201)
    expect(bought.length).toBeGreaterThan(0)
    expect(new Set(bought.map((r) => r.as(PurchaseBody).id)).size).toBe(1)
    // The others were told to retry (still in progress); none bought a second pack.
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true)
    expect((await call('GET', '/api/credits')).as(CreditsBody).available).toBe(130)
    const other = await call(
      'POST',
      '/api/purchases',
      { ...body, quantity: 3 },
      { 'idempotency-key': 'same-click' },
    )
    expect(other.status).toBe(409)
    expect(other.error.code).toBe('IDEMPOTENCY_CONFLICT')
    const replay = await call('POST', '/api/purchases', body, { 'idempotency-key': 'same-click' })
    expect(replay.status).toBe(201)
    expect(replay.as(PurchaseBody).id).toBe(bought[0]!.as(PurchaseBody).id)
    const declined = { packId: 'pack-115', card: card('4000000000000002') }
    expect((await call('POST', '/api/purchases', declined, { 'idempotency-key': 'd' })).status).toBe(402)
    expect((await call('POST', '/api/purchases', declined, { 'idempotency-key': 'd' })).status).toBe(402)
    expect((await call('GET', '/api/purchases')).as(PurchasesBody).purchases).toHaveLength(1)
  })

  it('declined cards grant nothing and say why; malformed cards are a 400', async () => {
    const user = await t.current.user()
    const call = as(user)
    for (const [number, reason] of [
      ['4000000000000002', 'generic_decline'],
      ['4000000000009995', 'insufficient_funds'],
      ['4000000000000069', 'expired_card'],
      ['4000000000000127', 'incorrect_cvc'],
    ] as const) {
      const res = await call('POST', '/api/purchases', { packId: 'pack-115', card: card(number) })
      expect(res.status).toBe(402)
      expect(res.error).toMatchObject({ code: 'CARD_DECLINED', reason })
      expect(res.error.message).toMatch(/Nothing was charged/)
    }
    const typo = await call('POST', '/api/purchases', {
      packId: 'pack-115',
      card: card('4242 4242 4242 4241'),
    })
    expect(typo.status).toBe(400)
    expect(typo.error).toMatchObject({ code: 'VALIDATION', field: 'card.number' })
    const noPack = await call('POST', '/api/purchases', { packId: 'pack-9', card: card('4242424242424242') })
    expect(noPack.status).toBe(400)
    expect(noPack.error).toMatchObject({ field: 'packId' })
    expect((await call('GET', '/api/credits')).as(CreditsBody)).toMatchObject({ available: 15 })
    expect((await call('GET', '/api/purchases')).as(PurchasesBody).purchases).toEqual([])
  })

  it('a job paid with bought credits shows its cost in money, per image kept', async () => {
    const user = await t.current.user({ credits: 0 })
    const call = as(user)
    expect(
      (await call('POST', '/api/purchases', { packId: 'pack-115', card: card('5555555555554444') })).status,
    ).toBe(201)
    const started = (
      await call('POST', '/api/jobs', { kind: 'generate', prompt: 'a paper boat', size: '256x256' })
    ).as(JobBody)
    await t.current.server.services.studio.waitForJob(user.user.accountId, started.id)
    const job = (await call('GET', `/api/jobs/${started.id}`)).as(JobBody)
    expect(job.cost).toMatchObject({
      credits: 1,
      currency: 'USD',
      priceMinor: '13.04',
      perImageKeptMinor: '3.26',
      imagesKept: 4,
    })
    await call('PUT', `/api/images/${job.images[0]!.id}/favourite`)
    const kept = (await call('GET', `/api/jobs/${started.id}`)).as(JobBody)
    expect(kept.cost).toMatchObject({ perImageKeptMinor: '13.04', imagesKept: 1 })
  })
})

describe.each(BACKENDS)('without a payment provider (the default) (%s)', (backend) => {
  const t = useTestServer(backend)

  it('lists the packs but offers no checkout and no test cards', async () => {
    const setup = await readJson(await fetch(`${t.current.url}/api/setup`), SetupBody)
    expect(setup.testCheckout).toBe(false)
    const packs = await readJson(await fetch(`${t.current.url}/api/packs`), PacksBody)
    expect(packs).toMatchObject({ provider: 'none', testCards: null })
    expect(packs.packs[0]).toMatchObject({ id: 'pack-115', credits: 115 })
  })

  it('refuses a purchase with a test card: 409, says no provider is configured, grants nothing', async () => {
    const user = await t.current.user({ credits: 0 })
    const res = await fetch(`${t.current.url}/api/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        packId: 'pack-115',
        quantity: 100,
        card: {
          number: '4242 4242 4242 4242',
          expMonth: 12,
          expYear: new Date().getUTCFullYear() + 2,
          cvc: '123',
        },
      }),
    })
    expect(res.status).toBe(409)
    const { error } = await readJson(res, ErrorBody)
    expect(error.message).toMatch(/no payment provider is configured/)
    const balance = await t.current.server.services.ledger.balance(user.user.accountId)
    expect(balance.ok && balance.value.available).toBe(0)
    const purchases = await fetch(`${t.current.url}/api/purchases`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect((await readJson(purchases, PurchasesBody)).purchases).toEqual([])
  })
})

/** labs-2022 priced in yen: ¥1,500 for 115 credits, bought credits lasting 90 days. */
const YEN_BOOK = (() => {
  const checked = validateBook({
    ...LABS_2022,
    version: 'labs-yen',
    currency: 'JPY',
    packs: [{ id: 'pack-115', credits: 115, priceMinor: 1500, tiers: [] }],
    expiry: { ...LABS_2022.expiry, purchase: { days: 90 } },
  })
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
  return checked.book
})()

describe.each(BACKENDS)('packs priced in a currency without minor units (%s)', (backend) => {
  // A price book can only be activated from now on: this server's clock is moved past its start.
  let skew = 0
  const t = useTestServer(backend, {
    env: { EASEL_TEST_CHECKOUT: 'on' },
    clock: { now: () => Date.now() + skew },
  })

  it('shows ¥1,500 as 1500, not 15.00, and says 90 days rather than rounding to months', async () => {
    const activated = await t.current.server.services.pricing.activate(YEN_BOOK, Date.now() + 60_000)
    expect(activated.ok).toBe(true)
    skew = 61_000
    const res = await fetch(`${t.current.url}/api/packs`)
    expect(await readJson(res, PacksBody)).toMatchObject({
      bookVersion: 'labs-yen',
      currency: 'JPY',
      listPricePerCredit: { currency: 'JPY', shown: '13.043' },
      packs: [
        {
          id: 'pack-115',
          priceMinor: 1500,
          price: '1500',
          perCredit: '13.04',
          expiresInMonths: null,
          expiresInDays: 90,
        },
      ],
    })
  })
})
