import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { grantIntent, intentOfCurrent, paidAsAsked } from './checkout-events.ts'
import { type EventContext, type EventOutcome, recordEvent, writeEvent } from './event-records.ts'
import type { ChargeState, DisputeState, PaymentEvent } from './provider.ts'
import { recordMovement } from './purchase-records.ts'

/** A paid purchase's payment as `purchase_payments` holds it. */
export interface PaymentRow {
  reference: string
  account_id: string
  provider: string
  payment_id: string | null
  charge_id: string | null
  credits: number
  amount_paid_minor: number
  currency: string
  amount_refunded_minor: number
  credits_refunded: number
  dispute_id: string | null
  dispute_status: 'open' | 'won' | 'lost' | null
  credits_disputed: number
}

const PAYMENT_COLUMNS = `reference, account_id, provider, payment_id, charge_id, credits, amount_paid_minor, currency,
  amount_refunded_minor, credits_refunded, dispute_id, dispute_status, credits_disputed`

/** The state a handler decided on changed before its transaction: it is decided again. */
export class StaleState extends Error {}

/** Reads the payment again inside the transaction; throws {@link StaleState} if it moved meanwhile. */
async function unchanged(tx: SqlTx, seen: PaymentRow): Promise<void> {
  const [now] = await tx.all<PaymentRow>(
    `select ${PAYMENT_COLUMNS} from purchase_payments where reference = ?`,
    [seen.reference],
  )
  if (
    !now ||
    Number(now.amount_refunded_minor) !== Number(seen.amount_refunded_minor) ||
    now.dispute_id !== seen.dispute_id ||
    now.dispute_status !== seen.dispute_status
  ) {
    throw new StaleState(`the payment of ${seen.reference} changed meanwhile`)
  }
}

/**
 * Runs a handler's decision, and decides again if another event about the same payment committed
 * between its read and its transaction (two events delivered at once): the transaction checks
 * the payment it decided on is still as read, under the account's lock.
 */
async function decided(attempt: () => Promise<EventOutcome>): Promise<EventOutcome> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof StaleState) || tries >= 5) throw error
    }
  }
}

/** `charge.refunded`: the purchase's revoked credits in total follow the charge's refunded total. */
export function chargeRefunded(ctx: EventContext, event: PaymentEvent, charge: ChargeState) {
  return decided(async () => {
    const payment = await findPayment(ctx, charge.paymentId, charge.id)
    if (!payment) return recordEvent(ctx, event, { outcome: 'not_ours' })
    const refunded = charge.amountRefundedMinor
    if (refunded === null || charge.currency !== payment.currency) {
      return recordEvent(
        ctx,
        event,
        {
          outcome: 'amount_mismatch',
          accountId: payment.account_id,
          detail: JSON.stringify({ refunded, currency: charge.currency }),
        },
        { accounts: [payment.account_id] },
      )
    }
    return applyRefundTotal(ctx, payment, refunded, {
      key: `${ctx.provider.name}:${event.id}`,
      reason: `refund of ${charge.id}`,
      record: (tx, now, outcome) =>
        writeEvent(tx, now, ctx, event, { outcome, accountId: payment.account_id }),
    })
  })
}

/**
 * Brings a purchase's refunds up to `refundedTotal` (cumulative, as providers say it): the
 * revoked credits in total become ⌈credits × refunded ÷ paid⌉, capped by the ledger at what is
 * unspent, minus what was revoked before — so a second partial refund never revokes twice, and an
 * older total arriving late changes nothing. Credits already spent are counted as unrecovered on
 * the payment, for the operator, and never taken from other lots. `record` writes the cause (the
 * event) in the same transaction and says whether it was new.
 */
