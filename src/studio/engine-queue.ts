/**
 * A bounded, fair queue in front of one engine: at most `concurrency` jobs run at once, at most
 * `limit` wait. `hasRoom` lets the caller refuse a job before holding its credits; `offer` refuses
 * too (returns null, never running the task) when the queue filled in between.
 *
 * Waiting jobs are taken round-robin across accounts, in rounds: each round starts at most one job
 * of each account that has any waiting, in the order the accounts joined the round. An account
 * that already had a job started this round (even one that started at once, without waiting) waits
 * for the next round, so a second account's job starts next even behind 200 of the first's. Each
 * account's own jobs start in the order they were offered. Offering and starting are O(1)
 * (amortized); taking a job out of line (`remove`) and reading a place in line (`positionOf`) cost
 * O(accounts waiting + that account's jobs), and every place at once (`positions`) O(waiting).
 *
 * @example
 *   const queue = new EngineQueue(1, 1000)
 *   queue.offer('acct_a', () => draw('a1'))          // runs now
 *   queue.offer('acct_a', () => draw('a2'), 'job_2') // waits
 *   queue.offer('acct_b', () => draw('b1'), 'job_3') // waits, and starts when a1 ends, before a2
 *   queue.positionOf('job_3')                        // 1
 *   queue.positionOf('job_2')                        // 2
 */
export class EngineQueue {
  private running = 0
  private waiting = 0
  private round = 0
  private readonly accounts = new Map<string, AccountQueue>()
  /** Waiting jobs offered with an id, by id. */
  private readonly byId = new Map<string, Waiting>()
  /** Accounts with jobs waiting that have not had a job started this round, in the order they joined it. */
  private thisRound = new Fifo<AccountQueue>()
  /** Accounts with jobs waiting that had a job started this round. */
  private nextRound = new Fifo<AccountQueue>()
  /** Accounts that had a job started this round and have none waiting: forgotten when the round ends. */
  private readonly idle = new Fifo<AccountQueue>()

