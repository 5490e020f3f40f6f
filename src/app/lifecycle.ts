import type { Ledger } from '../credits/index.ts'
import { Notices, type NoticesRun } from '../notify/notices.ts'
import { linkBaseOf } from './link-base.ts'
import type { AppLog } from './log.ts'
import { closeRedis } from './redis.ts'
import { intervalScheduler, type Scheduler } from './scheduler.ts'
import type { Services } from './services.ts'

/** How often, by default, overdue holds are released, expired credit recorded and books re-read. */
export const SWEEP_EVERY_MS = 60_000
/** How often the jobs of peers that are gone (crashed) are looked for. */
export const RECOVER_EVERY_MS = 30_000
/** How often the mail outbox is checked for due mail (mail queued here is sent at once: a nudge). */
export const MAIL_EVERY_MS = 5_000
/** How often, by default, due notices (credits about to expire, free credits arrived) are mailed. */
export const NOTICES_EVERY_MS = 3_600_000
/** How long, by default, running jobs may finish when the app stops before they are stopped. */
export const GRACE_MS = 10_000

export type SweepCounts = Awaited<ReturnType<Ledger['expireDue']>>

/** One sweep: what it released and expired, or why it failed (a sweep never throws). */
export type SweepOutcome = { ok: true; value: SweepCounts } | { ok: false; error: Error }

export interface StartReport {
  /** Jobs that stopped or crashed processes had left unfinished, settled at start-up. */
  recovered: number
  /** The first sweep, run at start-up. */
  sweep: SweepOutcome
}

/**
 * Something that takes work from outside — the HTTP server, later the worker's queue consumer.
 * When the app stops it is told first (it stops taking work) and awaited before the database
 * closes (what it took has finished). Fastify's instance is one.
 */
export interface Surface {
  close(): PromiseLike<unknown>
}

export interface LifecycleOptions {
  log: AppLog
  /** Default {@link SWEEP_EVERY_MS} (`easel start --sweep-every`). */
  sweepEveryMs?: number
  /** Default {@link RECOVER_EVERY_MS}. */
  recoverEveryMs?: number
  /** Default {@link MAIL_EVERY_MS}. */
  mailEveryMs?: number
  /** Default {@link NOTICES_EVERY_MS}. */
  noticesEveryMs?: number
  /** Default {@link intervalScheduler} (timers); tests drive their own. */
  scheduler?: Scheduler
  /**
   * Told every sweep's outcome, the first included, instead of the log (`easel start` prints them).
   * Without it a sweep that changed something is logged at info and a failed one at error.
   */
  onSweep?: (outcome: SweepOutcome) => void
}

/**
 * What one Easel process does besides answering calls, in one place for the server, the worker,
 * the CLI's `start` and tests (the CLI's other commands build only the core, and run none of it).
 *
 * `start()`: registers the process and settles the jobs that crashed processes left running
 * (releasing their holds), runs a first sweep, then every `sweepEveryMs` re-reads the price books
 * (versions another process activated) and records what time has done (overdue holds released,
 * expired credit), and every `recoverEveryMs` settles the jobs of peers that have since gone. It
 * starts the mail sender: what is due goes out now, then every `mailEveryMs` and whenever this
 * process queues mail (`services.mail.nudge()`). It runs the notices (`notify/notices.ts`: the
 * warning before bought credits expire, "your free credits are here") at start and every
 * `noticesEveryMs`, nudging the sender after a run that queued mail.
 *
 * `stop(graceMs)`: no more periodic work; surfaces stop taking work; periodic work under way
 * finishes; running jobs and mail being sent get `graceMs` to finish and are then stopped (their
 * holds released; the mails' leases given back, for the next process); the process is marked
 * stopped; surfaces finish; the database closes. Idempotent: every call returns
 * the same shutdown. A lifecycle is started at most once, and never after it stopped.
 *
 * @example
 * const { services, lifecycle } = await openApp(config, { clock: systemClock })
 * const { recovered } = await lifecycle.start()
 * lifecycle.attach(httpServer)
 * // … on SIGTERM:
 * await lifecycle.stop(10_000)
 */
export class Lifecycle {
  private readonly log: AppLog
  private readonly scheduler: Scheduler
  private readonly sweepEveryMs: number
  private readonly recoverEveryMs: number
  private readonly mailEveryMs: number
  private readonly noticesEveryMs: number
  /** The notices people expect (see `notify/notices.ts`), found and queued every `noticesEveryMs`. */
  readonly notices: Notices
  private readonly cancels: Array<() => void> = []
  /** Periodic work under way, which a stop waits for. */
  private readonly running = new Set<Promise<unknown>>()
  private readonly surfaces: Surface[] = []
  private starting: Promise<StartReport> | undefined
  private stopping: Promise<void> | undefined

  constructor(
    private readonly services: Pick<
      Services,
      'db' | 'pricing' | 'ledger' | 'studio' | 'mail' | 'clock' | 'config' | 'redis'
    >,
    private readonly options: LifecycleOptions,
  ) {
    this.log = options.log
    this.scheduler = options.scheduler ?? intervalScheduler
    this.sweepEveryMs = options.sweepEveryMs ?? SWEEP_EVERY_MS
    this.recoverEveryMs = options.recoverEveryMs ?? RECOVER_EVERY_MS
    this.mailEveryMs = options.mailEveryMs ?? MAIL_EVERY_MS
    this.noticesEveryMs = options.noticesEveryMs ?? NOTICES_EVERY_MS
    const intervals = [this.sweepEveryMs, this.recoverEveryMs, this.mailEveryMs, this.noticesEveryMs]
    if (!intervals.every((ms) => ms > 0)) {
      throw new Error(
        `intervals must be positive: sweep ${this.sweepEveryMs} ms, recover ${this.recoverEveryMs} ms, mail ${this.mailEveryMs} ms, notices ${this.noticesEveryMs} ms`,
      )
    }
    this.notices = new Notices(services.db, {
      clock: services.clock,
      pricing: services.pricing,
      linkBase: linkBaseOf(services.config),
    })
  }

