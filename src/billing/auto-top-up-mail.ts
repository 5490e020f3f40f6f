import { composeMail, type OutgoingMail, publicLink } from '../notify/mail.ts'

const credits = (n: number) => `${n.toLocaleString('en')} ${n === 1 ? 'credit' : 'credits'}`

/**
 * The low-balance notice: sent once each time a charge takes the account's available credits
 * below the threshold its person chose, never on every job after that.
 */
export function lowBalanceMail(input: {
  to: string
  available: number
  threshold: number
  linkBase: string
}): OutgoingMail {
  return composeMail({
    kind: 'low-balance',
    to: input.to,
    subject: 'Your Easel credits are running low',
    paragraphs: [
      `You have ${credits(input.available)} left: fewer than the ${credits(input.threshold)} you asked to be told about.`,
      'If auto top-up is on, a pack is on its way; otherwise buy more before your next images.',
    ],
    action: { label: 'See your credits', url: publicLink(input.linkBase, '/credits') },
    footer:
      'You get this notice once each time your credits fall below the threshold. Turn it off on your credits page.',
  })
}

/** Auto top-up turned itself off (declined payments): the person learns why, and what to do. */
export function autoTopUpOffMail(input: { to: string; reason: string; linkBase: string }): OutgoingMail {
  return composeMail({
    kind: 'auto-top-up-off',
    to: input.to,
    subject: 'Easel auto top-up is off',
    paragraphs: [
      `Auto top-up is off: ${input.reason}`,
      'Nothing more will be charged to that card automatically. Check the card, then turn auto top-up on again on your credits page.',
    ],
    action: { label: 'Open your credits page', url: publicLink(input.linkBase, '/credits') },
  })
}
