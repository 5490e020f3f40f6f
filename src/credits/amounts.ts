import { type CreditError, validation } from './errors.ts'

/**
 * Checks that `value` is a whole number of credits in 1 … 2^53−1 (what a JS number and a database
 * bigint both hold exactly). Returns the refusal to hand back, or null when it is fine.
 */
export function checkCredits(field: string, value: unknown): { ok: false; error: CreditError } | null {
  if (typeof value !== 'number' || Number.isNaN(value)) return validation(field, 'must be a number')
  if (!Number.isInteger(value)) return validation(field, `must be a whole number of credits, got ${value}`)
  if (value <= 0) return validation(field, `must be at least 1, got ${value}`)
  if (!Number.isSafeInteger(value)) return validation(field, `must be at most ${Number.MAX_SAFE_INTEGER}`)
  return null
}

/** Like {@link checkCredits} but for money in minor units, where 0 is allowed (free credits). */
export function checkMinorUnits(field: string, value: unknown): { ok: false; error: CreditError } | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return validation(field, 'must be a whole, non-negative number of minor units (e.g. cents)')
  }
  return null
}

export function checkId(
  field: string,
  value: unknown,
  prefix: string,
): { ok: false; error: CreditError } | null {
  if (typeof value !== 'string' || value.length === 0) return validation(field, 'is required')
  if (value.length > 100 || !value.startsWith(`${prefix}_`)) {
    return validation(field, `must be an id starting with "${prefix}_"`)
  }
  return null
}

export function checkOptionalText(
  field: string,
  value: unknown,
  max = 500,
): { ok: false; error: CreditError } | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') return validation(field, 'must be text')
  if (value.length > max) return validation(field, `must be at most ${max} characters`)
  return null
}
