import type { FastifyRequest } from 'fastify'
import { SIGNED_URL_TTL_MS } from '../studio/signed-urls.ts'
import { ApiError } from './errors.ts'
import type { Services } from './services.ts'

/** The `Idempotency-Key` header of a request that costs credits, checked. */
export function idempotencyKeyOf(request: FastifyRequest): { idempotencyKey?: string } {
  const key = request.headers['idempotency-key']
  if (key === undefined) return {}
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new ApiError('VALIDATION', 'Idempotency-Key must be 1 to 255 characters', {
      field: 'Idempotency-Key',
    })
  }
  return { idempotencyKey: key }
}

/** Where this server is reached: the configured public URL, else the request's own origin. */
export function baseUrl(services: Services, request: FastifyRequest): string {
  return services.config.server.publicUrl ?? `${request.protocol}://${request.host}`
}

/** A link to the image that works without credentials for an hour (as OpenAI's `url`s do). */
export function imageUrl(services: Services, request: FastifyRequest, imageId: string): string {
  const expires = services.clock.now() + SIGNED_URL_TTL_MS
  const signature = services.signer.sign(imageId, expires)
  return `${baseUrl(services, request)}/files/images/${imageId}.png?expires=${expires}&signature=${signature}`
}

/** For multipart routes: the schema documents the body, the handler reads and checks it. */
export const passThroughValidation = () => (data: unknown) => ({ value: data })
