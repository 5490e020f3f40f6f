import { z } from 'zod'
import { ConfirmEmailRequest } from './account-security.ts'

// Sign-up with mail on and email verification: /api/signup's 202, /api/verify-email (+ /resend).

/**
 * The answer to a sign-up with mail on (202), the same whether or not the address has an account:
 * a new address is mailed a verification link, one with an account is told someone tried.
 */
export const SignupAccepted = z.object({ message: z.string() })
export type SignupAccepted = z.output<typeof SignupAccepted>

/** What every accepted sign-up with mail on is answered with, word for word. */
export const SIGNUP_ACCEPTED_MESSAGE =
  'We sent a message to that address. Open the link in it to finish signing up; it works for 24 hours.'

/** A verification link's token as sent back (the same shape as every mailed link's). */
export const VerifyEmailRequest = z.object({ token: ConfirmEmailRequest.shape.token })
export type VerifyEmailRequest = z.input<typeof VerifyEmailRequest>

export const EmailVerifiedBody = z.object({
  /** The address now verified: its account's free credits are owed from now. */
  email: z.string(),
})
export type EmailVerifiedBody = z.output<typeof EmailVerifiedBody>

/** A new verification link was sent (202). */
export const VerificationSentBody = z.object({ sentTo: z.string() })
export type VerificationSentBody = z.output<typeof VerificationSentBody>
