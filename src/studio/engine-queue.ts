/**
 * A bounded, fair queue in front of one engine: at most `concurrency` jobs run at once, at most
 * `limit` wait. `hasRoom` lets the caller refuse a job before holding its credits; `offer` refuses
 * too (returns null, never running the task) when the queue filled in between.
 *
 * Waiting jobs are taken round-robin across accounts, in rounds: each round starts at most one job
 * of each account that has any waiting, in the order the accounts joined the round. An account
 * that already had a job started this round (even one that started at once, without waiting) waits
 * for the next round, so a second account's job starts next even behind 200 of the first's. Each
 * account's own jobs start in the order they were offered. Every operation is O(1) (amortized).
 *
 * @example
 *   const queue = new EngineQueue(1, 1000)
 *   queue.offer('acct_a', () => draw('a1'))   // runs now
 *   queue.offer('acct_a', () => draw('a2'))   // waits
 *   queue.offer('acct_b', () => draw('b1'))   // waits, and starts when a1 ends, before a2
 */
export class EngineQueue {
  private running = 0
  private waiting = 0
  private round = 0
  private readonly accounts = new Map<string, AccountQueue>()
  /** Accounts with jobs waiting that have not had a job started this round, in the order they joined it. */
  private thisRound = new Fifo<AccountQueue>()
  /** Accounts with jobs waiting that had a job started this round. */
  private nextRound = new Fifo<AccountQueue>()
  /** Accounts that had a job started this round and have none waiting: forgotten when the round ends. */
  private readonly idle = new Fifo<AccountQueue>()

  constructor(
    readonly concurrency: number,
    readonly limit: number,
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
   * runs) when the queue is full.
   */
  offer<T>(accountId: string, task: () => Promise<T>): Promise<T> | null {
    if (!this.hasRoom()) return null
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
      account.jobs.push(() => {
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
      })
      this.waiting++
      this.startWaiting()
    })
  }

  /** Starts waiting jobs while slots are free, one per account per round. */
  private startWaiting(): void {
    while (this.running < this.concurrency && this.waiting > 0) {
      if (this.thisRound.length === 0) this.startNextRound()
      const account = this.thisRound.shift()!
      const start = account.jobs.shift()!
      account.servedInRound = this.round
      if (account.jobs.length > 0) this.nextRound.push(account)
      else this.idle.push(account)
      this.waiting--
      this.running++
      start()
    }
    // Nothing running or waiting: every account starts afresh.
    if (this.running === 0 && this.waiting === 0) this.startNextRound()
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

interface AccountQueue {
  readonly id: string
  readonly jobs: Fifo<() => void>
  /** The round in which a job of this account last started. */
  servedInRound: number
}

/** A first-in first-out queue with O(1) push and shift (an array's `shift` copies). */
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
    // Drop the consumed front once it is at least half the array: amortized O(1).
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }
}
