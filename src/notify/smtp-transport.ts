import { createTransport, type NodemailerError } from 'nodemailer'
import { parseMailbox, smtpServerOf } from '../config.ts'
import { MailSendError, type MailTransport } from './transport.ts'

/**
 * How long each step with the SMTP server may take. nodemailer's defaults (two minutes to connect,
 * ten minutes of silence) would keep a sender waiting on a server that does not answer; these fail
 * the attempt instead, and the outbox tries again later.
 */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
} as const

export interface SmtpSettings {
  /** EASEL_SMTP_URL: `smtp://user:password@host:587` or `smtps://…`. */
  readonly smtpUrl: string
  /** EASEL_MAIL_FROM. */
  readonly from: string
}

/**
 * Mail through an SMTP server with nodemailer, From the configured address, as plain text with an
 * HTML alternative.
 *
 * Not pooled: one connection per mail. Easel's mails are few and come in small bursts (a reset, a
 * verification), so a pool would mostly hold an idle connection open; a connection of its own keeps
 * each attempt independent (a failure or an abort touches one mail), and the outbox, which sends a
 * few at a time, already bounds how many connections are open. A pool would also requeue a message
 * whose connection dropped, a second retry layer hidden under the outbox's own.
 *
 * The mail's Message-ID is made from its outbox id, the same on every attempt, so that the rare
 * mail sent twice (see outbox.ts) is recognisably one message to the receiving end.
 */
export function smtpTransport(settings: SmtpSettings): MailTransport {
  const mailbox = parseMailbox(settings.from)
  if (!mailbox) throw new Error('EASEL_MAIL_FROM is not an address (loadConfig should have refused it)')
  const domain = mailbox.address.slice(mailbox.address.lastIndexOf('@') + 1)
  const transporter = createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS })
  return {
    name: 'smtp',
    async send(mail, signal) {
      try {
        await transporter.sendMail({
          from: settings.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${mail.id}@${domain}>`,
          // RFC 3834: an automatic mail, which vacation responders do not answer.
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal,
        })
      } catch (error) {
        throw sendError(error, settings.smtpUrl)
      }
    },
    close() {
      transporter.close()
    },
  }
}

/**
 * What went wrong, for the outbox: permanent when the server refused the mail with a 5xx reply —
 * except a refused login (wrong credentials in EASEL_SMTP_URL), which the operator fixes while the
 * mail waits, and 503 (commands out of order), which a new connection may not get (nodemailer's
 * `permanent` says the same). The message has the credentials taken out.
 */
export function sendError(error: unknown, smtpUrl: string): MailSendError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError
  const message = error instanceof Error ? error.message : String(error)
  const code = typeof e.responseCode === 'number' ? e.responseCode : null
  const refused =
    typeof e.permanent === 'boolean'
      ? e.permanent
      : code !== null && code >= 500 && code < 600 && code !== 503
  const text = e.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message
  return new MailSendError(redactCredentials(text, smtpUrl), refused && e.code !== 'EAUTH')
}

/**
 * `text` with the URL's password and user name (as written and decoded) and the URL itself replaced,
 * for anything stored or logged. A user name shorter than 3 characters is left alone: replacing it
 * would mangle the message and hide nothing.
 */
export function redactCredentials(text: string, smtpUrl: string): string {
  let url: URL
  try {
    url = new URL(smtpUrl)
  } catch {
    return text
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const secrets = [
    url.password,
    decode(url.password),
    ...(url.username.length >= 3 ? [url.username, decode(url.username)] : []),
  ]
    .filter((s) => s.length > 0)
    // The longest first, so that a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length)
  let out = text.split(smtpUrl).join(smtpServerOf(smtpUrl))
  for (const secret of secrets) out = out.split(secret).join('[redacted]')
  return out
}
