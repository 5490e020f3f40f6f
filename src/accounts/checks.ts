import { checkAccountProfile } from '../credits/index.ts'
import { invalid, type Refusal } from './errors.ts'

// Input checks more than one of the service's jobs make, answered as its VALIDATION refusals.

/** The ledger's rule for plan and cohort names, as this service's refusal. */
export function checkProfile(input: { plan?: unknown; cohorts?: unknown }): Refusal | null {
  const refused = checkAccountProfile(input)
  return refused?.error.code === 'VALIDATION' ? invalid(refused.error.field, stripField(refused.error)) : null
}

/** One name (an invite's cohort) by the same rule, refused under `field`. */
export function checkName(field: string, value: unknown): Refusal | null {
  const refused = checkAccountProfile({ plan: value })
  return refused?.error.code === 'VALIDATION' ? invalid(field, stripField(refused.error)) : null
}

const stripField = (e: { field: string; message: string }): string =>
  e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message

/** A time in ms in the future, or null (never); VALIDATION otherwise. */
export function checkExpiry(field: string, value: unknown, now: number): Refusal | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return invalid(field, 'must be a time in milliseconds since the epoch, or null for never')
  }
  return value > now ? null : invalid(field, 'must be in the future')
}
