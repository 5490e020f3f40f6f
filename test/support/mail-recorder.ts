import type { MailTransport, OutboxMail } from '../../src/notify/index.ts'

/**
 * A mail transport that keeps what it is given, for suites that read the mail a request caused
 * without an SMTP server (those that test delivery use test/support/smtp.ts). The outbox erases a
 * mail's bodies once it is sent, so a test reads them here, not from the table.
 */
export class MailRecorder implements MailTransport {
  readonly name = 'recorder'
  readonly sent: OutboxMail[] = []

  async send(mail: OutboxMail): Promise<void> {
    this.sent.push(mail)
  }

  close(): void {}

  /** The mails sent to `to`, in the order they were queued (their ids sort by creation). */
  to(to: string): OutboxMail[] {
    return this.sent.filter((m) => m.to === to).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
}
