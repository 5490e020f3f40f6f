// Mail: composed (mail.ts), queued in the outbox inside the caller's write (queueMail), and sent in
// the background (outbox.ts) through SMTP or, with mail off, into the log. Outgoing webhooks will
// live here too (DESIGN §4).

export { logTransport } from './log-transport.ts'
export { composeMail, type MailContent, type OutgoingMail, publicLink, queueMail } from './mail.ts'
export { createMailer, Mailer, type MailerOptions, type MailStatus } from './mailer.ts'
export {
  BATCH_SIZE,
  LEASE_MS,
  MailOutbox,
  type OutboxOptions,
  type OutboxRun,
  SEND_TIMEOUT_MS,
  SENDS_AT_ONCE,
} from './outbox.ts'
export { type AfterFailure, afterFailure, DEFAULT_RETRY, type RetryPolicy } from './retry-policy.ts'
export { redactCredentials, SMTP_TIMEOUTS, smtpTransport } from './smtp-transport.ts'
export { type MailLog, MailSendError, type MailTransport, type OutboxMail } from './transport.ts'
