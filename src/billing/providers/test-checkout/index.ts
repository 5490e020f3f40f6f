import { randomBytes } from 'node:crypto'
import type { Config } from '../../../config.ts'
import type { Result } from '../../../credits/index.ts'
import type { Clock } from '../../../util/clock.ts'
import type {
  Card,
  CardProvider,
  Charge,
  ChargeRequest,
  DeclineReason,
  PaymentProvider,
  PaymentProviderDeps,
  PaymentRefusal,
} from '../../provider.ts'

export const name = 'test' as const

/** On with `EASEL_TEST_CHECKOUT=on`: it hands out credits for test card numbers. */
export function fromConfig(config: Config, deps: PaymentProviderDeps): PaymentProvider<typeof name> | null {
  return config.server.testCheckout ? new TestCheckout(deps.clock) : null
}

/**
 * The built-in payment provider: an offline test checkout. It takes the card numbers payment
 * providers publish for testing — 4242 4242 4242 4242 and 5555 5555 5555 4444 succeed, and the
 * 4000 0000 0000 0002 family declines for the usual reasons — and never moves money. Other
 * providers sit beside it (`billing/providers/index.ts`); `Purchases` charges through whichever
 * is configured, then `Ledger.completePurchase` grants the pack.
 */
export class TestCheckout implements CardProvider<typeof name> {
  readonly kind = 'card'
  readonly name = name
  static readonly testCards = { success: '4242 4242 4242 4242', decline: '4000 0000 0000 0002' }

  constructor(private readonly clock: Clock) {}

  async charge(request: ChargeRequest): Promise<Result<Charge, PaymentRefusal>> {
    return this.chargeCard(request.card)
  }

  private chargeCard(card: Card): Result<Charge, PaymentRefusal> {
    const number = card.number.replace(/[\s-]/g, '')
    if (!/^\d{12,19}$/.test(number) || !luhn(number)) {
      return refuse({
        code: 'VALIDATION',
        field: 'card.number',
        message: 'card.number is not a valid card number',
      })
    }
    if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12) {
      return refuse({ code: 'VALIDATION', field: 'card.expMonth', message: 'card.expMonth must be 1 to 12' })
    }
    if (!/^\d{3,4}$/.test(card.cvc)) {
      return refuse({ code: 'VALIDATION', field: 'card.cvc', message: 'card.cvc must be 3 or 4 digits' })
    }
    const now = new Date(this.clock.now())
    const year = card.expYear < 100 ? 2000 + card.expYear : card.expYear
    const expired =
      year < now.getUTCFullYear() || (year === now.getUTCFullYear() && card.expMonth < now.getUTCMonth() + 1)
    const reason: DeclineReason | undefined = expired ? 'expired_card' : DECLINES[number]
    if (reason) return refuse({ code: 'CARD_DECLINED', reason, message: DECLINE_MESSAGES[reason] })
    return {
      ok: true,
      value: {
        reference: `ch_test_${randomBytes(12).toString('hex')}`,
        brand: number.startsWith('4') ? 'visa' : number.startsWith('5') ? 'mastercard' : 'card',
        last4: number.slice(-4),
      },
    }
  }
}

const refuse = (error: PaymentRefusal) => ({ ok: false as const, error })

const DECLINES: Record<string, DeclineReason> = {
  '4000000000000002': 'generic_decline',
  '4000000000009995': 'insufficient_funds',
  '4000000000000069': 'expired_card',
  '4000000000000127': 'incorrect_cvc',
}

const DECLINE_MESSAGES: Record<DeclineReason, string> = {
  generic_decline: 'Your card was declined. Nothing was charged; try another card.',
  insufficient_funds: 'Your card has insufficient funds. Nothing was charged.',
  expired_card: 'Your card has expired. Nothing was charged.',
  incorrect_cvc: "Your card's security code is incorrect. Nothing was charged.",
}

/** The Luhn checksum every card number carries. */
export function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}
