import type { FastifyRequest } from 'fastify'
import type { Services } from '../app/index.ts'
import { SIGNED_URL_TTL_MS } from '../studio/signed-urls.ts'
import { ApiError } from './errors.ts'

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

/**
 * Where this server is reached: the configured public URL, else the address and port the request's
 * connection reached on this server. Never the Host header: a client chooses it, and the links
 * handed out (signed image URLs) must not point wherever a request says.
 */
export function baseUrl(services: Services, request: FastifyRequest): string {
  const configured = services.config.server.publicUrl
  if (configured) return configured
  const socket = request.raw.socket
  // Injected requests (tests) have no real socket: the address the server listens on stands in.
  const listening = request.server.server.address()
  const bound = typeof listening === 'object' && listening ? listening : null
  let host = socket.localAddress ?? bound?.address ?? services.config.server.host
  if (host.startsWith('::ffff:')) host = host.slice('::ffff:'.length)
  if (host === '0.0.0.0' || host === '::') host = '127.0.0.1'
  const port = socket.localPort ?? bound?.port ?? services.config.server.port
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** A link to the image that works without credentials for an hour (as OpenAI's `url`s do). */
export function imageUrl(services: Services, request: FastifyRequest, imageId: string): string {
  const expires = services.clock.now() + SIGNED_URL_TTL_MS
  const signature = services.signer.sign(imageId, expires)
  return `${baseUrl(services, request)}/files/images/${imageId}.png?expires=${expires}&signature=${signature}`
}

/** For multipart routes: the schema documents the body, the handler reads and checks it. */
export const passThroughValidation = () => (data: unknown) => ({ value: data })
