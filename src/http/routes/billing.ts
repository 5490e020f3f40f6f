import { z } from 'zod'
import { PAYMENT_PROVIDER_NAMES, TestCheckout } from '../../billing/providers/index.ts'
import type { PurchaseView } from '../../billing/purchases.ts'
import { Fraction, majorUnits } from '../../credits/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { fromPurchaseError } from '../errors.ts'
import { errorResponses } from '../schemas.ts'
import type { Services } from '../services.ts'
import { idempotencyKeyOf } from '../shared.ts'

const PurchaseBody = z.object({
  id: z.string(),
  packId: z.string(),
  quantity: z.number().int(),
  credits: z.number().int(),
  amountPaidMinor: z.number().int(),
  currency: z.string(),
  price: z.string(),
  lotId: z.string(),
  grantedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  remaining: z.number().int(),
})

const purchaseBody = (p: PurchaseView): z.infer<typeof PurchaseBody> => ({
  ...p,
  // Major units in the currency's own digits: '15.00' USD, '1500' JPY, '1.500' KWD.
  price: majorUnits({ amountMinor: p.amountPaidMinor, currency: p.currency }),
})

/** Packs of the book in force, and buying them through the built-in test checkout. */
export function registerBillingRoutes(app: App, services: Services): void {
  app.get(
    '/api/packs',
    {
      schema: {
        tags: ['Billing'],
        summary: 'The credit packs on sale now, with their prices and price per credit',
        security: [],
        response: {
          200: z.object({
            bookVersion: z.string(),
            currency: z.string(),
            listPricePerCredit: z.object({ currency: z.string(), shown: z.string() }).nullable(),
            packs: z.array(
              z.object({
                id: z.string(),
                credits: z.number().int(),
                priceMinor: z.number().int(),
                price: z.string(),
                perCredit: z.string(),
                /** How long bought credits last when the book says months; null otherwise. */
                expiresInMonths: z.number().int().nullable(),
                /** How long bought credits last when the book says days; null otherwise. */
                expiresInDays: z.number().int().nullable(),
                tiers: z.array(z.object({ minQuantity: z.number().int(), unitPriceMinor: z.number().int() })),
              }),
            ),
            /** `none`: no payment provider is configured, packs are shown but cannot be bought. */
            provider: z.enum([...PAYMENT_PROVIDER_NAMES, 'none']),
            testCards: z.object({ success: z.string(), decline: z.string() }).nullable(),
          }),
        },
      },
    },
    async () => {
      const now = services.clock.now()
      const book = services.pricing.bookAt(now)
      const listPack = book.packs.find((p) => p.id === book.listPricePack)
      const expiry = book.expiry.purchase
      // How long bought credits last, as the book says it: days are not converted to months (a
      // month is not 30 days), so a book that says 90 days shows 90 days. Both null: never.
      const months = expiry !== null && 'months' in expiry ? expiry.months : null
      const days = expiry !== null && 'days' in expiry ? expiry.days : null
      return {
        bookVersion: book.version,
        currency: book.currency,
        listPricePerCredit: listPack
          ? {
              currency: book.currency,
              shown: Fraction.of(listPack.priceMinor, listPack.credits).shown(3),
            }
          : null,
        packs: book.packs.map((p) => ({
          id: p.id,
          credits: p.credits,
          priceMinor: p.priceMinor,
          price: majorUnits({ amountMinor: p.priceMinor, currency: book.currency }),
          // Major units per credit, two places past the currency's own ($0.1304, ¥13.04).
          perCredit: majorUnits(
            { amountMinor: Fraction.of(p.priceMinor, p.credits), currency: book.currency },
            { extraDigits: 2 },
          ),
          expiresInMonths: months,
          expiresInDays: days,
          tiers: p.tiers.map((t) => ({ minQuantity: t.minQuantity, unitPriceMinor: t.unitPriceMinor })),
        })),
        provider: services.purchases.providerName,
        testCards: services.purchases.providerName === 'test' ? TestCheckout.testCards : null,
      }
    },
  )

  app.post(
    '/api/purchases',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Buy packs with the test checkout (test card numbers only; no money moves). Honours Idempotency-Key: a retry returns the same purchase.',
        body: z.object({
          packId: z.string().min(1).max(100),
          quantity: z.number().int().min(1).max(100).default(1),
          card: z.object({
            number: z.string().max(30),
            expMonth: z.number().int(),
            expYear: z.number().int(),
            cvc: z.string().max(4),
            name: z.string().max(200).optional(),
          }),
        }),
        response: { 201: PurchaseBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const bought = await services.purchases.buy({
        accountId: p.user.accountId,
        packId: request.body.packId,
        quantity: request.body.quantity,
        card: request.body.card,
        ...idempotencyKeyOf(request),
      })
      if (!bought.ok) throw fromPurchaseError(bought.error)
      return reply.status(201).send(purchaseBody(bought.value))
    },
  )

  app.get(
    '/api/purchases',
    {
      schema: {
        tags: ['Billing'],
        summary: 'Your purchases, newest first, with what remains of each',
        response: { 200: z.object({ purchases: z.array(PurchaseBody) }) },
      },
    },
    async (request) => {
      const p = requireUser(request)
      return { purchases: (await services.purchases.list(p.user.accountId)).map(purchaseBody) }
    },
  )
}
