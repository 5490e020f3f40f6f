import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  ConfirmEmailRequest,
  EmailChangePendingBody,
  EmailConfirmedBody,
  errorResponses,
  PASSWORD_RESET_ACCEPTED_MESSAGE,
  PasswordChangedBody,
  PasswordResetAccepted,
  PasswordResetConfirm,
  PasswordResetRequest,
  SessionIdParam,
  SessionsBody,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { clearSessionCookie, requireSession, SESSION_COOKIE } from '../auth.ts'
import { unwrapAccounts } from '../errors.ts'
import { baseUrl } from '../shared.ts'

/**
 * The account's own security settings are a signed-in person's, in a browser: an API key may not
 * change the password or email, or end sessions (a leaked key must not be able to lock its owner
 * out).
 */
const API_KEY_REFUSAL =
  "API keys cannot change an account's password, email or sessions: sign in to the studio"

/** The caller's session cookie (to keep or mark their own session), if any. */
const currentToken = (request: FastifyRequest): string | null => request.cookies[SESSION_COOKIE] ?? null

/**
 * Password reset by mail (public), and a signed-in person's password, email and sessions:
 *
 * - `POST /api/password-reset` and `/api/password-reset/confirm`
 * - `POST /api/account/password`, `POST /api/account/email`, `POST /api/account/email/confirm`
 * - `GET /api/account/sessions`, `DELETE /api/account/sessions/:id`,
 *   `POST /api/account/sessions/sign-out-everywhere`
 *
 * Mailed links are built on EASEL_PUBLIC_URL, or the address the server was reached at, never on
 * the request's Host header (a forged Host would otherwise send the reset link to its author).
 * Mail is queued in the transaction of what caused it; the sender is nudged once it committed.
 */
export function registerAccountRoutes(app: App, services: Services): void {
  const { accounts } = services

  app.post(
    '/api/password-reset',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Mail a link to choose a new password (single use, for an hour). Answered 202 with the same body whether or not the address has an account; limited per address and per email (then 429 with retry-after)',
        security: [],
        body: PasswordResetRequest,
        response: { 202: PasswordResetAccepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      unwrapAccounts(
        await accounts.requestPasswordReset({
          email: request.body.email,
          address: request.ip,
          linkBase: baseUrl(services, request),
        }),
      )
      // Known address or not (nothing was queued for an unknown one): the same call either way.
      services.mail.nudge()
      return reply.status(202).send({ message: PASSWORD_RESET_ACCEPTED_MESSAGE })
    },
  )

  app.post(
    '/api/password-reset/confirm',
    {
      schema: {
        tags: ['Account security'],
        summary:
          "Set a new password with a reset link's token; the link stops working and every session of the account ends. A token that is unknown, used or expired is a 400 (field token) that changes nothing",
        security: [],
        body: PasswordResetConfirm,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      unwrapAccounts(await accounts.confirmPasswordReset(request.body))
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/account/password',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Change your password (the current one is required); your other sessions are signed out, this one stays',
        body: ChangePasswordRequest,
        response: { 200: PasswordChangedBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      return unwrapAccounts(
        await accounts.changePassword(p.user.id, {
          ...request.body,
          currentToken: currentToken(request),
          address: request.ip,
        }),
      )
    },
  )

  app.post(
    '/api/account/email',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Change your email (your password is required): the new address is mailed a confirmation link (for a day) and the old one is told; the email changes when the link is confirmed',
        body: ChangeEmailRequest,
        response: { 202: EmailChangePendingBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const pending = unwrapAccounts(
        await accounts.requestEmailChange(p.user.id, {
          ...request.body,
          address: request.ip,
          linkBase: baseUrl(services, request),
        }),
      )
      services.mail.nudge()
      return reply.status(202).send(pending)
    },
  )

  app.post(
    '/api/account/email/confirm',
    {
      schema: {
        tags: ['Account security'],
        summary:
          'Confirm a new email with the token mailed to it (no sign-in needed: the link is the proof); 409 if another account has taken the address meanwhile; the old address is told',
        security: [],
        body: ConfirmEmailRequest,
        response: { 200: EmailConfirmedBody, ...errorResponses },
      },
    },
    async (request) => {
      const done = unwrapAccounts(await accounts.confirmEmailChange(request.body))
      services.mail.nudge()
      return { email: done.email }
    },
  )

  app.get(
    '/api/account/sessions',
    {
      schema: {
        tags: ['Account security'],
        summary: 'Your signed-in sessions (browser, address, last use); `current` marks this one',
        response: { 200: SessionsBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      return { sessions: await accounts.listSessions(p.user.id, currentToken(request)) }
    },
  )

  app.delete(
    '/api/account/sessions/:id',
    {
      schema: {
        tags: ['Account security'],
        summary: 'Sign one of your sessions out (another account’s session is 404)',
        params: SessionIdParam,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const ended = unwrapAccounts(
        await accounts.endSession(p.user.id, request.params.id, currentToken(request)),
      )
      if (ended.current) clearSessionCookie(reply)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/account/sessions/sign-out-everywhere',
    {
      schema: {
        tags: ['Account security'],
        summary: 'Sign out every session of your account, this one included',
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      await accounts.signOutEverywhere(p.user.id)
      clearSessionCookie(reply)
      return reply.status(204).send(null)
    },
  )
}
