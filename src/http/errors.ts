import type { FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import type { AccountsError } from '../accounts/index.ts'
import type { PurchaseError } from '../billing/purchases.ts'
import type { ApiErrorCode } from '../contracts/index.ts'
import type { ActivateRefusal, CloseCohortRefusal, CreditError } from '../credits/index.ts'
import type { StudioError } from '../studio/errors.ts'
import type { ModerationRefusal } from '../studio/moderation-actions.ts'

// The closed set of error codes the HTTP surfaces answer with is part of the API's contract.
export type { ApiErrorCode } from '../contracts/index.ts'

/** An error meant for the client: thrown in a handler, rendered by {@link renderError}. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: {
      field?: string
      /** For a failed job: the engine's reason (TIMEOUT, CONTENT_POLICY, …). */
      reason?: string
      retryAfterSeconds?: number
      extra?: Record<string, unknown>
    } = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** Job failures that say Easel was busy or stopping, not that the engine failed. */
const UNAVAILABLE_REASONS = new Set([
  'QUEUE_FULL',
  'QUEUE_TIMEOUT',
  'CANCELLED',
  'INTERRUPTED',
  'MODERATION_UNAVAILABLE',
])

export function statusOf(error: ApiError): number {
  switch (error.code) {
    case 'VALIDATION':
    case 'CONTENT_POLICY':
      return 400
    case 'UNAUTHENTICATED':
      return 401
    case 'INSUFFICIENT_CREDITS':
    case 'CARD_DECLINED':
      return 402
    case 'FORBIDDEN':
    case 'CSRF':
      return 403
    case 'NOT_FOUND':
      return 404
    case 'GONE':
      return 410
    case 'CONFLICT':
    case 'IDEMPOTENCY_CONFLICT':
      return 409
    case 'PAYLOAD_TOO_LARGE':
      return 413
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415
    case 'RATE_LIMITED':
      return 429
    case 'JOB_FAILED':
      if (error.details.reason === 'CONTENT_POLICY') return 400
      // Not the engine's fault: Easel was too busy or stopping; trying again later may work.
      return UNAVAILABLE_REASONS.has(error.details.reason ?? '') ? 503 : 502
    case 'QUEUE_FULL':
    case 'SHUTTING_DOWN':
    case 'MODERATION_UNAVAILABLE':
    // Something Easel needs for this request does not answer (e.g. the rate-limit store, for sign-in).
    case 'UNAVAILABLE':
      return 503
    case 'INTERNAL':
      return 500
  }
}

// Every domain refusal becomes an ApiError here, each by an exhaustive switch: a new refusal code
// in credits, studio, accounts or billing does not compile until it is given its HTTP meaning.

/** Ends an exhaustive switch: reached only by a code the switch does not handle. */
function unhandled(error: never): never {
  throw new Error(`unmapped domain error: ${JSON.stringify(error)}`)
}

/** A ledger refusal as the API error it is. Holds and purchases that do not exist are NOT_FOUND. */
export function fromCreditError(error: CreditError): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'ACCOUNT_NOT_FOUND':
    case 'HOLD_NOT_FOUND':
    case 'PURCHASE_NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'INSUFFICIENT_CREDITS':
      return new ApiError('INSUFFICIENT_CREDITS', `Not enough credits: ${error.message}`, {
        extra: { requested: error.requested, available: error.available },
      })
    case 'ACCOUNT_EXISTS':
    case 'HOLD_ALREADY_SETTLED':
    case 'HOLD_EXPIRED':
    case 'HOLD_NOT_CAPTURED':
    case 'REFUND_EXCEEDS_CAPTURE':
    case 'PURCHASE_CREDITS_HELD':
    // The admin grant has answered a reused key this way (409, reason IDEMPOTENCY_CONFLICT); kept.
    case 'IDEMPOTENCY_CONFLICT':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    default:
      return unhandled(error)
  }
}

/** When a client refused for too many jobs in flight is told to try again (`retry-after`). */
const TOO_MANY_JOBS_RETRY_SECONDS = 5

