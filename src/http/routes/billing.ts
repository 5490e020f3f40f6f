import type { Services } from '../../app/index.ts'
import { TestCheckout } from '../../billing/providers/index.ts'
import {
  CheckoutBody,
  CheckoutParams,
  CheckoutRequest,
  CheckoutStatusBody,
  errorResponses,
  PacksBody,
  PurchaseBody,
  PurchaseParams,
  PurchaseRequest,
  PurchasesBody,
} from '../../contracts/index.ts'
import { Fraction, majorUnits } from '../../credits/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError, fromPurchaseError } from '../errors.ts'
import { purchaseBody, sendReceipt } from '../purchase-bodies.ts'
import { baseUrl, idempotencyKeyOf } from '../shared.ts'

/** Packs of the book in force, and buying them: the built-in test checkout, or a hosted one (Stripe Checkout). */
export function registerBillingRoutes(app: App, services: Services): void {
  app.get(
    '/api/packs',
    {
      schema: {
        tags: ['Billing'],
        summary: 'The credit packs on sale now, with their prices and price per credit',
        security: [],
        response: { 200: PacksBody },
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
        body: PurchaseRequest,
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
        response: { 200: PurchasesBody },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const [purchases, checkouts] = await Promise.all([
        services.purchases.list(p.user.accountId),
        services.purchases.checkouts(p.user.accountId),
      ])
      return { purchases: purchases.map(purchaseBody), checkouts }
    },
  )

  app.get(
    '/api/purchases/:id/receipt',
    {
      schema: {
        tags: ['Billing'],
        summary:
          "One of your purchases' receipt as a PDF: its number, date, pack, quantity, prices, tax, the seller's details and the payment's reference",
        params: PurchaseParams,
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const receipt = await services.purchases.receipt(request.params.id, p.user.accountId)
      if (!receipt) throw new ApiError('NOT_FOUND', `no receipt for purchase ${request.params.id}`)
      return sendReceipt(reply, receipt)
    },
  )

  app.post(
    '/api/billing/checkout',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Open a Stripe Checkout for packs (priced by the book in force) and get the page to send the buyer to. The credits are added once Stripe reports the payment. Honours Idempotency-Key: a retry returns the same session.',
        body: CheckoutRequest,
        response: { 201: CheckoutBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const opened = await services.purchases.checkout({
        accountId: p.user.accountId,
        packId: request.body.packId,
        quantity: request.body.quantity,
        returnBase: baseUrl(services, request),
        ...idempotencyKeyOf(request),
      })
      if (!opened.ok) throw fromPurchaseError(opened.error)
      return reply.status(201).send(opened.value)
    },
  )

  app.get(
    '/api/billing/checkout/:sessionId',
    {
      schema: {
        tags: ['Billing'],
        summary:
          'Where one of your checkouts stands: pending, completed (with the purchase), failed or expired',
        params: CheckoutParams,
        response: { 200: CheckoutStatusBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const { sessionId } = request.params
      const found = await services.purchases.checkoutStatus(p.user.accountId, sessionId)
      if (!found) throw new ApiError('NOT_FOUND', `no checkout ${sessionId}`)
      return {
        sessionId,
        status: found.status,
        purchase: found.purchase ? purchaseBody(found.purchase) : null,
      }
    },
  )
}
