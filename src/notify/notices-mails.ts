import { composeMail, type OutgoingMail, publicLink } from './mail.ts'

// The words of the notices, as pure functions of who, what and where the studio is: the sending
// is notices-expiry.ts's and notices-free-credits.ts's. Dates are UTC, written out in words, so a
// mail read anywhere says the same moment.

/** The studio's page of credits: the balance, each grant with its expiry, and buying more. */
export const CREDITS_PATH = '/credits'
/** The studio's account page, where the notices are turned on and off. */
export const ACCOUNT_PATH = '/account'

const WHEN = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})
const DAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
})

/** `Thursday 10 December 2026 at 14:05 UTC` */
export function inWords(ms: number): string {
  const parts = Object.fromEntries(WHEN.formatToParts(ms).map((p) => [p.type, p.value]))
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year} at ${parts.hour}:${parts.minute} UTC`
}

/** `10 December 2026` (UTC) */
export const dayInWords = (ms: number): string => DAY.format(ms)

const credits = (n: number) => `${n} ${n === 1 ? 'credit' : 'credits'}`

/** Credits of one or more grants that expire at one moment. */
export interface ExpiringCredits {
  readonly credits: number
  readonly expiresAt: number
}

/**
 * The warning a week ahead: how many bought credits expire and when, that Easel already spends the
 * soonest-expiring ones first, a link to the credits page and one to turn the warning off.
 *
 * @example
 * expiryWarningMail({ to: 'ada@example.test', linkBase: 'https://easel.example',
 *                     expiring: [{ credits: 40, expiresAt: Date.UTC(2026, 11, 10, 14, 5) }] })
 * // → subject "40 of your Easel credits expire on 10 December 2026", …
 */
export function expiryWarningMail(input: {
  to: string
  linkBase: string
  /** Soonest first; several grants expiring at one moment counted together. */
  expiring: readonly ExpiringCredits[]
}): OutgoingMail {
  const { expiring } = input
  if (expiring.length === 0) throw new Error('an expiry warning needs credits that expire')
  const total = expiring.reduce((sum, e) => sum + e.credits, 0)
  const days = new Set(expiring.map((e) => dayInWords(e.expiresAt)))
  const what = total === 1 ? '1 of your Easel credits expires' : `${total} of your Easel credits expire`
  const subject = days.size === 1 ? `${what} on ${[...days][0]}` : `${what} within a week`
  return composeMail({
    kind: 'credits-expiring',
    to: input.to,
    subject,
    paragraphs: [
      expiring.length === 1
        ? `${credits(total)} you bought on Easel will expire on ${inWords(expiring[0]!.expiresAt)}. Credits that expire cannot be used or given back.`
        : `${credits(total)} you bought on Easel will expire within a week. Credits that expire cannot be used or given back:`,
      ...(expiring.length === 1
        ? []
        : expiring.map((e) => `• ${credits(e.credits)} on ${inWords(e.expiresAt)}`)),
      'There is nothing you need to do to use them first: Easel always spends your free credits first and then, of the credits you bought, those that expire soonest. Every image you make from now on uses these before any credits that last longer.',
    ],
    action: { label: 'See my credits', url: publicLink(input.linkBase, CREDITS_PATH) },
    footer: `You get this mail because expiry warnings are on. To turn them off, open your account page: ${publicLink(input.linkBase, ACCOUNT_PATH)}`,
  })
}

/**
 * "Your free credits are here", at the start of a period: how many, until when, a link to the
 * studio and one to turn the mail off.
 *
 * @example
 * freeCreditsMail({ to: 'ada@example.test', linkBase: 'https://easel.example', credits: 15,
 *                   expiresAt: Date.UTC(2027, 0, 3, 9, 30) })
 * // → subject "Your 15 free Easel credits are here", …
 */
export function freeCreditsMail(input: {
  to: string
  linkBase: string
  credits: number
  /** When this period's free credits expire (null: the book lets them last). */
  expiresAt: number | null
}): OutgoingMail {
  return composeMail({
    kind: 'free-credits',
    to: input.to,
    subject:
      input.credits === 1
        ? 'Your free Easel credit is here'
        : `Your ${input.credits} free Easel credits are here`,
    paragraphs: [
      `A new month has begun on Easel, and with it your ${credits(input.credits)} free for this month.`,
      input.expiresAt === null
        ? 'They are yours to use whenever you like.'
        : `They last until ${inWords(input.expiresAt)} and do not carry over into the next month. Easel spends them before any credits you bought.`,
    ],
    action: { label: 'Open the studio', url: publicLink(input.linkBase, '/') },
    footer: `You get this mail because you asked to be told when your free credits arrive. To stop it, open your account page: ${publicLink(input.linkBase, ACCOUNT_PATH)}`,
  })
}
