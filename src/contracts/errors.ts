import { z } from 'zod'

/** The closed set of error codes the native API answers with (`error.code`). */
export const API_ERROR_CODES = [
  'VALIDATION',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CSRF',
  'NOT_FOUND',
  'GONE',
  'CONFLICT',
  'CONTENT_POLICY',
  'INSUFFICIENT_CREDITS',
  'CARD_DECLINED',
  'IDEMPOTENCY_CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'QUEUE_FULL',
  'SHUTTING_DOWN',
  'MODERATION_UNAVAILABLE',
  'UNAVAILABLE',
  'JOB_FAILED',
  'INTERNAL',
] as const
export type ApiErrorCode = (typeof API_ERROR_CODES)[number]

/**
 * Our error body. Besides code and message: `field` for a refused field, `reason` for a declined
 * card, a failed job or a conflict, and what a refusal carries (`requested`, `available`, …).
 */
export const ErrorBody = z.object({
  error: z
    .object({ code: z.enum(API_ERROR_CODES), message: z.string(), field: z.string().optional() })
    .loose(),
})
export type ErrorBody = z.output<typeof ErrorBody>

/** The error responses of a native route, for its schema. */
export const errorResponses = { '4xx': ErrorBody }

/** OpenAI's error body, which /v1 answers with so that its SDK reads it. */
export const OpenAiErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
})
export type OpenAiErrorBody = z.output<typeof OpenAiErrorBody>
