import type { PricingCatalog } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { WriteOp } from '../db/writer/index.ts'
import type { Clock } from '../util/clock.ts'
import { findExpiryDue, warnExpiring } from './notices-expiry.ts'
import { announceFreeCredits, findFreeCreditsDue } from './notices-free-credits.ts'

/** People handled per transaction… */
export const NOTICES_BATCH = 200
/** …and transactions per kind of notice in one run: a run queues at most 2 × 10 × 200 mails. */
export const NOTICES_BATCHES_PER_RUN = 10

export interface NoticesOptions {
  clock: Clock
  /** The price books in force: how many free credits a plan gets this period. */
  pricing: PricingCatalog
  /** Where the studio is: EASEL_PUBLIC_URL, else the address the server listens on. */
  linkBase: string
  batchSize?: number
  batchesPerRun?: number
}

/** What one run queued, and whether it stopped at its bound with more due (the next run goes on). */
export interface NoticesRun {
  expiryWarnings: number
  freeCredits: number
  more: boolean
}

/**
 * The notices people expect, found and queued in the mail outbox:
 *
 * - a warning a week before credits they bought expire (on unless turned off), one mail per person
 *   listing every grant that expires within the week and was not warned about yet;
 * - "your free credits are here" at the start of each monthly period (asked for; only to verified,
 *   enabled people whose free credits are not held and whose plan has an allowance).
 *
 * Each `run()` (the lifecycle's, hourly) first reads who is due — one indexed query per kind, so a
 * run with nothing due is cheap however many people there are — then, a batch at a time, writes
 * each notice's `notices_sent` row and queues its mail in one transaction. That row's key decides:
 * several processes running at once send each notice exactly once. A run handles a bounded number
 * of batches; what is left is found by the next. The caller nudges the mail sender.
 */
export class Notices {
  private readonly clock: Clock
  private readonly batchSize: number
  private readonly batchesPerRun: number

  constructor(
    private readonly db: Database,
    private readonly options: NoticesOptions,
  ) {
    this.clock = options.clock
    this.batchSize = options.batchSize ?? NOTICES_BATCH
    this.batchesPerRun = options.batchesPerRun ?? NOTICES_BATCHES_PER_RUN
    if (!(this.batchSize >= 1 && this.batchesPerRun >= 1)) {
      throw new Error('notices: the batch size and batches per run must be ≥ 1')
    }
  }

  /** Queues every notice due now, up to the run's bound (see the class). */
  async run(): Promise<NoticesRun> {
    const { linkBase, pricing } = this.options
    const expiry = await this.batches(
      (now) => findExpiryDue(this.db, now, this.batchSize),
      (users) => warnExpiring(users, linkBase),
    )
    const free = await this.batches(
      (now) => findFreeCreditsDue(this.db, now, this.batchSize),
      (users) => announceFreeCredits(users, pricing, linkBase),
    )
    return { expiryWarnings: expiry.queued, freeCredits: free.queued, more: expiry.more || free.more }
  }

  private async batches(
    find: (now: number) => Promise<string[]>,
    send: (userIds: string[]) => WriteOp<number>,
  ): Promise<{ queued: number; more: boolean }> {
    let queued = 0
    for (let batch = 0; batch < this.batchesPerRun; batch++) {
      const due = await find(this.clock.now())
      if (due.length === 0) return { queued, more: false }
      queued += await this.db.write(send(due), this.clock)
      if (due.length < this.batchSize) return { queued, more: false }
    }
    return { queued, more: true }
  }
}
