import type { Services } from '../../app/index.ts'
import {
  EmailVerifiedBody,
  errorResponses,
  VerificationSentBody,
  VerifyEmailRequest,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { unwrapAccounts } from '../errors.ts'
import { baseUrl } from '../shared.ts'

/**
 * Email verification (sign-up with mail on):
 *
 * - `POST /api/verify-email {token}`: public (the link is the proof). It verifies the address and
 *   releases the account's free credits; it does not sign anyone in — whoever opens the link signs
 *   in with their password (a browser already signed in as the account just carries on). So a link
 *   to an account someone else made with your address never hands you a session in it.
 * - `POST /api/verify-email/resend`: the signed-in person's new link, at most 3 an hour.
 */
export function registerVerifyRoutes(app: App, services: Services): void {
  const { accounts } = services

  app.post(
    '/api/verify-email',
    {
      schema: {
        tags: ['Session'],
        summary:
          "Verify an account's email with the token of the link mailed at sign-up: its free credits are owed from now. Signs nobody in. A token that is unknown, used or expired is a 400 (field token) that changes nothing",
        security: [],
        body: VerifyEmailRequest,
        response: { 200: EmailVerifiedBody, ...errorResponses },
      },
    },
    async (request) => {
      const verified = unwrapAccounts(await accounts.verifyEmail(request.body))
      return { email: verified.email }
    },
  )

  app.post(
    '/api/verify-email/resend',
    {
      schema: {
        tags: ['Session'],
        summary:
          'Mail the signed-in person a new link to verify their email (earlier links stop working); 409 when it is verified already; at most 3 an hour (then 429 with retry-after)',
        response: { 202: VerificationSentBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const sent = unwrapAccounts(
        await accounts.resendVerification(p.user.id, { linkBase: baseUrl(services, request) }),
      )
      services.mail.nudge()
      return reply.status(202).send({ sentTo: sent.email })
    },
  )
}
