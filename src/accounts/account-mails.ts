import { composeMail, type OutgoingMail, publicLink } from '../notify/mail.ts'

// The mails the account's security sends, as pure functions of who, where and the link: the words
// live here, the sending in notify/. Links are built on the installation's public base URL (the
// caller's `linkBase`: EASEL_PUBLIC_URL, or the address the server was reached at — never a
// request's Host header).

/** The studio's page that takes a password-reset token. */
export const RESET_PASSWORD_PATH = '/reset-password'
/** The studio's page that takes an email-confirmation token. */
export const CONFIRM_EMAIL_PATH = '/confirm-email'

const withToken = (linkBase: string, path: string, token: string) =>
  publicLink(linkBase, `${path}?token=${encodeURIComponent(token)}`)

/** The link to choose a new password, to the account's address. */
export function passwordResetMail(input: { to: string; linkBase: string; token: string }): OutgoingMail {
  return composeMail({
    kind: 'password-reset',
    to: input.to,
    subject: 'Reset your Easel password',
    paragraphs: [
      `Someone, we hope you, asked to reset the password of the Easel account ${input.to}.`,
      'The link below works once, for one hour. Choosing a new password signs the account out everywhere.',
    ],
    action: {
      label: 'Choose a new password',
      url: withToken(input.linkBase, RESET_PASSWORD_PATH, input.token),
    },
    footer: 'If you did not ask for this, ignore this mail: your password stays as it is.',
  })
}

/** The link confirming a new address, to the new address. */
export function confirmEmailMail(input: {
  to: string
  from: string
  linkBase: string
  token: string
}): OutgoingMail {
  return composeMail({
    kind: 'change-email',
    to: input.to,
    subject: 'Confirm your new email for Easel',
    paragraphs: [
      `The Easel account ${input.from} asked to use ${input.to} as its email from now on.`,
      'Confirm it with the link below (it works once, for a day). Until then the account keeps its old address.',
    ],
    action: {
      label: 'Confirm this email',
      url: withToken(input.linkBase, CONFIRM_EMAIL_PATH, input.token),
    },
    footer: 'If you did not ask for this, ignore this mail: nothing changes.',
  })
}

/** To the old address when a change is asked for: if it was not its owner, there is time to act. */
export function emailChangeRequestedMail(input: { to: string; newEmail: string }): OutgoingMail {
  return composeMail({
    kind: 'email-change-requested',
    to: input.to,
    subject: 'Your Easel email is about to change',
    paragraphs: [
      `Someone signed in to the Easel account ${input.to} asked to change its email to ${input.newEmail}.`,
      'It changes only once the link sent to the new address is opened.',
    ],
    footer:
      'If this was not you, sign in and change your password now (that also signs everyone else out), or ask your administrator for help.',
  })
}

/** To the old address once the change is done. */
export function emailChangedMail(input: { to: string; newEmail: string }): OutgoingMail {
  return composeMail({
    kind: 'email-changed',
    to: input.to,
    subject: 'Your Easel email has changed',
    paragraphs: [
      `The Easel account that used ${input.to} now uses ${input.newEmail}: sign in with that address from now on.`,
    ],
    footer: 'If this was not you, ask your administrator for help at once.',
  })
}

/** The studio's page that takes an email-verification token. */
export const VERIFY_EMAIL_PATH = '/verify-email'
/** The studio's page that asks for a password-reset link. */
export const FORGOT_PASSWORD_PATH = '/forgot-password'

/** The link verifying a new account's address, to that address. */
export function verifyEmailMail(input: { to: string; linkBase: string; token: string }): OutgoingMail {
  return composeMail({
    kind: 'verify-email',
    to: input.to,
    subject: 'Verify your email for Easel',
    paragraphs: [
      `Welcome to Easel! Someone, we hope you, created an account with ${input.to}.`,
      'Verify that this address is yours with the link below (it works once, for 24 hours). Your free credits arrive as soon as it is verified.',
    ],
    action: {
      label: 'Verify my email',
      url: withToken(input.linkBase, VERIFY_EMAIL_PATH, input.token),
    },
    footer:
      'If you did not sign up for Easel, ignore this mail: the account stays unverified and gets no free credits.',
  })
}

/**
 * To an address that already has an account, when someone signs up with it: the same answer was
 * given as for a new address, so this mail is where its owner learns what happened. It carries no
 * token: resetting the password goes through the usual request.
 */
export function signUpAttemptMail(input: { to: string; linkBase: string }): OutgoingMail {
  return composeMail({
    kind: 'sign-up-attempt',
    to: input.to,
    subject: 'Someone tried to sign up to Easel with your address',
    paragraphs: [
      `Someone, perhaps you, tried to create an Easel account with ${input.to}. This address already has an account, so nothing was created and nothing changed.`,
      'If it was you, sign in with the password you chose before. Forgotten it? Ask for a link to choose a new one:',
    ],
    action: { label: 'Reset my password', url: publicLink(input.linkBase, FORGOT_PASSWORD_PATH) },
    footer: 'If it was not you, you can ignore this mail: your account is safe.',
  })
}
