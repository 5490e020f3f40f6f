import type { Ledger, Result } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import { applyRefundTotal, type PaymentRow, StaleState } from './charge-events.ts'
import { type PaymentProvider, RefundRefused } from './provider.ts'

/** A refund asked for: the provider's reference for it and where it stands there. */
export interface RefundRequested {
  purchaseId: string
  refundId: string
  /** The provider's word: `succeeded`, `pending`, … (`succeeded` at once for the test checkout). */
  status: string
  amountMinor: number
  currency: string
}

export type RefundError =
  | { code: 'NOT_FOUND'; message: string }
  | { code: 'VALIDATION'; field: string; message: string }
  /** The provider would not refund it (already refunded, disputed, …): its reason is the message. */
  | { code: 'REFUND_REFUSED'; message: string }

/**
 * Refunds a purchase, all of what is left or `amountMinor` of it, on the operator's word. Easel
 * asks the provider (Stripe's `refunds.create`, with a key derived from the purchase and its
 * refunded total so far, so that a doubled click is one refund) and does nothing else: the
 * provider's `charge.refunded` event takes the credits back, the one path whoever started the
 * refund. The offline test checkout has no provider to ask, so its refunds are applied at once
 * through that same revocation.
 */
export async function refundPurchase(
  deps: { db: Database; ledger: Ledger; provider: PaymentProvider | null },
  input: { purchaseId: string; amountMinor?: number },
): Promise<Result<RefundRequested, RefundError>> {
  const payment = (await deps.db.kysely
    .selectFrom('purchase_payments')
    .selectAll()
    .where('reference', '=', input.purchaseId)
    .executeTakeFirst()) as PaymentRow | undefined
  if (!payment) {
    return { ok: false, error: { code: 'NOT_FOUND', message: `no paid purchase ${input.purchaseId}` } }
  }
  const paid = Number(payment.amount_paid_minor)
  const left = paid - Number(payment.amount_refunded_minor)
  const amount = input.amountMinor ?? left
  if (left === 0) {
    return refused('this purchase has been refunded in full already')
  }
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > left) {
    return {
      ok: false,
      error: {
        code: 'VALIDATION',
        field: 'amountMinor',
        message: `amountMinor: must be a whole number of minor units from 1 to ${left}, what is left to refund of ${paid} ${payment.currency}`,
      },
    }
  }
  if (payment.dispute_status === 'open' || payment.dispute_status === 'lost') {
    return refused('this purchase is disputed: its money is the card issuer’s to give back, not the seller’s')
  }
  const provider = deps.provider
  const answer = (refundId: string, status: string) => ({
    ok: true as const,
    value: {
      purchaseId: payment.reference,
      refundId,
      status,
      amountMinor: amount,
      currency: payment.currency,
    },
  })
  if (provider?.kind === 'hosted' && provider.name === payment.provider && payment.payment_id !== null) {
    try {
      const started = await provider.refund({
        paymentId: payment.payment_id,
        amountMinor: amount,
        currency: payment.currency,
        idempotencyKey: `easel-refund-${payment.reference}-${Number(payment.amount_refunded_minor)}-${amount}`,
      })
      return answer(started.refundId, started.status)
    } catch (error) {
      if (error instanceof RefundRefused)
        return refused(`${provider.name} refused the refund: ${error.message}`)
      throw error
    }
  }
  if (payment.provider !== 'test') {
    return refused(
      `this purchase was paid through ${payment.provider}, which is not configured here now: refund it there, and the event it sends does the rest`,
    )
  }
  // Recorded as the test checkout's own event, by a key of the purchase and its new refunded
  // total: two clicks on the same refund are one refund, as a provider's idempotency key makes them.
  const total = Number(payment.amount_refunded_minor) + amount
  const key = `test-refund:${payment.reference}:${total}`
  try {
    await applyRefundTotal(deps, payment, total, {
      key,
      reason: 'refund of a test checkout purchase',
      record: async (tx, now, outcome) => {
        const inserted = await tx.run(
          `insert into payment_events (provider, event_id, type, object_id, account_id, outcome, created_at, received_at)
         values ('test', ?, 'charge.refunded', ?, ?, ?, ?, ?) on conflict (provider, event_id) do nothing`,
          [key, payment.reference, payment.account_id, outcome, now, now],
        )
        return inserted === 0 ? 'duplicate' : outcome
      },
    })
  } catch (error) {
    if (error instanceof StaleState) {
      return refused('another refund or dispute of this purchase was recorded meanwhile: look at it again')
    }
    throw error
  }
  return answer(key, 'succeeded')
}

function refused(message: string): { ok: false; error: RefundError } {
  return { ok: false, error: { code: 'REFUND_REFUSED', message } }
}
