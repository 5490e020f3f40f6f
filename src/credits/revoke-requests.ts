import { checkOptionalText } from './amounts.ts'
import { ok, validation } from './errors.ts'
import type { PurchaseReinstatementInput, PurchaseRevocationInput } from './ops/revoke.ts'
import { firstRefusal, type Parsed, type Refusal } from './requests.ts'

// The door of `revokePurchase` and `reinstatePurchase` (see `requests.ts` for the others): each
// request checked as the caller sent it, only the known fields kept.

/** A revocation: bring the purchase's revoked credits up to `upTo` in total. */
export interface RevokePurchaseRequest {
  providerReference: string
  upTo: number
  /** Once per key: a repeat answers the first receipt; another request under it is a conflict. */
  key: string
  reason?: string | null
}

/** A reinstatement: give back up to `credits` of what revocations took. */
export interface ReinstatePurchaseRequest {
  providerReference: string
  credits: number
  key: string
  reason?: string | null
}

const MAX_KEY = 200

function checkRevocationKey(key: unknown): Refusal | null {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) {
    return validation('key', `must be 1 to ${MAX_KEY} characters`)
  }
  return null
}

/** Credits counted from 0: a target or an amount of nothing is a valid request. */
function checkWholeCredits(field: string, value: unknown): Refusal | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return validation(field, `must be a whole number of credits from 0 to ${Number.MAX_SAFE_INTEGER}`)
  }
  return null
}

function checkReference(reference: unknown): Refusal | null {
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 255) {
    return validation('providerReference', 'must be 1 to 255 characters')
  }
  return null
}

export function parseRevokePurchase(req: RevokePurchaseRequest): Parsed<PurchaseRevocationInput> {
  return (
    firstRefusal(
      checkReference(req.providerReference),
      checkWholeCredits('upTo', req.upTo),
      checkRevocationKey(req.key),
      checkOptionalText('reason', req.reason),
    ) ??
    ok({
      providerReference: req.providerReference,
      upTo: req.upTo,
      key: req.key,
      reason: req.reason ?? null,
    })
  )
}

export function parseReinstatePurchase(req: ReinstatePurchaseRequest): Parsed<PurchaseReinstatementInput> {
  return (
    firstRefusal(
      checkReference(req.providerReference),
      checkWholeCredits('credits', req.credits),
      checkRevocationKey(req.key),
      checkOptionalText('reason', req.reason),
    ) ??
    ok({
      providerReference: req.providerReference,
      credits: req.credits,
      key: req.key,
      reason: req.reason ?? null,
    })
  )
}