  /** Starts the process's background work (see the class); a second call returns the first's report. */
  start(): Promise<StartReport> {
    if (this.stopping) return Promise.reject(new Error('this app has stopped; open a new one to start again'))
    this.starting ??= this.begin()
    return this.starting
  }

  private async begin(): Promise<StartReport> {
    const { recovered } = await this.services.studio.start()
    if (recovered > 0)
      this.log.warn({ recovered }, 'settled jobs that a stopped Easel process left unfinished')
    const sweep = await this.sweep()
    // Stopped while starting: the shutdown waits for this start, and nothing more is scheduled.
    if (!this.stopping) {
      this.every(this.sweepEveryMs, () => this.sweep())
      this.every(this.recoverEveryMs, () => this.recoverPeers())
      this.startMail()
      // A first run now: a process restarted more often than hourly still sends what is due.
      await this.sendNotices()
      this.every(this.noticesEveryMs, () => this.sendNotices())
    }
    return { recovered, sweep }
  }

  /**
   * Starts the mail sender: a first run now (mail left by a stopped process), in the background,
   * then its ticks. They are not periodic work the stop waits for: the sender's own stop bounds
   * a send under way by the grace period.
   */
  private startMail(): void {
    const { mail } = this.services
    if (mail.enabled) {
      this.log.info({ server: mail.server, from: mail.from }, 'mail is on')
    } else {
      this.log.info({}, 'mail is off (EASEL_SMTP_URL is not set): mails are written to this log')
    }
    mail.start()
    mail.nudge()
    this.cancels.push(this.scheduler.every(this.mailEveryMs, () => mail.tick()))
  }

  /**
   * One sweep now: re-reads the price books (versions another process activated since), then
   * releases overdue holds and records expired credit across the installation. Never throws: the
   * outcome says what happened, and goes to `onSweep` (or the log).
   */
  async sweep(): Promise<SweepOutcome> {
    let outcome: SweepOutcome
    try {
      // Refreshed first, so that what the sweep grants or expires follows the books now in force.
      await this.services.pricing.refresh()
      outcome = { ok: true, value: await this.services.ledger.expireDue() }
    } catch (error) {
      outcome = { ok: false, error: error instanceof Error ? error : new Error(String(error)) }
    }
    if (this.options.onSweep) this.options.onSweep(outcome)
    else if (!outcome.ok) this.log.error({ err: outcome.error }, 'sweep failed')
    else if (outcome.value.holdsReleased + outcome.value.lotsExpired > 0) {
      this.log.info({ ...outcome.value }, 'released overdue holds and recorded expired credit')
    }
    return outcome
  }

  /**
   * One run of the notices now (see `notify/notices.ts`), then a nudge to the mail sender when it
   * queued mail. Never throws: a failure is logged (null) and the next run tries again.
   */
  async sendNotices(): Promise<NoticesRun | null> {
    try {
      const run = await this.notices.run()
      if (run.expiryWarnings + run.freeCredits > 0) {
        this.services.mail.nudge()
        this.log.info({ ...run }, 'queued notices: credits about to expire, free credits arrived')
      }
      return run
    } catch (error) {
      this.log.error(
        { err: error },
        'notices: finding or queueing due notices failed; the next run tries again',
      )
      return null
    }
  }

  /** Adds a surface that `stop()` closes first and waits for; one added after a stop is closed now. */
  attach(surface: Surface): void {
    this.surfaces.push(surface)
    if (this.stopping) void Promise.resolve(surface.close()).catch(() => {})
  }

  /** Shuts the process down (see the class); idempotent. */
  stop(graceMs = GRACE_MS): Promise<void> {
    this.stopping ??= this.shutdown(graceMs)
    return this.stopping
  }

  private async shutdown(graceMs: number): Promise<void> {
    for (const cancel of this.cancels.splice(0)) cancel()
    // Stop taking requests first; requests waiting on jobs finish as their jobs do.
    const closed = Promise.all(
      this.surfaces.map((s) =>
        Promise.resolve(s.close()).then(
          () => {},
          (error: unknown) => this.log.error({ err: error }, 'closing a surface failed'),
        ),
      ),
    )
    try {
      await this.starting?.catch(() => {})
      await Promise.allSettled([...this.running])
      await Promise.all([this.services.studio.stop(graceMs), this.services.mail.stop(graceMs)])
    } finally {
      await closed
      await this.services.db.close()
      if (this.services.redis) await closeRedis(this.services.redis)
    }
  }

  /** Schedules `work`; a run that outlasts the interval is not doubled, and none starts after stop. */
  private every(ms: number, work: () => Promise<unknown>): void {
    let current: Promise<void> | undefined
    const cancel = this.scheduler.every(ms, () => {
      if (this.stopping) return Promise.resolve()
      if (current) return current
      const run = work().then(
        () => {},
        // Periodic work reports its own failures; this is a bug in that reporting, kept alive.
        (error: unknown) => this.log.error({ err: error }, 'periodic work failed'),
      )
      current = run.finally(() => {
        this.running.delete(run)
        current = undefined
      })
      this.running.add(run)
      return current
    })
    this.cancels.push(cancel)
  }

  private async recoverPeers(): Promise<void> {
    try {
      const recovered = await this.services.studio.recoverOrphans()
      if (recovered > 0)
        this.log.warn({ recovered }, 'settled jobs that a stopped Easel process left unfinished')
    } catch (error) {
      this.log.error({ err: error }, 'recovering jobs failed')
    }
  }
}
