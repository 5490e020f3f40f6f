import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import {
  type ClaimedRow,
  claimDue,
  giveBack,
  giveBackInterrupted,
  MAX_ERROR_CHARS,
  markFailed,
  markSent,
  readCounts,
} from './outbox-rows.ts'
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.ts'
import { type MailLog, MailSendError, type MailTransport, type OutboxMail } from './transport.ts'

/** How long a sender holds a mail it took; another process takes it only after this. */
export const LEASE_MS = 5 * 60_000
/** The longest one attempt may take: well inside the lease, so no lease runs out mid-send. */
export const SEND_TIMEOUT_MS = 2 * 60_000
/** Mails taken per run… */
export const BATCH_SIZE = 20
/** …and sent at once. */
export const SENDS_AT_ONCE = 3

export interface OutboxOptions {
  clock: Clock
  log: MailLog
  leaseMs?: number
  sendTimeoutMs?: number
  batchSize?: number
  sendsAtOnce?: number
  retry?: RetryPolicy
}

/** What one run (or a drain) did: mails taken, and what became of them. */
export interface OutboxRun {
  claimed: number
  sent: number
  /** Failed, to be tried again later. */
  retrying: number
  /** Given up on (refused for good, or out of attempts). */
  failed: number
  /** Taken but not sent because the sender stopped: free for the next sender at once. */
  released: number
}

type Outcome = Exclude<keyof OutboxRun, 'claimed'>

const emptyRun = (): OutboxRun => ({ claimed: 0, sent: 0, retrying: 0, failed: 0, released: 0 })

/**
 * The background sender of the mail outbox (`mail_outbox`, filled by `queueMail` in the transaction
 * of whatever caused the mail). Mail survives a restart because it is sent from the table, never
 * from memory, and sending never holds up the request that queued it.
 *
 * - **Lease.** A run takes up to `batchSize` due mails with one conditional update that sets
 *   `locked_until` (now + `leaseMs`) only on rows that are due and not leased: on SQLite the update
 *   holds the database's write lock, on PostgreSQL `for update skip locked` lets concurrent senders
 *   take disjoint rows without waiting. So two senders, in one process or many, never send one
 *   mail at the same time. The lease value is the sender's token: a failure is recorded only while
 *   the row still holds it. A sender that dies mid-send leaves the lease to run out, and then
 *   another sender takes the mail.
 * - **Sending** goes `sendsAtOnce` at a time through the transport (SMTP, or the log when mail is
 *   off). Sent → `sent_at`. Failed → `attempts` + 1, `last_error` (without credentials: the
 *   transport's message), and the next attempt after a backoff (retry-policy.ts) or, refused for
 *   good (5xx) or out of attempts, `failed_at`.
 * - **Bodies are erased** once a mail is sent or given up on: they may carry a link that works
 *   until its token expires. Kind, recipient, subject and times stay, for the admin's counts.
 * - **At least once.** A mail the server accepted but whose `sent_at` write then failed is sent
 *   again when its lease runs out, and a mail whose send was aborted at shutdown may have arrived
 *   anyway: a duplicate reset mail is better than a lost one (the Message-ID is the same).
 * - **When.** `tick()` on the lifecycle's schedule (every few seconds), and `nudge()` right after
 *   something in this process queued mail. Runs never overlap in one process; a nudge during a run
 *   makes one more run after it. Nothing throws out of a run: failures are logged and retried.
 * - **Tests** await `runOnce()` or `drain()` (runs until nothing is due), and move the clock.
 */
export class MailOutbox {
  private readonly clock: Clock
  private readonly log: MailLog
  private readonly leaseMs: number
  private readonly sendTimeoutMs: number
  private readonly batchSize: number
  private readonly sendsAtOnce: number
  private readonly retry: RetryPolicy
  /** Aborts sends under way once the stop's grace period is over. */
  private readonly abort = new AbortController()
  /** Runs, one after another. */
  private chain: Promise<unknown> = Promise.resolve()
  /** Runs queued or running. */
  private pending = 0
  private nudged = false
  private started = false
  private closing = false
  private stopped: Promise<void> | undefined

