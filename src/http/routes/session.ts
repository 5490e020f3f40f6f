import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import {
  Credentials,
  ErrorBody,
  errorResponses,
  MeBody,
  SessionBody,
  SetupBody,
  SIGNUP_ACCEPTED_MESSAGE,
  SignInRequest,
  SignupAccepted,
  SignupRequest,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { clearSessionCookie, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth.ts'
import { unwrapAccounts } from '../errors.ts'
import { userBody } from '../schemas.ts'
import { baseUrl } from '../shared.ts'

/**
 * What a new session keeps about the browser that opened it, for its owner's list of sessions: its
 * user agent (the service keeps the first 200 characters) and its address as the app reads it.
 */
const client = (request: FastifyRequest): { address: string; userAgent?: string } => {
  const userAgent = request.headers['user-agent']
  return { address: request.ip, ...(typeof userAgent === 'string' ? { userAgent } : {}) }
}

/**
 * Owner set-up, sign-up, sign-in and sign-out for the studio (cookie sessions), and `me`. Sign-up
 * with mail on signs nobody in: the person verifies the address from the link mailed, then signs
 * in (signing in before that works too; free credits wait for the verification).
 */
export function registerSessionRoutes(app: App, services: Services): void {
  const { accounts } = services

  app.get(
    '/api/setup',
    {
      schema: {
        tags: ['Session'],
        summary:
          'Whether this installation still needs its owner, how sign-up works (and whether it verifies the email by mail), whether the caller is signed in, and whether the offline test checkout (no real money) is on',
        security: [],
        response: { 200: SetupBody },
      },
    },
    async (request) => ({
      setUp: await accounts.isSetUp(),
      signup: services.config.server.signup,
      // Lets a page skip /api/me when signed out, instead of logging a 401 in the console.
      signedIn: request.principal !== null,
      testCheckout: services.config.server.testCheckout,
      emailVerification: services.config.mail !== null,
    }),
  )

  app.post(
    '/api/setup',
    {
      schema: {
        tags: ['Session'],
        summary: 'Create the owner (first administrator) of a fresh installation and sign in',
        security: [],
        body: Credentials,
        response: { 201: SessionBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = unwrapAccounts(await accounts.setUpOwner(request.body))
      const session = await accounts.createSession(user.id, client(request))
      setSessionCookie(request, reply, session)
      return reply.status(201).send({ user: userBody(user), csrfToken: session.csrfToken })
    },
  )

  app.post(
    '/api/signup',
    {
      schema: {
        tags: ['Session'],
        summary:
          'Create an account (with an invite code where the installation requires one). Mail off: 201, signed in. Mail on: 202 with the same body whether or not the address has an account, no session; a new address is mailed a link to verify it (free credits come once it is opened), one with an account is told someone tried. At most 5 sign-ups an hour from one address without a code (then 429 with retry-after)',
        security: [],
        body: SignupRequest,
        response: { 201: SessionBody, 202: SignupAccepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (services.config.mail !== null) {
        unwrapAccounts(
          await accounts.signUpByMail({
            ...request.body,
            address: request.ip,
            linkBase: baseUrl(services, request),
          }),
        )
        // New address or not (a mail was queued either way, unless the address had its fill).
        services.mail.nudge()
        return reply.status(202).send({ message: SIGNUP_ACCEPTED_MESSAGE })
      }
      const user = unwrapAccounts(await accounts.signUp({ ...request.body, address: request.ip }))
      const session = await accounts.createSession(user.id, client(request))
      setSessionCookie(request, reply, session)
      return reply.status(201).send({ user: userBody(user), csrfToken: session.csrfToken })
    },
  )

  app.post(
    '/api/session',
    {
      schema: {
        tags: ['Session'],
        summary:
          'Sign in; after repeated failures for an email, attempts must wait (429 with retry-after, growing to at most 15 minutes). An account with two-factor sign-in also needs `code`: without it the right password is answered 401 with reason TWO_FACTOR_REQUIRED and no session; a wrong code is 401 with reason INVALID_CODE, counted like a wrong password',
        security: [],
        body: SignInRequest,
        response: { 200: SessionBody, 401: ErrorBody, 429: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user, session } = unwrapAccounts(await accounts.signIn({ ...request.body, ...client(request) }))
      setSessionCookie(request, reply, session)
      return { user: userBody(user), csrfToken: session.csrfToken }
    },
  )

  app.delete(
    '/api/session',
    { schema: { tags: ['Session'], summary: 'Sign out', response: { 204: z.null() } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE]
      if (token) await accounts.signOut(token)
      clearSessionCookie(reply)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/me',
    {
      schema: {
        tags: ['Session'],
        summary: 'The signed-in user (and the CSRF token a browser session sends on writes)',
        response: { 200: MeBody },
      },
    },
    async (request) => {
      const p = requireUser(request)
      return { user: userBody(p.user), csrfToken: p.csrfToken, via: p.via }
    },
  )
}
