import { z } from 'zod'
import type { PurchaseView } from '../../billing/purchases.ts'
import { TestCardProvider } from '../../billing/test-card-provider.ts'
import { formatMinor, fraction } from '../../credits/pricing/quote.ts'
import type { App } from '../app.ts'
import { requireUser } from '../auth.ts'
import { ApiError } from '../errors.ts'
import type { Services } from '../services.ts'
import { idempotencyKeyOf } from '../shared.ts'
import { errorResponses } from './common.ts'

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

const major = (minor: number) => (minor / 100).toFixed(2)
const purchaseBody = (p: PurchaseView): z.infer<typeof PurchaseBody> => ({
  ...p,
  price: major(p.amountPaidMinor),
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
                expiresInMonths: z.number().int().nullable(),
                tiers: z.array(z.object({ minQuantity: z.number().int(), unitPriceMinor: z.number().int() })),
              }),
            ),
            /** `none`: no payment provider is configured, packs are shown but cannot be bought. */
            provider: z.enum(['test', 'none']),
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
      // How long bought credits last, in months (a book may say days: shown as whole months).
      const months =
        expiry === null ? null : 'months' in expiry ? expiry.months : Math.round(expiry.days / 30)
      return {
        bookVersion: book.version,
        currency: book.currency,
        listPricePerCredit: listPack
          ? {
              currency: book.currency,
              shown: formatMinor(fraction(listPack.priceMinor, listPack.credits), 3),
            }
          : null,
        packs: book.packs.map((p) => ({
          id: p.id,
          credits: p.credits,
          priceMinor: p.priceMinor,
          price: major(p.priceMinor),
          // Dollars per credit, to four places (0.1304).
          perCredit: formatMinor(fraction(p.priceMinor, p.credits * 100), 4),
          expiresInMonths: months,
          tiers: p.tiers.map((t) => ({ minQuantity: t.minQuantity, unitPriceMinor: t.unitPriceMinor })),
        })),
        provider: services.purchases.providerName,
        testCards: services.purchases.providerName === 'test' ? TestCardProvider.testCards : null,
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
      if (!bought.ok) {
        const e = bought.error
        if (e.code === 'VALIDATION') throw new ApiError('VALIDATION', e.message, { field: e.field })
        if (e.code === 'IDEMPOTENCY_CONFLICT') throw new ApiError('IDEMPOTENCY_CONFLICT', e.message)
        if (e.code === 'NO_PAYMENT_PROVIDER') throw new ApiError('CONFLICT', e.message)
        throw new ApiError('CARD_DECLINED', e.message, { reason: e.reason })
      }
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