  constructor(
    private readonly db: Database,
    readonly transport: MailTransport,
    options: OutboxOptions,
  ) {
    this.clock = options.clock
    this.log = options.log
    this.leaseMs = options.leaseMs ?? LEASE_MS
    this.sendTimeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS
    this.batchSize = options.batchSize ?? BATCH_SIZE
    this.sendsAtOnce = options.sendsAtOnce ?? SENDS_AT_ONCE
    this.retry = options.retry ?? DEFAULT_RETRY
    if (!(this.sendTimeoutMs < this.leaseMs)) {
      throw new Error(`a send (${this.sendTimeoutMs} ms) must end before its lease (${this.leaseMs} ms) does`)
    }
    if (!(this.batchSize >= 1 && this.sendsAtOnce >= 1))
      throw new Error('batch size and sends at once must be ≥ 1')
  }

  /** From now on ticks and nudges send (the lifecycle starts it; a CLI command never does). */
  start(): void {
    if (!this.closing) this.started = true
  }

  /** One run now, after any under way: takes what is due, sends it, records what happened. */
  runOnce(): Promise<OutboxRun> {
    return this.enqueue()
  }

  /** Runs until a run finds nothing due (at the clock's now). What tests await instead of sleeping. */
  async drain(): Promise<OutboxRun> {
    const total = emptyRun()
    for (;;) {
      const run = await this.runOnce()
      for (const key of Object.keys(total) as Array<keyof OutboxRun>) total[key] += run[key]
      if (run.claimed === 0 || this.closing) return total
    }
  }

  /**
   * The periodic run: none while another is running or queued (ticks never pile up; the promise is
   * then that run's), none before `start()` or after `stop()`.
   */
  async tick(): Promise<void> {
    if (!this.started || this.closing) return
    if (this.pending > 0) await this.chain
    else await this.enqueue()
  }

  /**
   * Mail was just queued (and committed) in this process: send it now rather than at the next tick.
   * Cheap to call often: nudges while a run is queued fold into it.
   */
  nudge(): void {
    if (!this.started || this.closing || this.nudged) return
    this.nudged = true
    void this.enqueue(() => {
      this.nudged = false
    })
  }

  /**
   * Stops sending: no new run or send starts; sends under way get `graceMs` to finish and are then
   * aborted (their mails freed for the next sender at once, see the class). Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.closing = true
    this.stopped ??= this.shutdown(graceMs)
    return this.stopped
  }

  private async shutdown(graceMs: number): Promise<void> {
    const idle = this.chain
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs)
    })
    try {
      if (await Promise.race([idle.then(() => false), late])) {
        this.abort.abort()
        await idle
      }
    } finally {
      clearTimeout(timer)
      this.transport.close()
    }
  }

  /** Mail waiting to be sent (now or later) and mail given up on. */
  counts(): Promise<{ queued: number; failed: number }> {
    return readCounts(this.db.kysely)
  }

  private enqueue(onBegin?: () => void): Promise<OutboxRun> {
    this.pending++
    const run = this.chain.then(async () => {
      onBegin?.()
      try {
        return await this.runBatch()
      } finally {
        this.pending--
      }
    })
    // runBatch reports its own failures; the chain only has to go on.
    this.chain = run.catch(() => {})
    return run
  }

