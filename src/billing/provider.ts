import type { Config } from '../config.ts'
import type { Result } from '../credits/index.ts'
import type { Clock } from '../util/clock.ts'

export { RefundRefused } from './providers/refund-refused.ts'
export { UnchargeableAmount } from './providers/unchargeable-amount.ts'

/** The card a buyer types into the built-in test checkout. */
export interface Card {
  number: string
  expMonth: number
  expYear: number
  cvc: string
  name?: string
}

/** Why a card was declined, in the words payment providers use. */
export type DeclineReason = 'generic_decline' | 'insufficient_funds' | 'expired_card' | 'incorrect_cvc'

/**
 * A provider's refusals, as values: a decline is an everyday answer (nothing was charged), and
 * payment details it cannot use are VALIDATION of the field at fault.
 */
export type PaymentRefusal =
  | { code: 'CARD_DECLINED'; reason: DeclineReason; message: string }
  | { code: 'VALIDATION'; field: string; message: string }

/** What a purchase asks a provider to take: a pack priced by the book in force. */
export interface ChargeRequest {
  accountId: string
  /** The purchase's reference: the pack is granted once per reference. */
  reference: string
  packId: string
  quantity: number
  /** The price in integer minor units of `currency` (ISO 4217), as the price book computed it. */
  amountMinor: number
  currency: string
  /** The payment details the buyer sent. */
  card: Card
}

/** A payment taken: the provider's own reference for it and what the buyer will recognise. */
export interface Charge {
  reference: string
  brand: string
  last4: string
}

/**
 * What `Purchases` needs of a payment provider: one of two kinds. Each provider is a folder
 * `billing/providers/<name>/` whose index.ts exports {@link PaymentProviderModule}, listed once
 * in `billing/providers/index.ts`.
 */
export type PaymentProvider<Name extends string = string> = CardProvider<Name> | HostedCheckoutProvider<Name>

/** A provider that takes a card in Easel's own form and charges it at once (the test checkout). */
export interface CardProvider<Name extends string = string> {
  readonly kind: 'card'
  /** Said to clients (`GET /api/packs`): which checkout takes payments. */
  readonly name: Name
  /** Takes payment for a priced pack, or says why not; nothing is charged on a refusal. */
  charge(request: ChargeRequest): Promise<Result<Charge, PaymentRefusal>>
}

/**
 * A provider whose own page takes the payment (Stripe Checkout): Easel starts a checkout session
 * and sends the buyer there; what happens next arrives later as signed events (a webhook), which
 * can also be listed from the provider to catch up on ones that never arrived.
 */
export interface HostedCheckoutProvider<Name extends string = string> {
  readonly kind: 'hosted'
  readonly name: Name
  /** Creates the provider's checkout session for a recorded intent; safe to repeat for one intent. */
  startCheckout(request: CheckoutRequest): Promise<CheckoutStarted>
  /** The event a webhook delivery carries, if its signature is good and recent; else why not. */
  verifyEvent(rawBody: Buffer, signature: string | undefined): Result<PaymentEvent, { message: string }>
  /** A checkout session as the provider has it now: for events about a state Easel has not seen. */
  retrieveCheckout(sessionId: string): Promise<CheckoutSession>
  /** The events of the kinds Easel acts on created since `sinceMs`, oldest first (all pages). */
  listEvents(sinceMs: number): AsyncIterable<PaymentEvent>
  /**
   * The checkout session a payment was made in, as the provider has it now, or null if none: how
   * an event about a charge or a dispute finds its purchase before the checkout's own event came.
   */
  findCheckoutByPayment(paymentId: string): Promise<CheckoutSession | null>
  /** The payment's charge and the provider's receipt page for it, when there is one. */
  paymentDetails(paymentId: string): Promise<PaymentDetails>
  /**
   * Asks the provider to give `amountMinor` of a payment back. The provider's own event about the
   * refunded charge does the rest (the revocation), whoever asked: the same key is one refund.
   */
  refund(request: RefundRequest): Promise<RefundStarted>
  /** The card a paid checkout's payment was made with, if it was saved for later; else null. */
  savedCard(paymentId: string): Promise<SavedCard | null>
  /** Pays with a saved card, without the buyer: see {@link OffSessionResult}. */
  chargeSavedCard(request: OffSessionCharge): Promise<OffSessionResult>
  /** Creates the provider's checkout for subscribing to a monthly plan; safe to repeat for one reference. */
  startSubscription(request: SubscriptionRequest): Promise<CheckoutStarted>
  /** Cancels a subscription at its period's end (it runs out, unrenewed), or takes that back. */
  setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<SubscriptionState>
  /** A subscription as the provider has it now. */
  retrieveSubscription(subscriptionId: string): Promise<SubscriptionState>
}

