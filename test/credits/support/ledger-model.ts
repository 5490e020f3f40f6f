/**
 * An in-memory model of the credit ledger for the model-based test (`ledger.model.test.ts`),
 * written from the rules of DESIGN.md §1-3 and the documented behaviour of the ledger's public
 * methods, and sharing no code with `src/credits`.
 *
 * It is deliberately naive:
 * - Credits are tracked one by one (the test's amounts are small), so a hold is the list of lots its
 *   credits came from, a capture takes the front of that list and a refund pops the back of what was
 *   consumed. Burn order and last-in-first-out refunds fall out of list order instead of arithmetic.
 * - Time is applied eagerly: whenever the clock moves, holds past their TTL are released and lots
 *   past their expiry lose what they have left (counted as expired); credits coming back to an
 *   expired lot expire at once. The real ledger records time lazily (a sweep), but every answer it
 *   gives must be the one this eager model gives.
 */

export const MODEL_SOURCES = ['monthly', 'bonus', 'promotional', 'purchase', 'refund', 'adjustment'] as const
export type ModelSource = (typeof MODEL_SOURCES)[number]

/** DESIGN.md §1: free credits before paid ones (refund and adjustment lots in between and last). */
export const MODEL_DEFAULT_PRIORITY: Record<ModelSource, number> = {
  monthly: 10,
  bonus: 20,
  promotional: 30,
  refund: 40,
  purchase: 50,
  adjustment: 60,
}

export interface ModelLot {
  /** Position in `lots`: grant order, which is also the order of the real lot ids. */
  index: number
  account: number
  source: ModelSource
  priority: number
  amount: number
  remaining: number
  grantedAt: number
  expiresAt: number | null
}

/** `lapsed`: its TTL ran out before it was captured or released (the ledger released it). */
export type ModelHoldStatus = 'pending' | 'captured' | 'released' | 'lapsed'

export interface ModelHold {
  index: number
  account: number
  amount: number
  createdAt: number
  expiresAt: number
  status: ModelHoldStatus
  /** One entry per held credit: the lot it came from, in burn order at the time of the hold. */
  units: number[]
  /** Credits consumed by the capture and not refunded yet, in consumption order (a stack). */
  consumed: number[]
  captured: number
  refunded: number
}

export interface ModelTotals {
  granted: number
  consumed: number
  expired: number
}

export type ModelError =
  | { code: 'INSUFFICIENT_CREDITS'; requested: number; available: number }
  | { code: 'HOLD_EXPIRED'; expiredAt: number }
  | { code: 'HOLD_ALREADY_SETTLED'; status: 'captured' | 'released' }
  | { code: 'HOLD_NOT_CAPTURED'; status: 'pending' | 'released' | 'expired' }
  | { code: 'REFUND_EXCEEDS_CAPTURE'; refundable: number }
  | { code: 'VALIDATION'; field: string }

export type ModelResult<T> = { ok: true; value: T } | { ok: false; error: ModelError }

export interface ModelBalance {
  available: number
  held: number
  /** Lots with spendable or held credits, in burn order (an expired lot shows 0 remaining). */
  lots: Array<{ lot: number; remaining: number; held: number }>
  /** Pending holds. */
  holds: Array<{ hold: number; amount: number; expiresAt: number }>
}

const refuse = (error: ModelError): { ok: false; error: ModelError } => ({ ok: false, error })

/** Lowest priority number, then soonest expiry (never last), then oldest grant, then grant order. */
function burnsBefore(a: ModelLot, b: ModelLot): number {
  if (a.priority !== b.priority) return a.priority - b.priority
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY
  if (ea !== eb) return ea < eb ? -1 : 1
  if (a.grantedAt !== b.grantedAt) return a.grantedAt - b.grantedAt
  return a.index - b.index
}

interface State {
  now: number
  lots: ModelLot[]
  holds: ModelHold[]
  totals: ModelTotals[]
}

export class LedgerModel {
  private constructor(private readonly s: State) {}

  static start(now: number, accounts: number): LedgerModel {
    return new LedgerModel({
      now,
      lots: [],
      holds: [],
      totals: Array.from({ length: accounts }, () => ({ granted: 0, consumed: 0, expired: 0 })),
    })
  }

  /** An independent copy, e.g. to see what the books will look like later. */
  clone(): LedgerModel {
    return new LedgerModel(structuredClone(this.s))
  }

