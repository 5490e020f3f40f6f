import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { fromStripeAmount } from '../../src/billing/providers/stripe/amounts.ts'
import { formatMoney } from '../../src/credits/index.ts'

/**
 * The payments behind the fake Stripe's Checkout Sessions: PaymentIntents, Charges, Refunds and
 * Disputes, shaped as Stripe's published example objects (`fixtures3.json`) with the fields Easel
 * reads kept true to Stripe's API reference:
 *
 * - a paid session has a PaymentIntent (`pi_…`, `status: succeeded`, the session's
 *   `payment_intent_data[metadata]`, `latest_charge`) and one Charge (`ch_…`, `amount` = the
 *   session's `amount_total`, `payment_intent`, a `receipt_url` on the fake host); a session
 *   completed unpaid (a bank debit) has a PaymentIntent `processing` and no charge until it settles;
 * - a refund (`re_…`) adds to the charge's cumulative `amount_refunded` (`refunded` once nothing is
 *   left) and makes `charge.refunded`, whose `data.object` is the charge and whose
 *   `data.previous_attributes` says what the refund changed;
 * - a dispute (`dp_…`) makes `charge.dispute.created`, deciding it `charge.dispute.closed`
 *   (`data.object` the dispute, in both).
 *
 * Stripe's refusals are thrown as {@link StripeApiError}, which the server answers as Stripe would.
 */

const FIXTURES = JSON.parse(fs.readFileSync('/work/shared/fixtures/stripe/fixtures3.json', 'utf8')) as {
  resources: Record<string, Record<string, unknown>>
}

export type StripeEvent = Record<string, unknown> & { id: string; type: string; created: number }

export type StripePaymentIntent = Record<string, unknown> & {
  id: string
  object: 'payment_intent'
  amount: number
  currency: string
  status: 'processing' | 'succeeded' | 'requires_payment_method' | 'requires_confirmation'
  latest_charge: string | null
  metadata: Record<string, string>
}

export type StripeRefund = Record<string, unknown> & {
  id: string
  object: 'refund'
  amount: number
  charge: string
  payment_intent: string | null
  currency: string
  status: string
}

export type StripeCharge = Record<string, unknown> & {
  id: string
  object: 'charge'
  amount: number
  amount_refunded: number
  refunded: boolean
  disputed: boolean
  currency: string
  payment_intent: string | null
  receipt_url: string
  refunds: { object: 'list'; data: StripeRefund[]; has_more: boolean; url: string }
}

/** Stripe's statuses of a dispute (https://docs.stripe.com/api/disputes/object#dispute_object-status). */
export type StripeDisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented'

export type StripeDispute = Record<string, unknown> & {
  id: string
  object: 'dispute'
  amount: number
  charge: string
  payment_intent: string | null
  currency: string
  status: StripeDisputeStatus
  is_charge_refundable: boolean
}

/** An error answer of Stripe's API: the HTTP status and the `error` object of the body. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    /** Stripe's error object; a card error also carries the PaymentIntent and payment method. */
    readonly error: { type: string; message: string; code?: string; param?: string } & Record<
      string,
      unknown
    >,
  ) {
    super(error.message)
  }
}

/** What the payments need of the fake host: its clock, its address, and its event log. */
export interface PaymentsHost {
  now(): number
  readonly url: string
  makeEvent(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): StripeEvent
  /** Another object the host holds (a customer, a payment method), for `expand[]`. */
  lookup?(objectId: string): Record<string, unknown> | undefined
}

