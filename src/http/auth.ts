import type { FastifyReply, FastifyRequest } from 'fastify'
import { type Accounts, type SessionIssued, safeEqual, type User } from '../accounts/index.ts'
import { ApiError, isOpenAiSurface } from './errors.ts'

export const SESSION_COOKIE = 'easel_session'

/** Who is calling: a signed-in browser (session cookie) or a program (API key). */
export interface Principal {
  user: User
  via: 'session' | 'key'
  keyId: string | null
  /** Cookie-authenticated writes must echo this in `x-csrf-token`. */
  csrfToken: string | null
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Finds the caller of an /api or /v1 request. A bearer key wins over a cookie; a bearer key that is
 * not valid is refused outright rather than falling back to the cookie.
 */
export async function identify(request: FastifyRequest, accounts: Accounts): Promise<void> {
  const header = request.headers.authorization
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) throw new ApiError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <API key>"')
    const found = await accounts.authenticateApiKey(m[1]!)
    if (!found) {
      throw new ApiError('UNAUTHENTICATED', 'this API key is not valid: it is unknown, revoked or expired')
    }
    request.principal = { user: found.user, via: 'key', keyId: found.key.id, csrfToken: null }
    return
  }
  const token = request.cookies[SESSION_COOKIE]
  if (token) {
    const session = await accounts.authenticateSession(token)
    if (session)
      request.principal = { user: session.user, via: 'session', keyId: null, csrfToken: session.csrfToken }
  }
}

/**
 * The caller, or UNAUTHENTICATED. (The app's onRequest hook has already counted the request against
 * the caller's rate limit and checked a cookie-authenticated write's CSRF token; the check is
 * repeated here so that a handler is safe on its own.)
 */
export function requireUser(request: FastifyRequest): Principal {
  const p = request.principal
  if (!p) {
    throw new ApiError(
      'UNAUTHENTICATED',
      isOpenAiSurface(request)
        ? 'no API key given: send "Authorization: Bearer <API key>" (create a key in the studio or with easel keys create)'
        : 'sign in first',
    )
  }
  checkCsrf(request)
  return p
}

/**
 * {@link requireUser}, for what only a signed-in person in a browser may do (an account's password,
 * email, sessions, keys, two-factor sign-in, notices, its data): an API key is refused with
 * `refusal`, a 403 saying what keys cannot do, so that a leaked key cannot take the account over.
 */
export function requireSession(request: FastifyRequest, refusal: string): Principal {
  const p = requireUser(request)
  if (p.via === 'key') throw new ApiError('FORBIDDEN', refusal)
  return p
}

/**
 * A cookie-authenticated write must echo the session's CSRF token (a key-authenticated one cannot
 * be forged by a page). Checked as soon as the caller is known, before any body is read.
 */
export function checkCsrf(request: FastifyRequest): void {
  const p = request.principal
  if (p?.via !== 'session' || SAFE_METHODS.has(request.method)) return
  const sent = request.headers['x-csrf-token']
  if (typeof sent !== 'string' || p.csrfToken === null || !safeEqual(sent, p.csrfToken)) {
    throw new ApiError('CSRF', 'this request needs the x-csrf-token header of the signed-in session')
  }
}

export function requireAdmin(request: FastifyRequest): Principal {
  const p = requireUser(request)
  if (p.user.role !== 'admin') throw new ApiError('FORBIDDEN', 'only administrators may do this')
  return p
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: SessionIssued): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: '/',
    expires: new Date(session.expiresAt),
  })
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' })
}