export interface PaymentDetails {
  chargeId: string | null
  receiptUrl: string | null
}

export interface RefundRequest {
  paymentId: string
  amountMinor: number
  currency: string
  /** The provider is asked once per key: a retried or doubled request is the same refund. */
  idempotencyKey: string
}

export interface RefundStarted {
  refundId: string
  /** The provider's word for it: `succeeded`, `pending`, `failed`, … */
  status: string
}

/** What a hosted checkout is asked to take: a recorded intent, priced by the book in force. */
export interface CheckoutRequest {
  accountId: string
  /** The intent's reference: the provider is asked once per reference (its idempotency key). */
  reference: string
  packId: string
  /** What the buyer sees on the provider's page: "115 credits". */
  description: string
  quantity: number
  /** The price of one pack (volume tier applied) in integer minor units of `currency`. */
  unitAmountMinor: number
  currency: string
  /** Where the provider sends the buyer back; `{SESSION}` is replaced by the session's id. */
  successUrl: string
  cancelUrl: string
  /**
   * Keep the card for payments made later without the buyer (auto top-up): the provider makes a
   * customer for the account (or uses `customerId`) and saves the payment method for off-session use.
   */
  saveCard?: boolean
  /** The account's customer at the provider, when it has one already. */
  customerId?: string | null
}

/** A monthly plan to subscribe to through the provider's checkout (`mode=subscription`). */
export interface SubscriptionRequest {
  accountId: string
  /** The subscription intent's reference: the provider is asked once per reference. */
  reference: string
  planId: string
  /** What the buyer sees: "Easel Pro — 200 credits a month". */
  description: string
  /** The plan's price for one month, in integer minor units of `currency`. */
  unitAmountMinor: number
  currency: string
  successUrl: string
  cancelUrl: string
  customerId?: string | null
}

/** A card kept at the provider for payments without the buyer (auto top-up). */
export interface SavedCard {
  customerId: string
  paymentMethodId: string
  /** What the buyer recognises it by: "visa •••• 4242". */
  label: string
}

/** A payment without the buyer, on a saved card (an auto top-up). */
export interface OffSessionCharge {
  accountId: string
  /** The intent's reference, put on the payment (its metadata) so its events find it. */
  reference: string
  packId: string
  customerId: string
  paymentMethodId: string
  amountMinor: number
  currency: string
  description: string
  /** The provider is asked once per key. */
  idempotencyKey: string
}

/**
 * What an off-session payment came to at once. A decline is an answer, not an error: the card
 * was refused (the provider also sends its failure event); `processing` settles later by event.
 */
export type OffSessionResult =
  | { status: 'succeeded' | 'processing'; paymentId: string }
  | { status: 'declined'; paymentId: string | null; reason: string }

export interface CheckoutStarted {
  sessionId: string
  /** The provider's page the buyer is sent to. */
  url: string
}

