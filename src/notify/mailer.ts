import { type MailConfig, smtpServerOf } from '../config.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import { logTransport } from './log-transport.ts'
import { type OutgoingMail, queueMail } from './mail.ts'
import { MailOutbox, type OutboxOptions, type OutboxRun } from './outbox.ts'
import { smtpTransport } from './smtp-transport.ts'
import type { MailLog, MailTransport } from './transport.ts'

/** Whether mail goes out, and what waits: what the admin page shows. */
export interface MailStatus {
  /** True when EASEL_SMTP_URL is set; otherwise mail is written to the log. */
  readonly enabled: boolean
  /** EASEL_MAIL_FROM, when mail is on. */
  readonly from: string | null
  /** The SMTP server without credentials (`smtp://mail.example.com:587`), when mail is on. */
  readonly server: string | null
  /** Waiting to be sent, now or after a failed attempt. */
  readonly queued: number
  /** Given up on. */
  readonly failed: number
}

/**
 * Mail, as the rest of Easel sees it (`services.mail`): whether it is on, the outbox's sender (the
 * lifecycle starts and stops it), and the two ways to send.
 *
 * - Inside a write of your own, so that the mail goes if and only if the write commits:
 *   `queueMail(tx, mail, now)` (mail.ts) in the operation, then `mail.nudge()` once it resolved.
 * - On its own: `await mail.queue(mail)` (its own write, then the nudge).
 *
 * Tests: `await mail.drain()` sends everything due now (see test/support/smtp.ts to read it).
 */
export class Mailer {
  readonly enabled: boolean
  readonly from: string | null
  readonly server: string | null

  constructor(
    private readonly db: Database,
    readonly outbox: MailOutbox,
    private readonly clock: Clock,
    settings: MailConfig | null,
  ) {
    this.enabled = settings !== null
    this.from = settings?.from ?? null
    this.server = settings ? smtpServerOf(settings.smtpUrl) : null
  }

  /** Queues `mail` in a write of its own and nudges the sender; resolves to its id once committed. */
  async queue(mail: OutgoingMail): Promise<string> {
    const id = await this.db.write(
      { name: 'queue-mail', locks: {}, run: async (tx, now) => queueMail(tx, mail, now) },
      this.clock,
    )
    this.nudge()
    return id
  }

  /** Mail was queued (and committed) in this process: send it now. See {@link MailOutbox.nudge}. */
  nudge(): void {
    this.outbox.nudge()
  }

  start(): void {
    this.outbox.start()
  }

  tick(): Promise<void> {
    return this.outbox.tick()
  }

  runOnce(): Promise<OutboxRun> {
    return this.outbox.runOnce()
  }

  drain(): Promise<OutboxRun> {
    return this.outbox.drain()
  }

  stop(graceMs: number): Promise<void> {
    return this.outbox.stop(graceMs)
  }

  async status(): Promise<MailStatus> {
    const { queued, failed } = await this.outbox.counts()
    return { enabled: this.enabled, from: this.from, server: this.server, queued, failed }
  }
}

export interface MailerOptions extends Omit<OutboxOptions, 'log' | 'clock'> {
  clock: Clock
  log: MailLog
  /** A transport instead of the configured one (tests). */
  transport?: MailTransport
}

/**
 * Mail as the configuration says: through the SMTP server of EASEL_SMTP_URL, or into the log. Builds
 * the sender; starts nothing (the lifecycle does).
 */
export function createMailer(mail: MailConfig | null, db: Database, options: MailerOptions): Mailer {
  const { transport: given, ...outboxOptions } = options
  const transport = given ?? (mail ? smtpTransport(mail) : logTransport(options.log))
  return new Mailer(db, new MailOutbox(db, transport, outboxOptions), options.clock, mail)
}