export async function applyRefundTotal(
  deps: { db: Database; ledger: Ledger },
  payment: PaymentRow,
  refundedTotal: number,
  how: {
    key: string
    reason: string
    record: (tx: SqlTx, now: number, outcome: EventOutcome) => Promise<EventOutcome>
  },
): Promise<EventOutcome> {
  const paid = Number(payment.amount_paid_minor)
  const before = Number(payment.amount_refunded_minor)
  const total = Math.min(refundedTotal, paid)
  if (total <= before) {
    return deps.db.write(
      {
        name: 'recordPaymentEvent',
        locks: { accounts: [payment.account_id] },
        run: async (tx, now) => {
          await unchanged(tx, payment)
          return how.record(tx, now, 'already_applied')
        },
      },
      deps.ledger.clock,
    )
  }
  // Exact: credits × refunded can pass 2^53, so the ceiling is taken in bigints.
  const target = Number((BigInt(payment.credits) * BigInt(total) + BigInt(paid) - 1n) / BigInt(paid))
  let outcome: EventOutcome = 'revoked'
  const revoked = await deps.ledger.revokePurchase(
    { providerReference: payment.reference, upTo: target, key: how.key, reason: how.reason },
    {
      alsoWrite: async (tx, revocation, now) => {
        await unchanged(tx, payment)
        outcome = await how.record(tx, now, 'revoked')
        if (outcome === 'duplicate') return
        await tx.run(
          `update purchase_payments set amount_refunded_minor = ?, credits_refunded = ?,
             credits_unrecovered = ?, updated_at = ? where reference = ?`,
          [total, revocation.revokedTotal, revocation.unrecovered, now, payment.reference],
        )
        recordMovement(tx, now, {
          reference: payment.reference,
          accountId: payment.account_id,
          kind: 'refund',
          amountMinor: total - before,
          currency: payment.currency,
        })
      },
    },
  )
  if (!revoked.ok) {
    throw new Error(`revoking the credits of ${payment.reference} failed: ${revoked.error.message}`)
  }
  return outcome
}

/** `charge.dispute.created`: the purchase's unspent credits leave at once, as a full refund's would. */
export function disputeCreated(ctx: EventContext, event: PaymentEvent, dispute: DisputeState) {
  return decided(async () => {
    const payment = await findPayment(ctx, dispute.paymentId, dispute.chargeId)
    if (!payment) return recordEvent(ctx, event, { outcome: 'not_ours' })
    // Seen already (closed before its opening arrived, or told twice): nothing changes.
    if (payment.dispute_id === dispute.id) return alreadyApplied(ctx, event, payment)
    return openDispute(ctx, event, payment, dispute, 'open')
  })
}

/** `charge.dispute.closed`: won gives the credits the dispute took back; lost leaves them revoked. */
export function disputeClosed(ctx: EventContext, event: PaymentEvent, dispute: DisputeState) {
  return decided(async () => {
    const payment = await findPayment(ctx, dispute.paymentId, dispute.chargeId)
    if (!payment) return recordEvent(ctx, event, { outcome: 'not_ours' })
    if (dispute.status === 'open') return alreadyApplied(ctx, event, payment)
    const seen = payment.dispute_id === dispute.id
    if (seen && payment.dispute_status !== 'open') return alreadyApplied(ctx, event, payment)
    // Closed before Easel heard it open: lost takes the credits as the opening would have.
    if (!seen && dispute.status === 'lost') return openDispute(ctx, event, payment, dispute, 'lost')
    if (!seen || dispute.status === 'won') return winDispute(ctx, event, payment, dispute)
    // Lost after Easel saw it open: the credits it took stay revoked; only its state changes.
    return ctx.db.write(
      {
        name: 'recordDispute',
        locks: { accounts: [payment.account_id] },
        run: async (tx, now) => {
          await unchanged(tx, payment)
          const outcome = await writeEvent(tx, now, ctx, event, {
            outcome: 'dispute_lost',
            accountId: payment.account_id,
          })
          if (outcome !== 'duplicate') {
            await writeDispute(tx, now, payment, dispute, 'lost', payment.credits_disputed)
          }
          return outcome
        },
      },
      ctx.ledger.clock,
    )
  })
}

async function openDispute(
  ctx: EventContext,
  event: PaymentEvent,
  payment: PaymentRow,
  dispute: DisputeState,
  status: 'open' | 'lost',
): Promise<EventOutcome> {
  let outcome: EventOutcome = status === 'lost' ? 'dispute_lost' : 'revoked'
  const revoked = await ctx.ledger.revokePurchase(
    {
      providerReference: payment.reference,
      upTo: payment.credits,
      key: `${ctx.provider.name}:${event.id}`,
      reason: `dispute ${dispute.id}`,
    },
    {
      alsoWrite: async (tx, revocation, now) => {
        await unchanged(tx, payment)
        outcome = await writeEvent(tx, now, ctx, event, { outcome, accountId: payment.account_id })
        if (outcome === 'duplicate') return
        await writeDispute(tx, now, payment, dispute, status, revocation.revokedNow)
        recordMovement(tx, now, {
          reference: payment.reference,
          accountId: payment.account_id,
          kind: 'dispute',
          amountMinor: dispute.amountMinor ?? 0,
          currency: dispute.currency,
        })
      },
    },
  )
  if (!revoked.ok) {
    throw new Error(`revoking the credits of ${payment.reference} failed: ${revoked.error.message}`)
  }
  return outcome
}

