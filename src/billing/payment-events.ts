import { PAYMENT_EVENT_TYPES, paymentEvent } from './auto-top-up-events.ts'
import { chargeRefunded, disputeClosed, disputeCreated } from './charge-events.ts'
import { CHECKOUT_HANDLERS, findIntent } from './checkout-events.ts'
import { type EventContext, type EventOutcome, isRecorded, recordEvent } from './event-records.ts'
import type { PaymentEvent } from './provider.ts'
import {
  INVOICE_EVENT_TYPES,
  invoiceEvent,
  SUBSCRIPTION_EVENT_TYPES,
  subscriptionCheckout,
  subscriptionEvent,
} from './subscription-events.ts'

export type { EventContext, EventOutcome } from './event-records.ts'

/**
 * Applies one verified event: the webhook's path and `easel billing reconcile`'s. One handler per
 * event type Easel acts on, by what the event is about: a checkout session (`checkout-events.ts`),
 * a charge refunded or a dispute (`charge-events.ts`), an auto top-up's payment
 * (`auto-top-up-events.ts`), a plan's subscription and its invoices (`subscription-events.ts`). Every handler records its event with its
 * effect, in one transaction. An event seen before does nothing; an error is thrown, never
 * swallowed, so that the provider delivers the event again (a 5xx) or reconcile reports it.
 */
export async function applyPaymentEvent(ctx: EventContext, event: PaymentEvent): Promise<EventOutcome> {
  const { subject } = event
  const acts =
    (subject.kind === 'checkout' && event.type in CHECKOUT_HANDLERS) ||
    (subject.kind === 'charge' && event.type === 'charge.refunded') ||
    (subject.kind === 'dispute' &&
      (event.type === 'charge.dispute.created' || event.type === 'charge.dispute.closed')) ||
    (subject.kind === 'payment' && PAYMENT_EVENT_TYPES.includes(event.type)) ||
    (subject.kind === 'invoice' && INVOICE_EVENT_TYPES.includes(event.type)) ||
    (subject.kind === 'subscription' && SUBSCRIPTION_EVENT_TYPES.includes(event.type))
  if (!acts) return 'ignored'
  if (await isRecorded(ctx, event.id)) return 'duplicate'
  switch (subject.kind) {
    case 'checkout': {
      const found = await findIntent(ctx, subject.session)
      if (!found) return recordEvent(ctx, event, { outcome: 'not_ours', objectId: subject.session.id })
      // A plan's checkout: its allowance comes from the subscription's paid invoices, not from here.
      if (found.intent.kind === 'subscription') {
        return subscriptionCheckout(ctx, event, found.session, found.intent)
      }
      return CHECKOUT_HANDLERS[event.type]!(ctx, event, found.session, found.intent)
    }
    case 'charge':
      return chargeRefunded(ctx, event, subject.charge)
    case 'dispute':
      return event.type === 'charge.dispute.created'
        ? disputeCreated(ctx, event, subject.dispute)
        : disputeClosed(ctx, event, subject.dispute)
    case 'payment':
      return paymentEvent(ctx, event, subject.payment)
    case 'invoice':
      return invoiceEvent(ctx, event, subject.invoice)
    case 'subscription':
      return subscriptionEvent(ctx, event, subject.subscription)
  }
}
