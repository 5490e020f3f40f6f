import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { type ApiKeyView, EMAIL_MAX, PASSWORD_MAX, type User } from '../accounts/index.ts'
import type { ImageView } from '../studio/studio.ts'
import type { Services } from './services.ts'
import { imageUrl } from './shared.ts'

// Schemas and bodies more than one route group answers with. Route files import them from here,
// never from one another (issue 10 item 3 moves the schemas to contracts/).

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

export const KeyBody = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
})

export const keyBody = (k: ApiKeyView): z.infer<typeof KeyBody> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  lastUsedAt: k.lastUsedAt,
})

export const ImageBody = z.object({
  id: z.string(),
  jobId: z.string(),
  position: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  procedural: z.boolean(),
  favourite: z.boolean(),
  favouritedAt: z.number().int().nullable(),
  createdAt: z.number().int(),
  /** For the signed-in owner (cookie or key). */
  contentUrl: z.string(),
  downloadUrl: z.string(),
  /** Works without credentials for an hour. */
  url: z.string(),
})

export function imageBody(
  services: Services,
  request: FastifyRequest,
  image: ImageView,
): z.infer<typeof ImageBody> {
  return {
    id: image.id,
    jobId: image.jobId,
    position: image.position,
    width: image.width,
    height: image.height,
    bytes: image.bytes,
    procedural: image.procedural,
    favourite: image.favourite,
    favouritedAt: image.favouritedAt,
    createdAt: image.createdAt,
    contentUrl: `/api/images/${image.id}/content`,
    downloadUrl: `/api/images/${image.id}/download`,
    url: imageUrl(services, request, image.id),
  }
}
