import type { MailLog, MailTransport } from './transport.ts'

/**
 * Mail off (no EASEL_SMTP_URL): each mail is written to the log at info level — recipient, subject
 * and the plain-text body — and counts as sent. An operator running without a mail server can
 * still follow a password-reset link from the log; nothing piles up in the outbox.
 */
export function logTransport(log: MailLog): MailTransport {
  return {
    name: 'log',
    async send(mail) {
      log.info(
        { mailId: mail.id, kind: mail.kind, to: mail.to, subject: mail.subject, text: mail.text },
        'mail is off (EASEL_SMTP_URL is not set): this mail is written to the log instead of being sent',
      )
    },
    close() {},
  }
}