  constructor(
    readonly concurrency: number,
    readonly limit: number,
    private readonly options: {
      /** Told (synchronously) each time the line moves: a job joined it, started, or was taken out. */
      onMove?: () => void
    } = {},
  ) {}

  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting }
  }

  /** Whether a new job would be accepted now. */
  hasRoom(): boolean {
    return this.running < this.concurrency || this.waiting < this.limit
  }

  /**
   * Runs `task` for `accountId` when a slot is free and its turn comes; null (and `task` never
   * runs) when the queue is full. With an `id`, the job's place in line can be read and the job
   * taken out of line ({@link remove}); ids must be unique among the jobs waiting.
   */
  offer<T>(accountId: string, task: () => Promise<T>, id?: string): Promise<T> | null {
    if (!this.hasRoom()) return null
    if (id !== undefined && this.byId.has(id)) throw new Error(`job ${id} is already waiting in this queue`)
    return new Promise<T>((resolve, reject) => {
      let account = this.accounts.get(accountId)
      if (!account) {
        account = { id: accountId, jobs: new Fifo(), servedInRound: -1 }
        this.accounts.set(accountId, account)
      }
      if (account.jobs.length === 0) {
        // Joins the ring: this round if it has not had its turn yet, else the next.
        if (account.servedInRound === this.round) this.nextRound.push(account)
        else this.thisRound.push(account)
      }
      const job: Waiting = {
        id,
        account,
        start: () => {
          let result: Promise<T>
          try {
            result = task()
          } catch (error) {
            result = Promise.reject(error)
          }
          result.then(resolve, reject).finally(() => {
            this.running--
            this.startWaiting()
          })
        },
        drop: reject,
      }
      account.jobs.push(job)
      if (id !== undefined) this.byId.set(id, job)
      this.waiting++
      if (!this.startWaiting()) this.options.onMove?.()
    })
  }

  /**
   * Takes a waiting job out of line: its task never runs, and the promise `offer` returned rejects
   * with `reason`. False when no job of that id is waiting (it started, or was never offered here).
   */
  remove(id: string, reason: unknown): boolean {
    const job = this.byId.get(id)
    if (!job) return false
    this.byId.delete(id)
    const account = job.account
    account.jobs.remove(job)
    this.waiting--
    if (account.jobs.length === 0) {
      // Leaves the ring. One that had its turn this round is remembered until the round ends, as if
      // its last job had started; one that had not is forgotten at once.
      if (account.servedInRound === this.round) {
        this.nextRound.remove(account)
        this.idle.push(account)
      } else {
        this.thisRound.remove(account)
        this.accounts.delete(account.id)
      }
    }
    if (this.running === 0 && this.waiting === 0) this.startNextRound()
    job.drop(reason)
    this.options.onMove?.()
    return true
  }

  /** A waiting job's place in line, 1 for the next to start (unless others join before it); null when not waiting. */
  positionOf(id: string): number | null {
    const job = this.byId.get(id)
    if (!job) return null
    const own = job.account
    const ownOffset = this.nextRound.includes(own) ? 1 : 0
    // The round (from now, 0 = this one) in which the job starts.
    const round = own.jobs.indexOf(job) + ownOffset
    let ahead = 0
    let beforeOwn = true
    // Each round takes, in this order, the accounts of `nextRound` then those of `thisRound` (this
    // round: those of `thisRound` alone, as `nextRound`'s have had their turn).
    for (const [ring, offset] of [
      [this.nextRound, 1],
      [this.thisRound, 0],
    ] as const) {
      for (const account of ring) {
        if (account === own) {
          beforeOwn = false
          ahead += round - offset
          continue
        }
        const count = account.jobs.length
        // Its jobs start in rounds offset … offset + count - 1: those before the job's round, and
        // the one in its round when the account comes first in it.
        ahead += Math.min(Math.max(round - offset, 0), count)
        if (beforeOwn && round >= offset && round < offset + count) ahead++
      }
    }
    return ahead + 1
  }

  /** The place in line (see {@link positionOf}) of every waiting job offered with an id. */
  positions(): Map<string, number> {
    const places = new Map<string, number>()
    let place = 0
    // Rounds from now, each taking the next job of each account in turn, until none is left.
    let ring = [...this.nextRound].map((account) => ({ account, offset: 1 }))
    for (const account of this.thisRound) ring.push({ account, offset: 0 })
    for (let round = 0; ring.length > 0; round++) {
      const left: typeof ring = []
      for (const entry of ring) {
        const k = round - entry.offset
        if (k < 0) {
          left.push(entry)
          continue
        }
        const job = entry.account.jobs.at(k)!
        place++
        if (job.id !== undefined) places.set(job.id, place)
        if (k + 1 < entry.account.jobs.length) left.push(entry)
      }
      ring = left
    }
    return places
  }

  /** Accounts with jobs waiting (what {@link positionOf} walks). */
  get accountsWaiting(): number {
    return this.thisRound.length + this.nextRound.length
  }

  /** Starts waiting jobs while slots are free, one per account per round; true when one started. */
  private startWaiting(): boolean {
    let started = false
    while (this.running < this.concurrency && this.waiting > 0) {
      if (this.thisRound.length === 0) this.startNextRound()
      const account = this.thisRound.shift()!
      const job = account.jobs.shift()!
      if (job.id !== undefined) this.byId.delete(job.id)
      account.servedInRound = this.round
      if (account.jobs.length > 0) this.nextRound.push(account)
      else this.idle.push(account)
      this.waiting--
      this.running++
      started = true
      job.start()
    }
    // Nothing running or waiting: every account starts afresh.
    if (this.running === 0 && this.waiting === 0) this.startNextRound()
    if (started) this.options.onMove?.()
    return started
  }

  private startNextRound(): void {
    this.round++
    const ended = this.thisRound
    this.thisRound = this.nextRound
    this.nextRound = ended
    // Accounts still without waiting jobs need no memory of the round that ended.
    for (let account = this.idle.shift(); account; account = this.idle.shift()) {
      if (account.jobs.length === 0 && account.servedInRound < this.round) this.accounts.delete(account.id)
    }
  }
}

interface Waiting {
  readonly id: string | undefined
  readonly account: AccountQueue
  /** Runs the task (it has left the line). */
  start(): void
  /** Rejects what `offer` returned (it was taken out of line). */
  drop(reason: unknown): void
}

interface AccountQueue {
  readonly id: string
  readonly jobs: Fifo<Waiting>
  /** The round in which a job of this account last started. */
  servedInRound: number
}

/**
 * A first-in first-out queue with O(1) push and shift (an array's `shift` copies), and O(length)
 * lookups and removal from the middle, for the rarer reads of a place in line and cancels.
 */
class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    this.compact()
    return item
  }

  /** The item `index` places from the front. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.items[this.head + index] : undefined
  }

  /** How many places from the front the item is; -1 when absent. */
  indexOf(item: T): number {
    const at = this.items.indexOf(item, this.head)
    return at < 0 ? -1 : at - this.head
  }

  includes(item: T): boolean {
    return this.indexOf(item) >= 0
  }

  /** Takes the item out wherever it is; false when absent. */
  remove(item: T): boolean {
    const at = this.items.indexOf(item, this.head)
    if (at < 0) return false
    this.items.splice(at, 1)
    return true
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T
  }

  /** Drops the consumed front once it is at least half the array: amortized O(1). */
  private compact(): void {
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}
