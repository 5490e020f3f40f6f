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
