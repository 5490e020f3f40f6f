import { type AuditActor, writeAudit } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import {
  AdminPurchasesBody,
  AdminPurchasesQuery,
  errorResponses,
  PurchaseParams,
  RefundBody,
  RefundRequest,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'
import { ApiError, fromPurchaseError } from '../errors.ts'
import { purchaseBody, sendReceipt } from '../purchase-bodies.ts'

/** The operator's purchases: everyone's, their receipts, and refunds. Admins only. */
export function registerAdminPurchaseRoutes(app: App, services: Services): void {
  const actorOf = (p: ReturnType<typeof requireAdmin>): AuditActor => ({
    userId: p.user.id,
    label: p.user.email,
  })

  app.get(
    '/api/admin/purchases',
    {
      schema: {
        tags: ['Admin'],
        summary:
          "Everyone's purchases, newest first: status (paid, refunded in part or in full, disputed), refunds, disputes and the credits they took back",
        querystring: AdminPurchasesQuery,
        response: { 200: AdminPurchasesBody },
      },
    },
    async (request) => {
      requireAdmin(request)
      const purchases = await services.purchases.listAll(request.query.limit)
      return {
        purchases: purchases.map(({ email, ...p }) => ({
          ...purchaseBody(p),
          accountId: p.accountId,
          email,
          provider: p.provider,
        })),
      }
    },
  )

  app.get(
    '/api/admin/purchases/:id/receipt',
    {
      schema: {
        tags: ['Admin'],
        summary: "Any purchase's receipt as a PDF",
        params: PurchaseParams,
      },
    },
    async (request, reply) => {
      requireAdmin(request)
      const receipt = await services.purchases.receipt(request.params.id, null)
      if (!receipt) throw new ApiError('NOT_FOUND', `no receipt for purchase ${request.params.id}`)
      return sendReceipt(reply, receipt)
    },
  )

  app.post(
    '/api/admin/purchases/:id/refund',
    {
      schema: {
        tags: ['Admin'],
        summary:
          "Refund a purchase, all that is left or `amountMinor` of it. Easel asks the payment provider (Stripe) for the refund; the provider's charge.refunded event takes the purchase's unspent credits back (⌈credits × refunded ÷ paid⌉ in total), so the answer is 202 and the credits follow.",
        params: PurchaseParams,
        body: RefundRequest,
        response: { 202: RefundBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireAdmin(request)
      const { amountMinor, reason } = request.body
      const refunded = await services.purchases.refund({
        purchaseId: request.params.id,
        ...(amountMinor !== undefined ? { amountMinor } : {}),
      })
      if (!refunded.ok) throw fromPurchaseError(refunded.error)
      await writeAudit(services.db, services.clock, {
        actor: actorOf(p),
        action: 'purchase.refund',
        subject: request.params.id,
        details: {
          refundId: refunded.value.refundId,
          amountMinor: refunded.value.amountMinor,
          currency: refunded.value.currency,
          status: refunded.value.status,
        },
        reason: reason ?? null,
      })
      return reply.status(202).send(refunded.value)
    },
  )
}
