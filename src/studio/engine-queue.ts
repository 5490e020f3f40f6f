/**
 * A bounded queue in front of one engine: at most `concurrency` jobs run at once, at most `limit`
 * wait. `offer` refuses when the queue is full, so the caller can refuse before holding credits.
 */
export class EngineQueue {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    readonly concurrency: number,
    readonly limit: number,
  ) {}

  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length }
  }

  /** Whether a new job would be accepted now. */
  hasRoom(): boolean {
    return this.running < this.concurrency || this.waiting.length < this.limit
  }

  /**
   * Runs `task` when a slot is free; null (and `task` never runs) when the queue is full.
   * `onStart` is told when the task leaves the queue.
   */
  offer<T>(task: () => Promise<T>): Promise<T> | null {
    if (!this.hasRoom()) return null
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--
            this.waiting.shift()?.()
          })
      }
      if (this.running < this.concurrency) start()
      else this.waiting.push(start)
    })
  }
}