/** A studio refusal as the API error it is. */
export function fromStudioError(error: StudioError): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'INSUFFICIENT_CREDITS':
      return new ApiError('INSUFFICIENT_CREDITS', `Not enough credits: ${error.message}`, {
        extra: { requested: error.requested, available: error.available },
      })
    case 'TOO_MANY_JOBS':
      // A 429 the SDK may retry: the account's own jobs finish and make room.
      return new ApiError('RATE_LIMITED', `Too many jobs in flight: ${error.message}`, {
        retryAfterSeconds: TOO_MANY_JOBS_RETRY_SECONDS,
        extra: { inFlight: error.inFlight, limit: error.limit },
      })
    case 'NOT_FOUND':
    case 'CONTENT_POLICY':
    case 'IDEMPOTENCY_CONFLICT':
    case 'QUEUE_FULL':
    case 'SHUTTING_DOWN':
    case 'MODERATION_UNAVAILABLE':
      return new ApiError(error.code, error.message)
    default:
      return unhandled(error)
  }
}

/** A refusal of reporting, removing or dismissing as the API error it is. */
export function fromModerationRefusal(error: ModerationRefusal): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'NOT_FOUND':
    case 'GONE':
      return new ApiError(error.code, error.message)
    case 'CONFLICT':
      return new ApiError('CONFLICT', error.message, { reason: error.reason })
    default:
      return unhandled(error)
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
    case 'ALREADY_VERIFIED':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    case 'SIGNUP_CLOSED':
    case 'INVITE_REQUIRED':
    case 'INVITE_INVALID':
      return new ApiError('FORBIDDEN', error.message, { reason: error.code })
    case 'NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'TOKEN_INVALID':
      // A bad link is bad input: the token field, with a reason the studio can word for people.
      return new ApiError('VALIDATION', `token: ${error.message}`, { field: 'token', reason: error.code })
    case 'THROTTLED':
      return new ApiError('RATE_LIMITED', error.message, { retryAfterSeconds: error.retryAfterSeconds })
    // Sign-in's second step: still not signed in (401); `reason` tells the studio to ask for the code.
    case 'TWO_FACTOR_REQUIRED':
    case 'INVALID_CODE':
      return new ApiError('UNAUTHENTICATED', error.message, { reason: error.code })
    case 'TWO_FACTOR_ENABLED':
    case 'TWO_FACTOR_NOT_ENABLED':
    case 'TWO_FACTOR_NO_SETUP':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    case 'TWO_FACTOR_MANDATORY':
      return new ApiError('FORBIDDEN', error.message, { reason: error.code })
    default:
      return unhandled(error)
  }
}

/** An accounts answer's value, or its refusal thrown as the API error it is. */
export function unwrapAccounts<T>(result: { ok: true; value: T } | { ok: false; error: AccountsError }): T {
  if (!result.ok) throw fromAccountsError(result.error)
  return result.value
}

/** A refusal to close a cohort (or to activate the book that closes it) as the API error it is. */
export function fromCloseCohortRefusal(error: CloseCohortRefusal | ActivateRefusal): ApiError {
  switch (error.code) {
    case 'NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'ALREADY_CLOSED':
    case 'VERSION_EXISTS':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    default:
      return unhandled(error)
  }
}

/** A purchase refusal as the API error it is. */
export function fromPurchaseError(error: PurchaseError): ApiError {
  switch (error.code) {
    case 'VALIDATION':
      return new ApiError('VALIDATION', error.message, { field: error.field })
    case 'IDEMPOTENCY_CONFLICT':
      return new ApiError('IDEMPOTENCY_CONFLICT', error.message)
    case 'NO_PAYMENT_PROVIDER':
      return new ApiError('CONFLICT', error.message)
    case 'CARD_DECLINED':
      return new ApiError('CARD_DECLINED', error.message, { reason: error.reason })
    case 'NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'REFUND_REFUSED':
      return new ApiError('CONFLICT', error.message, { reason: 'REFUND_REFUSED' })
    case 'UNCHARGEABLE_PRICE':
      return new ApiError('CONFLICT', error.message, { reason: 'UNCHARGEABLE_PRICE' })
    default:
      return unhandled(error)
  }
}

