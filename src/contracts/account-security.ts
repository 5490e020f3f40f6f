import { z } from 'zod'
import { Email, Password } from './accounts.ts'
import { IdParam } from './fields.ts'

// The account's security: /api/password-reset (+ /confirm), and under /api/account/ the password,
// the email (+ /confirm) and the sessions.

/** A mailed link's token as sent back: the studio passes the link's `token` on unchanged. */
const Token = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
  .min(1, 'is required')
  .max(200, 'must be at most 200 characters')

export const PasswordResetRequest = z.object({ email: Email })
export type PasswordResetRequest = z.input<typeof PasswordResetRequest>

/** The one answer to a reset request, whether or not the email has an account. */
export const PasswordResetAccepted = z.object({ message: z.string() })
export type PasswordResetAccepted = z.output<typeof PasswordResetAccepted>

/** What every accepted reset request is answered with, word for word. */
export const PASSWORD_RESET_ACCEPTED_MESSAGE =
  'If an account exists for that address, we sent it a link to choose a new password. The link works for an hour.'

export const PasswordResetConfirm = z.object({ token: Token, password: Password })
export type PasswordResetConfirm = z.input<typeof PasswordResetConfirm>

export const ChangePasswordRequest = z.object({ currentPassword: Password, newPassword: Password })
export type ChangePasswordRequest = z.input<typeof ChangePasswordRequest>

export const PasswordChangedBody = z.object({
  /** How many of the user's other sessions were signed out (the caller's stays signed in). */
  otherSessionsEnded: z.number().int(),
})
export type PasswordChangedBody = z.output<typeof PasswordChangedBody>

/** A new email, confirmed by the current password. */
export const ChangeEmailRequest = z.object({ email: Email, password: Password })
export type ChangeEmailRequest = z.input<typeof ChangeEmailRequest>

export const EmailChangePendingBody = z.object({
  /** Where the confirmation link went; the account keeps its email until it is opened. */
  pendingEmail: z.string(),
})
export type EmailChangePendingBody = z.output<typeof EmailChangePendingBody>

export const ConfirmEmailRequest = z.object({ token: Token })
export type ConfirmEmailRequest = z.input<typeof ConfirmEmailRequest>

export const EmailConfirmedBody = z.object({ email: z.string() })
export type EmailConfirmedBody = z.output<typeof EmailConfirmedBody>

/** A session as its owner sees it; `id` is a public id, never its cookie or the cookie's hash. */
export const SessionInfo = z.object({
  id: z.string(),
  createdAt: z.number().int(),
  lastSeenAt: z.number().int(),
  expiresAt: z.number().int(),
  userAgent: z.string().nullable(),
  address: z.string().nullable(),
  /** The session this list was asked from. */
  current: z.boolean(),
})
export type SessionInfo = z.output<typeof SessionInfo>

export const SessionsBody = z.object({ sessions: z.array(SessionInfo) })
export type SessionsBody = z.output<typeof SessionsBody>

/** `/api/account/sessions/:id` */
export const SessionIdParam = IdParam('sess')