  private async runBatch(): Promise<OutboxRun> {
    const run = emptyRun()
    if (this.closing) return run
    let claimed: ClaimedRow[]
    try {
      claimed = await this.claim()
    } catch (error) {
      this.log.error({ err: error }, 'mail: taking due mail from the outbox failed; the next run tries again')
      return run
    }
    run.claimed = claimed.length
    const waiting = [...claimed]
    const worker = async () => {
      while (waiting.length > 0 && !this.closing) {
        const outcome: Outcome = await this.deliver(waiting.shift()!)
        run[outcome]++
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.sendsAtOnce, waiting.length) }, worker))
    if (waiting.length > 0) {
      await this.release(waiting)
      run.released += waiting.length
    }
    return run
  }

  private claim(): Promise<ClaimedRow[]> {
    return this.db.write(claimDue(this.leaseMs, this.batchSize), this.clock)
  }

  private async deliver(row: ClaimedRow): Promise<Outcome> {
    const mail: OutboxMail = {
      id: row.id,
      kind: row.kind,
      to: row.to_address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
    }
    // One signal per send, aborted by the stop or by the deadline (a listener on the long-lived stop
    // signal, removed after the send, rather than AbortSignal.any, which holds on to its sources).
    const send = new AbortController()
    let timedOut = false
    const onStop = () => send.abort()
    this.abort.signal.addEventListener('abort', onStop, { once: true })
    const deadline = setTimeout(() => {
      timedOut = true
      send.abort()
    }, this.sendTimeoutMs)
    try {
      await this.transport.send(mail, send.signal)
    } catch (error) {
      if (this.abort.signal.aborted) return this.interrupted(row)
      return this.failed(
        row,
        timedOut
          ? new MailSendError(`no answer within ${Math.round(this.sendTimeoutMs / 1000)} s`, false)
          : error,
      )
    } finally {
      clearTimeout(deadline)
      this.abort.signal.removeEventListener('abort', onStop)
    }
    try {
      // Not fenced by the lease: the mail was delivered, whoever holds the row now.
      await this.db.write(markSent(row), this.clock)
    } catch (error) {
      this.log.error(
        { mailId: row.id, kind: row.kind, err: error },
        'mail: sent, but recording it failed: it will be sent again once its lease runs out',
      )
    }
    return 'sent'
  }

  private async failed(row: ClaimedRow, error: unknown): Promise<Outcome> {
    const reason =
      error instanceof MailSendError
        ? error
        : // Not from a transport (which words its own errors): a bug, retried like any failure.
          new MailSendError(error instanceof Error ? error.message : String(error), false)
    const attempts = row.attempts + 1
    const lastError = reason.message.slice(0, MAX_ERROR_CHARS)
    try {
      const { next, changed } = await this.db.write(
        markFailed(row, { attempts, lastError, permanent: reason.permanent, retry: this.retry }),
        this.clock,
      )
      const about = { mailId: row.id, kind: row.kind, attempts, error: lastError }
      if (changed === 0) {
        // The lease ran out and another sender has the mail now: it records its own attempt.
        this.log.warn(about, 'mail: not sent, and its lease had run out: left to the sender that has it')
        return 'retrying'
      }
      if (next.retry) {
        this.log.warn(
          { ...about, retryAt: new Date(next.at).toISOString() },
          'mail: not sent; will try again',
        )
        return 'retrying'
      }
      this.log.error(
        { ...about, reason: next.reason },
        next.reason === 'refused'
          ? 'mail: refused by the mail server; given up'
          : 'mail: not sent after every attempt; given up',
      )
      return 'failed'
    } catch (writeError) {
      this.log.error(
        { mailId: row.id, kind: row.kind, error: lastError, err: writeError },
        'mail: not sent, and recording the failure failed: it is tried again once its lease runs out',
      )
      return 'retrying'
    }
  }

  /** Aborted at shutdown: not the mail's fault, so no attempt is counted and the lease is given back. */
  private async interrupted(row: ClaimedRow): Promise<Outcome> {
    try {
      await this.db.write(giveBackInterrupted(row), this.clock)
    } catch (error) {
      this.log.warn(
        { mailId: row.id, err: error },
        'mail: could not give back an interrupted send; its lease runs out',
      )
    }
    return 'released'
  }

  /** Gives back mails taken but not started (the sender is stopping). */
  private async release(rows: readonly ClaimedRow[]): Promise<void> {
    try {
      await this.db.write(giveBack(rows), this.clock)
    } catch (error) {
      this.log.warn(
        { mails: rows.length, err: error },
        'mail: could not give back mail not sent; leases run out',
      )
    }
  }
}
