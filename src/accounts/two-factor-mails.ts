import { composeMail, type OutgoingMail } from '../notify/mail.ts'

// The notices two-factor sign-in sends to the account's address: a change to how the account is
// protected should never go unnoticed by its owner. They carry no link and no secret.

const NOT_YOU =
  'If this was not you, change your password now (that signs everyone else out) and tell your administrator.'

/** Two-factor sign-in was turned on. */
export function twoFactorOnMail(input: { to: string }): OutgoingMail {
  return composeMail({
    kind: 'two-factor-on',
    to: input.to,
    subject: 'Two-factor sign-in is on for your Easel account',
    paragraphs: [
      `Signing in to the Easel account ${input.to} now takes a code from your authenticator app as well as the password.`,
      'Keep your recovery codes somewhere safe: each one lets you in once if you lose your phone.',
    ],
    footer: NOT_YOU,
  })
}

/** The person turned two-factor sign-in off. */
export function twoFactorOffMail(input: { to: string }): OutgoingMail {
  return composeMail({
    kind: 'two-factor-off',
    to: input.to,
    subject: 'Two-factor sign-in is off for your Easel account',
    paragraphs: [
      `Two-factor sign-in was turned off for the Easel account ${input.to}: the password alone signs in again.`,
      'Your recovery codes no longer work.',
    ],
    footer: NOT_YOU,
  })
}

/** An administrator turned it off from the command line (a lost phone). */
export function twoFactorResetMail(input: { to: string }): OutgoingMail {
  return composeMail({
    kind: 'two-factor-reset',
    to: input.to,
    subject: 'Your administrator turned off two-factor sign-in',
    paragraphs: [
      `An administrator of Easel turned off two-factor sign-in for the account ${input.to} and signed it out everywhere. Your recovery codes no longer work.`,
      'Sign in with your password and turn it on again from your account page.',
    ],
    footer: 'If you did not ask for this, tell your administrator at once.',
  })
}

/** A new set of recovery codes replaced the old one. */
export function recoveryCodesRenewedMail(input: { to: string }): OutgoingMail {
  return composeMail({
    kind: 'recovery-codes-renewed',
    to: input.to,
    subject: 'New recovery codes for your Easel account',
    paragraphs: [
      `A new set of recovery codes was made for the Easel account ${input.to}. The old codes no longer work.`,
    ],
    footer: NOT_YOU,
  })
}
