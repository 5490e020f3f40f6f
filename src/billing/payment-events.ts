import { chargeRefunded, disputeClosed, disputeCreated } from './charge-events.ts'
import { CHECKOUT_HANDLERS, findIntent } from './checkout-events.ts'
import { type EventContext, type EventOutcome, isRecorded, recordEvent } from './event-records.ts'
import type { PaymentEvent } from './provider.ts'

export type { EventContext, EventOutcome } from './event-records.ts'

/**
 * Applies one verified event: the webhook's path and `easel billing reconcile`'s. One handler per
 * event type Easel acts on, by what the event is about: a checkout session (`checkout-events.ts`),
 * a charge refunded or a dispute (`charge-events.ts`). Every handler records its event with its
 * effect, in one transaction. An event seen before does nothing; an error is thrown, never
 * swallowed, so that the provider delivers the event again (a 5xx) or reconcile reports it.
 */
export async function applyPaymentEvent(ctx: EventContext, event: PaymentEvent): Promise<EventOutcome> {
  const { subject } = event
  const acts =
    (subject.kind === 'checkout' && event.type in CHECKOUT_HANDLERS) ||
    (subject.kind === 'charge' && event.type === 'charge.refunded') ||
    (subject.kind === 'dispute' &&
      (event.type === 'charge.dispute.created' || event.type === 'charge.dispute.closed'))
  if (!acts) return 'ignored'
  if (await isRecorded(ctx, event.id)) return 'duplicate'
  switch (subject.kind) {
    case 'checkout': {
      const found = await findIntent(ctx, subject.session)
      if (!found) return recordEvent(ctx, event, { outcome: 'not_ours', objectId: subject.session.id })
      return CHECKOUT_HANDLERS[event.type]!(ctx, event, found.session, found.intent)
    }
    case 'charge':
      return chargeRefunded(ctx, event, subject.charge)
    case 'dispute':
      return event.type === 'charge.dispute.created'
        ? disputeCreated(ctx, event, subject.dispute)
        : disputeClosed(ctx, event, subject.dispute)
  }
}
