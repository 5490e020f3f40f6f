import { z } from 'zod'
import { type AccountsError, EMAIL_MAX, PASSWORD_MAX, type User } from '../../accounts/index.ts'
import { ApiError } from '../errors.ts'

/** Our error body, for the OpenAPI document. */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).loose(),
})
export const errorResponses = { '4xx': ErrorBody }

export const UserBody = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(['user', 'admin']),
  accountId: z.string(),
  plan: z.string(),
  cohorts: z.array(z.string()),
  disabled: z.boolean(),
  createdAt: z.number().int(),
})

export function userBody(u: User): z.infer<typeof UserBody> {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    accountId: u.accountId,
    plan: u.plan,
    cohorts: u.cohorts,
    disabled: u.disabled,
    createdAt: u.createdAt,
  }
}

/** An accounts refusal as the API error it is. */
export function fromAccountsError(error: AccountsError): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'INVALID_CREDENTIALS':
      return new ApiError('UNAUTHENTICATED', error.message)
    case 'EMAIL_TAKEN':
    case 'ALREADY_SET_UP':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    case 'SIGNUP_CLOSED':
    case 'INVITE_REQUIRED':
    case 'INVITE_INVALID':
      return new ApiError('FORBIDDEN', error.message, { reason: error.code })
    case 'NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'THROTTLED':
      return new ApiError('RATE_LIMITED', error.message, { retryAfterSeconds: error.retryAfterSeconds })
  }
}

export function unwrapAccounts<T>(result: { ok: true; value: T } | { ok: false; error: AccountsError }): T {
  if (!result.ok) throw fromAccountsError(result.error)
  return result.value
}

/** Ids in paths: checked for shape, so that garbage is a clear 400 at once rather than a query. */
export const idParam = (prefix: string) =>
  z.object({ id: z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${prefix}_… id`) })

// The type's own message covers a missing or non-text value only; each bound says what it is
// (a schema-wide `error` would answer "is required" to a string that is merely too long).
const requiredText = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })

export const Email = requiredText().max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
/**
 * A password as sent: at most PASSWORD_MAX characters, counted as the accounts service counts them
 * (code points). The rest of the rule for new passwords is the service's, so that sign-in keeps
 * taking passwords set under an older rule.
 */
export const Password = requiredText()
  .max(PASSWORD_MAX * 2, `must be at most ${PASSWORD_MAX} characters`)
  .refine((p) => [...p].length <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
