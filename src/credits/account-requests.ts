import { checkId, checkOptionalText } from './amounts.ts'
import { ok, validation } from './errors.ts'
import type { CreateAccountInput, ProfileChangeInput } from './ops/account.ts'
import { checkKey, firstRefusal, type Parsed, type Refusal } from './requests.ts'

// The parsers of the requests about accounts themselves (opening one, its plan, cohorts and held
// free grants), beside `requests.ts`'s of credit movements: the same boundary, run once.

const NAME_RULE = 'must be 1 to 40 lower-case letters, digits, - or _, starting with a letter'
const isName = (v: unknown): v is string => typeof v === 'string' && /^[a-z][a-z0-9_-]{0,39}$/.test(v)

/**
 * Refuses a plan or cohort names that are not short lower-case names (`pro`, `beta`, `early-2026`);
 * the rule every ledger method that takes them applies, exported for callers that check first.
 *
 * @example
 * checkAccountProfile({ plan: 'pro', cohorts: ['beta'] }) // → null
 * checkAccountProfile({ cohorts: ['Beta'] })              // → { ok: false, error: { code: 'VALIDATION', field: 'cohorts', … } }
 */
export function checkAccountProfile(input: { plan?: unknown; cohorts?: unknown }): Refusal | null {
  return firstRefusal(
    input.plan === undefined || isName(input.plan) ? null : validation('plan', NAME_RULE),
    input.cohorts === undefined || (Array.isArray(input.cohorts) && input.cohorts.every(isName))
      ? null
      : validation('cohorts', `must be a list of names: ${NAME_RULE}`),
  )
}

export function parseCreateAccount(input: CreateAccountInput): Parsed<CreateAccountInput> {
  const refused = firstRefusal(
    input.id === undefined ? null : checkId('id', input.id, 'acct'),
    checkOptionalText('reference', input.reference),
    checkAccountProfile(input),
    checkFlag('holdFreeGrants', input.holdFreeGrants),
    checkKey(input.idempotencyKey),
  )
  return (
    refused ??
    ok({
      id: input.id,
      reference: input.reference,
      plan: input.plan,
      cohorts: input.cohorts === undefined ? undefined : [...input.cohorts],
      ...(input.holdFreeGrants === true ? { holdFreeGrants: true } : {}),
      idempotencyKey: input.idempotencyKey,
    })
  )
}

const checkFlag = (field: string, value: unknown): Refusal | null =>
  value === undefined || typeof value === 'boolean' ? null : validation(field, 'must be true or false')

/** A change of an account's plan, cohorts, held free grants, or several. */
export interface ProfileChange {
  accountId: string
  change: ProfileChangeInput
}

/**
 * A change of plan, cohorts or both, each by the name rule, and the release of held free grants
 * (`releaseFreeGrants: true`; there is no way to hold them again); `required` are refused when
 * absent.
 */
export function parseProfileChange(
  accountId: string,
  change: ProfileChangeInput,
  required: readonly ('plan' | 'cohorts')[] = [],
): Parsed<ProfileChange> {
  const missing = required.find((field) => change[field] === undefined)
  const refused = firstRefusal(
    checkId('accountId', accountId, 'acct'),
    missing === undefined ? checkAccountProfile(change) : validation(missing, 'is required'),
    change.releaseFreeGrants === undefined || change.releaseFreeGrants === true
      ? null
      : validation('releaseFreeGrants', 'must be true (held free grants cannot be held again)'),
  )
  if (refused) return refused
  const parsed: ProfileChangeInput = {}
  if (change.plan !== undefined) parsed.plan = change.plan
  if (change.cohorts !== undefined) parsed.cohorts = [...change.cohorts]
  if (change.releaseFreeGrants === true) parsed.releaseFreeGrants = true
  return ok({ accountId, change: parsed })
}
