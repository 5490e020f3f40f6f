import type { AutoTopUpBody, AutoTopUpRequest, AutoTopUpSavedBody } from '../../src/contracts/auto-top-up.ts'
import { call } from './api.ts'

/** Auto top-up and the low-balance notice of the signed-in account (`/api/billing/auto-top-up`). */
export const autoTopUpApi = {
  get: () => call<AutoTopUpBody>('GET', '/api/billing/auto-top-up'),
  /**
   * Saves the choice. Turned on without a saved card, the answer's `checkoutUrl` is the checkout
   * that buys the pack once and saves the card: the studio sends the person there.
   */
  save: (choice: AutoTopUpRequest) => call<AutoTopUpSavedBody>('PUT', '/api/billing/auto-top-up', choice),
  /** Forgets the saved card, which turns auto top-up off. */
  forgetCard: () => call<AutoTopUpBody>('DELETE', '/api/billing/auto-top-up/card'),
}