  get now(): number {
    return this.s.now
  }

  get lots(): readonly ModelLot[] {
    return this.s.lots
  }

  get holds(): readonly ModelHold[] {
    return this.s.holds
  }

  totals(account: number): ModelTotals {
    return { ...this.s.totals[account]! }
  }

  isLive(lot: ModelLot): boolean {
    return lot.expiresAt === null || lot.expiresAt > this.s.now
  }

  /** A hold whose TTL has run out by now, captured or not. */
  isOverdue(hold: ModelHold): boolean {
    return hold.expiresAt <= this.s.now
  }

  /** Moves the clock forward and lets time do its work. */
  advanceTo(t: number): void {
    if (t < this.s.now) throw new Error(`model clock cannot go back from ${this.s.now} to ${t}`)
    this.s.now = t
    for (const hold of this.s.holds) {
      if (hold.status === 'pending' && this.isOverdue(hold)) {
        hold.status = 'lapsed'
        for (const lot of hold.units) this.giveBack(lot)
      }
    }
    for (const lot of this.s.lots) {
      if (!this.isLive(lot) && lot.remaining > 0) {
        this.s.totals[lot.account]!.expired += lot.remaining
        lot.remaining = 0
      }
    }
    this.selfCheck()
  }

  /** The soonest lot expiry or pending hold TTL after now, if any. */
  nextDeadline(): number | null {
    let next: number | null = null
    const consider = (t: number | null) => {
      if (t !== null && t > this.s.now && (next === null || t < next)) next = t
    }
    for (const lot of this.s.lots) if (lot.remaining > 0 || this.heldOf(lot) > 0) consider(lot.expiresAt)
    for (const hold of this.s.holds) if (hold.status === 'pending') consider(hold.expiresAt)
    return next
  }

  /** The latest lot expiry or pending hold TTL still ahead, if any: past it, time has done all it will. */
  lastDeadline(): number | null {
    let last: number | null = null
    const consider = (t: number | null) => {
      if (t !== null && t > this.s.now && (last === null || t > last)) last = t
    }
    for (const lot of this.s.lots) consider(lot.expiresAt)
    for (const hold of this.s.holds) if (hold.status === 'pending') consider(hold.expiresAt)
    return last
  }

  grant(
    account: number,
    req: { source: ModelSource; amount: number; priority?: number; expiresAt: number | null },
  ): ModelLot {
    const lot: ModelLot = {
      index: this.s.lots.length,
      account,
      source: req.source,
      priority: req.priority ?? MODEL_DEFAULT_PRIORITY[req.source],
      amount: req.amount,
      remaining: req.amount,
      grantedAt: this.s.now,
      expiresAt: req.expiresAt,
    }
    this.s.lots.push(lot)
    this.s.totals[account]!.granted += req.amount
    this.selfCheck()
    return { ...lot }
  }

  hold(account: number, amount: number, ttlMs: number): ModelResult<ModelHold> {
    const spendable = this.burnOrder(account).filter((l) => this.isLive(l) && l.remaining > 0)
    const available = spendable.reduce((sum, l) => sum + l.remaining, 0)
    if (amount > available) return refuse({ code: 'INSUFFICIENT_CREDITS', requested: amount, available })
    const units: number[] = []
    for (const lot of spendable) {
      while (lot.remaining > 0 && units.length < amount) {
        lot.remaining--
        units.push(lot.index)
      }
    }
    const hold: ModelHold = {
      index: this.s.holds.length,
      account,
      amount,
      createdAt: this.s.now,
      expiresAt: this.s.now + ttlMs,
      status: 'pending',
      units,
      consumed: [],
      captured: 0,
      refunded: 0,
    }
    this.s.holds.push(hold)
    this.selfCheck()
    return { ok: true, value: structuredClone(hold) }
  }

  /** Charges `amount` (all when absent) of a pending hold; the rest of it goes back. */
  capture(
    holdIndex: number,
    amount: number | undefined,
  ): ModelResult<{ captured: number; returned: number; account: number }> {
    const hold = this.s.holds[holdIndex]!
    const refused = this.unsettleable(hold)
    if (refused) return refused
    const charge = amount ?? hold.amount
    if (charge > hold.amount) return refuse({ code: 'VALIDATION', field: 'amount' })
    hold.status = 'captured'
    hold.captured = charge
    hold.consumed = hold.units.slice(0, charge)
    for (const lot of hold.units.slice(charge)) this.giveBack(lot)
    this.s.totals[hold.account]!.consumed += charge
    this.selfCheck()
    return { ok: true, value: { captured: charge, returned: hold.amount - charge, account: hold.account } }
  }

