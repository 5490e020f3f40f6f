/** A mail from the outbox, as a transport delivers it. */
export interface OutboxMail {
  /** The outbox row's id (`mail_…`): the same on every attempt. */
  readonly id: string
  readonly kind: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
}

/**
 * Where mail goes: an SMTP server (smtp-transport.ts) or, with mail off, the log (log-transport.ts).
 * `send` resolves once the mail has been handed over, and rejects when it was not, with a
 * {@link MailSendError} saying whether trying again could help. It stops when `signal` aborts.
 */
export interface MailTransport {
  /** `smtp` or `log`, for the log and the admin page. */
  readonly name: string
  send(mail: OutboxMail, signal: AbortSignal): Promise<void>
  /** Lets go of connections; no `send` follows. */
  close(): void
}

/**
 * A mail that was not handed over. `permanent`: the server refused it for good (an SMTP 5xx reply),
 * so trying again would get the same answer. The message is safe to store and log: a transport
 * leaves credentials out of it.
 */
export class MailSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message)
    this.name = 'MailSendError'
  }
}

/** The shape of the app's logger (pino, or a test's spy) that mail writes to. */
export interface MailLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}
