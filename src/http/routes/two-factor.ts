import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import {
  errorResponses,
  RecoveryCodesBody,
  RecoveryCodesRequest,
  TwoFactorDisableRequest,
  TwoFactorEnableRequest,
  TwoFactorSetupBody,
  TwoFactorSetupRequest,
  TwoFactorStatusBody,
} from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireSession } from '../auth.ts'
import { unwrapAccounts } from '../errors.ts'

/**
 * Two-factor sign-in is a signed-in person's, in a browser: an API key may not see or change it (a
 * leaked key must not be able to turn it off, or read a new secret).
 */
const API_KEY_REFUSAL = 'API keys cannot manage two-factor sign-in: sign in to the studio'

/**
 * The signed-in person's two-factor sign-in (TOTP, an authenticator app):
 *
 * - `GET /api/account/two-factor`: whether it is on, since when, recovery codes left, whether it
 *   may be turned off (not by administrators)
 * - `POST /api/account/two-factor/setup {password}`: a new secret to scan (QR code as SVG)
 * - `POST /api/account/two-factor/enable {code}`: on, with recovery codes shown once
 * - `POST /api/account/two-factor/disable {password, code}`
 * - `POST /api/account/two-factor/recovery-codes {password, code}`: a new set
 *
 * Each change mails a notice to the account's address (queued with the change; the sender is
 * nudged once it committed). Wrong passwords and codes count against the sign-in throttle.
 */
export function registerTwoFactorRoutes(app: App, services: Services): void {
  const { accounts } = services
  const tags = ['Account security']

  app.get(
    '/api/account/two-factor',
    {
      schema: {
        tags,
        summary:
          'Whether two-factor sign-in is on for your account, since when, how many recovery codes are left, and whether you may turn it off (administrators may not)',
        response: { 200: TwoFactorStatusBody, ...errorResponses },
      },
    },
    async (request) =>
      unwrapAccounts(await accounts.twoFactor.status(requireSession(request, API_KEY_REFUSAL).user.id)),
  )

  app.post(
    '/api/account/two-factor/setup',
    {
      schema: {
        tags,
        summary:
          'Start setting up two-factor sign-in (your password is required): a new secret for your authenticator app, as text, an otpauth:// URL and a QR code (SVG). It is on only once a code from the app is sent to /enable; setting up again replaces the secret. 409 when it is on already',
        body: TwoFactorSetupRequest,
        response: { 200: TwoFactorSetupBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      return unwrapAccounts(
        await accounts.twoFactor.setUp(p.user.id, { password: request.body.password, address: request.ip }),
      )
    },
  )

  app.post(
    '/api/account/two-factor/enable',
    {
      schema: {
        tags,
        summary:
          'Turn two-factor sign-in on with a code from the app just set up; answers ten recovery codes, shown this once. A wrong code is a 400 (field code)',
        body: TwoFactorEnableRequest,
        response: { 200: RecoveryCodesBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const done = unwrapAccounts(
        await accounts.twoFactor.enable(p.user.id, { code: request.body.code, address: request.ip }),
      )
      services.mail.nudge()
      return done
    },
  )

  app.post(
    '/api/account/two-factor/disable',
    {
      schema: {
        tags,
        summary:
          'Turn two-factor sign-in off (your password and a code from the app, or a recovery code, are required); the recovery codes stop working. Administrators may not (403)',
        body: TwoFactorDisableRequest,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      unwrapAccounts(await accounts.twoFactor.disable(p.user.id, { ...request.body, address: request.ip }))
      services.mail.nudge()
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/account/two-factor/recovery-codes',
    {
      schema: {
        tags,
        summary:
          'A new set of ten recovery codes (your password and a code are required), shown this once; every earlier code stops working',
        body: RecoveryCodesRequest,
        response: { 200: RecoveryCodesBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireSession(request, API_KEY_REFUSAL)
      const done = unwrapAccounts(
        await accounts.twoFactor.renewRecoveryCodes(p.user.id, { ...request.body, address: request.ip }),
      )
      services.mail.nudge()
      return done
    },
  )
}