  release(holdIndex: number): ModelResult<{ released: number; account: number }> {
    const hold = this.s.holds[holdIndex]!
    const refused = this.unsettleable(hold)
    if (refused) return refused
    hold.status = 'released'
    for (const lot of hold.units) this.giveBack(lot)
    this.selfCheck()
    return { ok: true, value: { released: hold.amount, account: hold.account } }
  }

  /** Gives back `amount` (all that is refundable when absent) of a capture, last consumed first. */
  refund(
    holdIndex: number,
    amount: number | undefined,
  ): ModelResult<{ refunded: number; expired: number; refundable: number; account: number }> {
    const hold = this.s.holds[holdIndex]!
    if (hold.status !== 'captured') {
      return refuse({
        code: 'HOLD_NOT_CAPTURED',
        status: hold.status === 'lapsed' ? 'expired' : hold.status,
      })
    }
    const refundable = hold.consumed.length
    const give = amount ?? refundable
    if (refundable === 0 || give > refundable) return refuse({ code: 'REFUND_EXCEEDS_CAPTURE', refundable })
    let expired = 0
    for (let i = 0; i < give; i++) {
      const lot = this.s.lots[hold.consumed.pop()!]!
      if (!this.isLive(lot)) expired++
      this.giveBack(lot.index)
    }
    hold.refunded += give
    this.s.totals[hold.account]!.consumed -= give
    this.selfCheck()
    return {
      ok: true,
      value: { refunded: give, expired, refundable: refundable - give, account: hold.account },
    }
  }

  balance(account: number): ModelBalance {
    const lots: ModelBalance['lots'] = []
    let available = 0
    for (const lot of this.burnOrder(account)) {
      const held = this.heldOf(lot)
      const live = this.isLive(lot)
      if (live) available += lot.remaining
      if ((live && lot.remaining > 0) || held > 0)
        lots.push({ lot: lot.index, remaining: lot.remaining, held })
    }
    const holds = this.s.holds
      .filter((h) => h.account === account && h.status === 'pending')
      .map((h) => ({ hold: h.index, amount: h.amount, expiresAt: h.expiresAt }))
    return { available, held: holds.reduce((sum, h) => sum + h.amount, 0), lots, holds }
  }

  /**
   * Why a capture or release cannot settle this hold. A hold whose TTL ran out answers HOLD_EXPIRED,
   * whether or not anything has recorded that yet: the answer must not depend on a sweep.
   */
  private unsettleable(hold: ModelHold): { ok: false; error: ModelError } | null {
    if (hold.status === 'captured' || hold.status === 'released') {
      return refuse({ code: 'HOLD_ALREADY_SETTLED', status: hold.status })
    }
    if (hold.status === 'lapsed') return refuse({ code: 'HOLD_EXPIRED', expiredAt: hold.expiresAt })
    return null
  }

  /** One credit back to its lot; it expires at once if the lot has. */
  private giveBack(lotIndex: number): void {
    const lot = this.s.lots[lotIndex]!
    if (this.isLive(lot)) lot.remaining++
    else this.s.totals[lot.account]!.expired++
  }

  private heldOf(lot: ModelLot): number {
    let held = 0
    for (const hold of this.s.holds) {
      if (hold.status !== 'pending') continue
      for (const unit of hold.units) if (unit === lot.index) held++
    }
    return held
  }

  private burnOrder(account: number): ModelLot[] {
    return this.s.lots.filter((l) => l.account === account).sort(burnsBefore)
  }

  /** The model's own books must balance too, or its verdicts mean nothing. */
  private selfCheck(): void {
    for (const lot of this.s.lots) {
      if (lot.remaining < 0 || lot.remaining > lot.amount)
        throw new Error(`model lot ${lot.index} out of range`)
      if (!this.isLive(lot) && lot.remaining !== 0) throw new Error(`model lot ${lot.index} expired unswept`)
    }
    for (const [account, t] of this.s.totals.entries()) {
      const b = this.balance(account)
      if (t.granted !== b.available + b.held + t.consumed + t.expired) {
        throw new Error(`model account ${account} does not balance: ${JSON.stringify({ ...t, ...b })}`)
      }
    }
  }
}