/** Dispute statuses of a chargeback still argued or lost: Stripe refuses to refund such a charge. */
const CHARGED_BACK: readonly StripeDisputeStatus[] = ['needs_response', 'under_review', 'lost']

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`

export class FakePayments {
  readonly paymentIntents = new Map<string, StripePaymentIntent>()
  readonly charges = new Map<string, StripeCharge>()
  readonly refunds = new Map<string, StripeRefund>()
  readonly disputes = new Map<string, StripeDispute>()

  constructor(private readonly host: PaymentsHost) {}

  private seconds(): number {
    return Math.floor(this.host.now() / 1000)
  }

  /**
   * The payment of a session as it settles: its PaymentIntent is made on the first call (for the
   * session's `amount_total` and `currency` then), its charge when it succeeds.
   */
  settle(
    session: { payment_intent?: unknown; amount_total: number | null; currency: string | null },
    metadata: Record<string, string>,
    outcome: 'succeeded' | 'processing' | 'failed',
  ): StripePaymentIntent {
    let intent =
      typeof session.payment_intent === 'string' ? this.paymentIntents.get(session.payment_intent) : undefined
    if (!intent) {
      intent = this.intent(session.amount_total ?? 0, session.currency ?? 'usd', metadata)
      session.payment_intent = intent.id
    }
    if (outcome === 'succeeded') this.capture(intent)
    intent.status =
      outcome === 'succeeded' || intent.latest_charge !== null
        ? 'succeeded'
        : outcome === 'failed'
          ? 'requires_payment_method'
          : 'processing'
    return intent
  }

  /** A new PaymentIntent of `amount` (Stripe's units), `processing` until it settles. */
  intent(amount: number, currency: string, metadata: Record<string, string>): StripePaymentIntent {
    const intentId = id('pi')
    const intent: StripePaymentIntent = {
      ...structuredClone(FIXTURES.resources.payment_intent!),
      id: intentId,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      client_secret: `${intentId}_secret_${randomBytes(12).toString('hex')}`,
      created: this.seconds(),
      currency,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: { ...metadata },
      next_action: null,
      processing: null,
      status: 'processing',
    }
    this.paymentIntents.set(intentId, intent)
    return intent
  }

  /** The money of a PaymentIntent is taken: its charge (once), and it has `succeeded`. */
  capture(intent: StripePaymentIntent): StripeCharge {
    if (intent.latest_charge === null) {
      intent.latest_charge = this.charge(intent).id
      intent.amount_received = intent.amount
      intent.last_payment_error = null
    }
    intent.status = 'succeeded'
    return this.charges.get(intent.latest_charge)!
  }

  private charge(intent: StripePaymentIntent): StripeCharge {
    const chargeId = id('ch')
    const charge: StripeCharge = {
      ...structuredClone(FIXTURES.resources.charge!),
      id: chargeId,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      captured: true,
      created: this.seconds(),
      currency: intent.currency,
      description: null,
      disputed: false,
      livemode: false,
      metadata: {},
      paid: true,
      payment_intent: intent.id,
      receipt_url: `${this.host.url}/receipts/payment/${chargeId}`,
      refunded: false,
      refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${chargeId}/refunds` },
      status: 'succeeded',
    }
    this.charges.set(chargeId, charge)
    return charge
  }

  /** The charge a refund names, by `payment_intent` or `charge`, as `POST /v1/refunds` finds it. */
  refundable(target: { paymentIntent?: string; charge?: string }): StripeCharge {
    if (target.paymentIntent !== undefined) {
      const intent = this.paymentIntents.get(target.paymentIntent)
      if (!intent) throw missing('payment_intent', target.paymentIntent)
      if (intent.latest_charge === null) {
        throw new StripeApiError(400, {
          type: 'invalid_request_error',
          code: 'payment_intent_unexpected_state',
          param: 'payment_intent',
          message: `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
        })
      }
      return this.charges.get(intent.latest_charge)!
    }
    if (target.charge !== undefined) {
      const charge = this.charges.get(target.charge)
      if (!charge) throw missing('charge', target.charge)
      return charge
    }
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'parameter_missing',
      message: 'One of the following params should be provided for this request: payment_intent or charge.',
    })
  }

  /**
   * Refunds `amount` (Stripe's units; default: all that is left) of a charge, or throws Stripe's
   * refusal: nothing left (`charge_already_refunded`), more than is left, a charge charged back
   * (`charge_disputed`).
   */
  refund(charge: StripeCharge, amount?: number): { refund: StripeRefund; event: StripeEvent } {
    const left = charge.amount - charge.amount_refunded
    if (left === 0) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        message: `Charge ${charge.id} has already been refunded.`,
      })
    }
    const disputes = [...this.disputes.values()].filter((d) => d.charge === charge.id)
    if (disputes.some((d) => CHARGED_BACK.includes(d.status))) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        code: 'charge_disputed',
        message: `Charge ${charge.id} has been charged back; it cannot be refunded.`,
      })
    }
    const refunding = amount ?? left
    if (refunding > left) {
      const shown = (a: number) =>
        formatMoney({
          amountMinor: fromStripeAmount(a, charge.currency) ?? a,
          currency: charge.currency.toUpperCase(),
        })
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        param: 'amount',
        message: `Refund amount (${shown(refunding)}) is greater than unrefunded amount on charge (${shown(left)})`,
      })
    }
    const refund: StripeRefund = {
      ...structuredClone(FIXTURES.resources.refund!),
      id: id('re'),
      object: 'refund',
      amount: refunding,
      charge: charge.id,
      created: this.seconds(),
      currency: charge.currency,
      metadata: {},
      payment_intent: charge.payment_intent,
      status: 'succeeded',
    }
    this.refunds.set(refund.id, refund)
    const previous = {
      amount_refunded: charge.amount_refunded,
      ...(refunding === left ? { refunded: false } : {}),
    }
    charge.amount_refunded += refunding
    charge.refunded = charge.amount_refunded === charge.amount
    charge.refunds.data.unshift(refund)
    return { refund, event: this.host.makeEvent('charge.refunded', charge, previous) }
  }

  /** A buyer disputes a charge: a chargeback (`needs_response`) unless `status` says an inquiry. */
  openDispute(
    charge: StripeCharge,
    how: { status?: StripeDisputeStatus; amount?: number } = {},
  ): { dispute: StripeDispute; event: StripeEvent } {
    const status = how.status ?? 'needs_response'
    const dispute: StripeDispute = {
      ...structuredClone(FIXTURES.resources.dispute!),
      id: id('dp'),
      object: 'dispute',
      amount: how.amount ?? charge.amount,
      charge: charge.id,
      created: this.seconds(),
      currency: charge.currency,
      evidence_details: {
        ...(FIXTURES.resources.dispute!.evidence_details as Record<string, unknown>),
        due_by: this.seconds() + 7 * 86_400,
      },
      // An inquiry (`warning_*`) leaves the charge refundable; a chargeback does not.
      is_charge_refundable: status.startsWith('warning_'),
      livemode: false,
      payment_intent: charge.payment_intent,
      status,
    }
    this.disputes.set(dispute.id, dispute)
    charge.disputed = true
    return { dispute, event: this.host.makeEvent('charge.dispute.created', dispute) }
  }

  /** The dispute is decided (or the inquiry closed): `charge.dispute.closed`. */
  closeDispute(
    disputeId: string,
    status: 'won' | 'lost' | 'warning_closed' | 'prevented',
  ): { dispute: StripeDispute; event: StripeEvent } {
    const dispute = this.disputes.get(disputeId)
    if (!dispute) throw new Error(`no dispute ${disputeId}`)
    const closed: readonly StripeDisputeStatus[] = ['won', 'lost', 'warning_closed', 'prevented']
    if (closed.includes(dispute.status)) throw new Error(`dispute ${disputeId} is already ${dispute.status}`)
    const previous = { status: dispute.status }
    dispute.status = status
    dispute.is_charge_refundable = false
    return { dispute, event: this.host.makeEvent('charge.dispute.closed', dispute, previous) }
  }

  /** `object` with the `expand[]` fields Stripe can expand here replaced by the objects they name. */
  expand(object: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
    const copy = structuredClone(object)
    for (const field of fields) {
      const value = copy[field]
      if (typeof value !== 'string') continue
      copy[field] =
        this.paymentIntents.get(value) ??
        this.charges.get(value) ??
        this.refunds.get(value) ??
        this.disputes.get(value) ??
        this.host.lookup?.(value) ??
        value
    }
    return copy
  }

  /** An object by id, of the kinds held here, for `GET /v1/<kind>/:id`. */
  find(kind: string, objectId: string): Record<string, unknown> {
    const table = {
      payment_intents: this.paymentIntents,
      charges: this.charges,
      refunds: this.refunds,
      disputes: this.disputes,
    }[kind]
    const found = table?.get(objectId)
    if (!found) throw missing(kind.replace(/s$/, ''), objectId)
    return found
  }
}

function missing(what: string, objectId: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: what === 'payment_intent' || what === 'charge' ? what : 'id',
    message: `No such ${what}: '${objectId}'`,
  })
}