/** A checkout session, in provider-neutral terms (money in minor units, currency upper case). */
export interface CheckoutSession {
  id: string
  /** The intent's reference Easel put on the session. */
  reference: string | null
  status: 'open' | 'complete' | 'expired'
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required'
  amountTotalMinor: number | null
  currency: string | null
  /** The payment made in it (Stripe's PaymentIntent), once there is one. */
  paymentId: string | null
  /** `payment` (a pack) or `subscription` (a plan). */
  mode: 'payment' | 'subscription' | 'setup'
  /** The provider's customer the session made or used, if any. */
  customerId: string | null
  /** The subscription a `subscription` session started, once it exists. */
  subscriptionId: string | null
  /** Tax the provider added to the total (automatic tax), in minor units; 0 when none. */
  taxMinor: number
}

/** A payment's charge as the provider has it now (money in minor units, currency upper case). */
export interface ChargeState {
  id: string
  /** The payment it belongs to (Stripe's PaymentIntent). */
  paymentId: string | null
  amountMinor: number | null
  /** Refunded so far, in total: providers say the cumulative amount, not this refund's. */
  amountRefundedMinor: number | null
  currency: string
  receiptUrl: string | null
}

/** A payment (Stripe's PaymentIntent) as the provider has it now: an off-session one's outcome. */
export interface PaymentState {
  id: string
  status: 'succeeded' | 'failed' | 'processing' | 'other'
  amountMinor: number | null
  currency: string
  /** The intent Easel put on it (metadata), if it is Easel's. */
  reference: string | null
  customerId: string | null
  paymentMethodId: string | null
  /** Why it failed, in the provider's words (`Your card was declined.`), when it did. */
  failureMessage: string | null
}

/** A subscription's invoice: `invoice.paid` grants the plan's allowance for its period, once. */
export interface InvoiceState {
  id: string
  subscriptionId: string | null
  customerId: string | null
  status: 'paid' | 'open' | 'uncollectible' | 'void' | 'draft'
  amountPaidMinor: number | null
  currency: string
  /** The subscription period the invoice pays for (its line's period), ms since the epoch. */
  periodStart: number | null
  periodEnd: number | null
  /** Why an invoice is billed: `subscription_create`, `subscription_cycle`, … */
  billingReason: string | null
}

/** A subscription as the provider has it now. */
export interface SubscriptionState {
  id: string
  customerId: string | null
  /** active, trialing, past_due, unpaid, canceled, incomplete, incomplete_expired, paused. */
  status: string
  cancelAtPeriodEnd: boolean
  /** When the current period ends (the next renewal), ms since the epoch. */
  currentPeriodEnd: number | null
  /** The subscription intent Easel put on it (metadata), and the plan. */
  reference: string | null
  planId: string | null
}

/** A dispute (a chargeback, or an inquiry before one) about a charge. */
export interface DisputeState {
  id: string
  chargeId: string | null
  paymentId: string | null
  amountMinor: number | null
  currency: string
  /** Still argued, or closed: won (the money stays with the seller) or lost. */
  status: 'open' | 'won' | 'lost'
}

/**
 * An event from a hosted provider. `subject` is what it is about, in the terms Easel acts on;
 * kinds are added beside `checkout` (a charge refunded, a dispute, an invoice) as Easel learns to
 * act on them, and the dispatcher (`billing/payment-events.ts`) gets one handler per type.
 */
export interface PaymentEvent {
  id: string
  type: string
  /** When the provider created it, ms since the epoch. */
  createdAt: number
  subject:
    | { kind: 'checkout'; session: CheckoutSession }
    | { kind: 'charge'; charge: ChargeState }
    | { kind: 'dispute'; dispute: DisputeState }
    | { kind: 'payment'; payment: PaymentState }
    | { kind: 'invoice'; invoice: InvoiceState }
    | { kind: 'subscription'; subscription: SubscriptionState }
    | { kind: 'other'; objectId: string | null }
}

/** What a provider may use besides its configuration. */
export interface PaymentProviderDeps {
  clock: Clock
}

/** The shape every `billing/providers/<name>/index.ts` exports. */
export interface PaymentProviderModule<Name extends string = string> {
  readonly name: Name
  /** The provider when the configuration turns it on, else null. */
  fromConfig(config: Config, deps: PaymentProviderDeps): PaymentProvider<Name> | null
}
