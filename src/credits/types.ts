/** Where a lot's credits came from. */
export const LOT_SOURCES = ['monthly', 'bonus', 'promotional', 'purchase', 'refund', 'adjustment'] as const
export type LotSource = (typeof LOT_SOURCES)[number]

/**
 * Default burn priorities (lower burns first): free credits before paid ones. A price book may
 * override them; these are what `grant` uses when the caller names none.
 */
export const DEFAULT_PRIORITY: Record<LotSource, number> = {
  monthly: 10,
  bonus: 20,
  promotional: 30,
  refund: 40,
  purchase: 50,
  adjustment: 60,
}

/** Ledger buckets a posting moves credits between. Customer side: available, held. */
export type Bucket = 'issued' | 'available' | 'held' | 'consumed' | 'expired' | 'revoked'

export type TransactionKind =
  | 'grant'
  | 'hold'
  | 'capture'
  | 'release'
  | 'hold_expired'
  | 'refund'
  | 'expire'
  | 'revoke'
  | 'reinstate'

/** Integer minor units plus an ISO 4217 code: defined with the rest of money in `money.ts`. */
export type { Money } from './money.ts'

/** A lot as the burn order and the balance see it. */
export interface LotView {
  id: string
  source: string
  amount: number
  remaining: number
  priority: number
  grantedAt: number
  expiresAt: number | null
  /**
   * Credits of a purchase lot that a refund or dispute took while they were on hold
   * (`lots.revoke_owed`): they leave when they come back to the lot. Absent when none.
   */
  revokeOwed?: number
}

/** `[lotId, credits, lot expiry]`, in burn order: where a hold's credits came from. */
export type Allocation = readonly [lotId: string, amount: number, expiresAt: number | null]

export type HoldStatus = 'pending' | 'captured' | 'released' | 'expired'