async function winDispute(
  ctx: EventContext,
  event: PaymentEvent,
  payment: PaymentRow,
  dispute: DisputeState,
): Promise<EventOutcome> {
  let outcome: EventOutcome = 'reinstated'
  const back = await ctx.ledger.reinstatePurchase(
    {
      providerReference: payment.reference,
      credits: payment.dispute_id === dispute.id ? payment.credits_disputed : 0,
      key: `${ctx.provider.name}:${event.id}`,
      reason: `dispute ${dispute.id} won`,
    },
    {
      alsoWrite: async (tx, _reinstated, now) => {
        await unchanged(tx, payment)
        outcome = await writeEvent(tx, now, ctx, event, { outcome, accountId: payment.account_id })
        if (outcome === 'duplicate') return
        await writeDispute(tx, now, payment, dispute, 'won', 0)
        // The money the dispute withdrew comes back only if it was withdrawn (Easel saw it open).
        if (payment.dispute_id === dispute.id) {
          recordMovement(tx, now, {
            reference: payment.reference,
            accountId: payment.account_id,
            kind: 'dispute_won',
            amountMinor: dispute.amountMinor ?? 0,
            currency: dispute.currency,
          })
        }
      },
    },
  )
  if (!back.ok) {
    throw new Error(`reinstating the credits of ${payment.reference} failed: ${back.error.message}`)
  }
  return outcome
}

async function writeDispute(
  tx: SqlTx,
  now: number,
  payment: PaymentRow,
  dispute: DisputeState,
  status: 'open' | 'won' | 'lost',
  creditsDisputed: number,
): Promise<void> {
  await tx.run(
    `update purchase_payments set dispute_id = ?, dispute_status = ?, dispute_amount_minor = ?,
       credits_disputed = ?, updated_at = ? where reference = ?`,
    [dispute.id, status, dispute.amountMinor ?? 0, creditsDisputed, now, payment.reference],
  )
}

function alreadyApplied(ctx: EventContext, event: PaymentEvent, payment: PaymentRow) {
  return recordEvent(
    ctx,
    event,
    { outcome: 'already_applied', accountId: payment.account_id },
    {
      accounts: [payment.account_id],
    },
  )
}

/**
 * The purchase a charge or dispute is about: by its payment (or charge) when Easel has it. Not yet
 * (the refund or dispute overtook the checkout's own event), the payment's checkout session is
 * fetched from the provider; if it is this installation's and paid, its pack is granted first —
 * as its own event would have — and the payment is read again.
 */
export async function findPayment(
  ctx: EventContext,
  paymentId: string | null,
  chargeId: string | null,
): Promise<PaymentRow | null> {
  const known = await readPayment(ctx, paymentId, chargeId)
  if (known || paymentId === null) return known
  const session = await ctx.provider.findCheckoutByPayment(paymentId)
  if (!session) return null
  const found = await intentOfCurrent(ctx, session)
  if (!found) return null
  const { intent } = found
  if (intent.status !== 'completed') {
    if (session.paymentStatus !== 'paid' || !paidAsAsked(session, intent)) {
      // Thrown so that the provider delivers it again: the payment's own news comes first.
      throw new Error(
        `an event about payment ${paymentId} of checkout ${session.id} arrived before the checkout was paid`,
      )
    }
    await grantIntent(ctx, session, intent, async () => {})
  }
  return readPayment(ctx, paymentId, chargeId)
}

async function readPayment(
  ctx: EventContext,
  paymentId: string | null,
  chargeId: string | null,
): Promise<PaymentRow | null> {
  if (paymentId === null && chargeId === null) return null
  const [row] = await ctx.db.kysely
    .selectFrom('purchase_payments')
    .selectAll()
    .where('provider', '=', ctx.provider.name)
    .where((eb) =>
      eb.or([
        ...(paymentId !== null ? [eb('payment_id', '=', paymentId)] : []),
        ...(chargeId !== null ? [eb('charge_id', '=', chargeId)] : []),
      ]),
    )
    .limit(1)
    .execute()
  return row ?? null
}