/** The OpenAI error body (`{error:{message,type,param,code}}`) and the status the SDK expects. */
function openAiShape(error: ApiError): { status: number; body: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = {}
  let status = statusOf(error)
  let type = 'invalid_request_error'
  let code: string | null = null
  switch (error.code) {
    case 'VALIDATION':
      code = 'invalid_value'
      break
    case 'UNAUTHENTICATED':
      code = 'invalid_api_key'
      break
    case 'CONTENT_POLICY':
      code = 'content_policy_violation'
      break
    case 'INSUFFICIENT_CREDITS':
      // OpenAI's "out of quota" answer; the SDK would retry a 429 unless told not to.
      status = 429
      type = 'insufficient_quota'
      code = 'insufficient_quota'
      headers['x-should-retry'] = 'false'
      break
    case 'RATE_LIMITED':
      type = 'requests'
      code = 'rate_limit_exceeded'
      break
    case 'JOB_FAILED':
      if (error.details.reason === 'CONTENT_POLICY') code = 'content_policy_violation'
      else if (UNAVAILABLE_REASONS.has(error.details.reason ?? '')) {
        type = 'server_error'
        code = 'engine_overloaded'
      } else {
        type = 'server_error'
        code = error.details.reason === 'TIMEOUT' ? 'timeout' : 'engine_error'
      }
      break
    case 'QUEUE_FULL':
    case 'SHUTTING_DOWN':
      type = 'server_error'
      code = 'engine_overloaded'
      break
    case 'MODERATION_UNAVAILABLE':
      type = 'server_error'
      code = 'moderation_unavailable'
      break
    case 'UNAVAILABLE':
      type = 'server_error'
      code = 'service_unavailable'
      break
    case 'INTERNAL':
      type = 'server_error'
      code = 'internal_error'
      break
    default:
      code = error.code.toLowerCase()
  }
  return {
    status,
    headers,
    body: { error: { message: error.message, type, param: error.details.field ?? null, code } },
  }
}

function nativeShape(error: ApiError): { status: number; body: unknown; headers: Record<string, string> } {
  return {
    status: statusOf(error),
    headers: {},
    body: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details.field ? { field: error.details.field } : {}),
        ...(error.details.reason ? { reason: error.details.reason } : {}),
        ...error.details.extra,
      },
    },
  }
}

/**
 * Turns anything a handler threw into an `ApiError`: ours as they are, Fastify's and the schema
 * validator's client errors as VALIDATION/413/415, everything else as INTERNAL (and logged).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0]!
    const where = error.validationContext === 'body' ? '' : `${error.validationContext} `
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.')
    const field =
      path || (issue.params as { issue?: { path?: unknown[] } })?.issue?.path?.join('.') || where.trim()
    return new ApiError('VALIDATION', `${field ? `${field}: ` : ''}${issue.message}`, {
      field: field || undefined,
    })
  }
  const e = error as { statusCode?: number; code?: string; message?: string }
  if (
    e.code === 'FST_REQ_FILE_TOO_LARGE' ||
    e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ||
    e.statusCode === 413
  ) {
    return new ApiError(
      'PAYLOAD_TOO_LARGE',
      'the request is too large: uploads may be at most the configured size',
    )
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', `unsupported content type: ${e.message ?? ''}`.trim())
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own client errors: malformed JSON, an empty body, too many parts…
    return new ApiError('VALIDATION', e.message ?? 'bad request')
  }
  return new ApiError('INTERNAL', 'something went wrong on our side; the request was not completed')
}

/**
 * Whether a request is under /v1 (OpenAI's error shape): by the route it matched, since
 * `/%761/images/edits` reaches `/v1/images/edits` and must answer in that route's shape; by its
 * decoded path when no route matched.
 */
export function isOpenAiSurface(request: FastifyRequest): boolean {
  const route = request.routeOptions.url
  if (route) return route.startsWith('/v1/')
  const path = request.url.split('?')[0]!
  try {
    return decodeURIComponent(path).startsWith('/v1/')
  } catch {
    return path.startsWith('/v1/')
  }
}

/** The one error renderer: OpenAI's shape under /v1, ours elsewhere. Logs only server errors. */
export function renderError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const api = toApiError(error)
  const shape = isOpenAiSurface(request) ? openAiShape(api) : nativeShape(api)
  if (shape.status >= 500) request.log.error({ err: error }, 'request failed')
  if (api.details.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(api.details.retryAfterSeconds))
  for (const [k, v] of Object.entries(shape.headers)) reply.header(k, v)
  return reply.status(shape.status).send(shape.body)
}
