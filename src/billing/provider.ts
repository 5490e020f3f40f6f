import type { Config } from '../config.ts'
import type { Result } from '../credits/index.ts'
import type { Clock } from '../util/clock.ts'

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
 * What `Purchases` needs of a payment provider. Each provider is a folder
 * `billing/providers/<name>/` whose index.ts exports {@link PaymentProviderModule}, listed once
 * in `billing/providers/index.ts`.
 */
export interface PaymentProvider<Name extends string = string> {
  /** Said to clients (`GET /api/packs`): which checkout takes payments. */
  readonly name: Name
  /** Takes payment for a priced pack, or says why not; nothing is charged on a refusal. */
  charge(request: ChargeRequest): Promise<Result<Charge, PaymentRefusal>>
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
