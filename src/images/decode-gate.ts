import os from 'node:os'

/**
 * At most `slots` decodes at once, the rest waiting their turn in arrival order.
 *
 * sharp decodes in libuv's threadpool, off the event loop, but on the same cores: with every core
 * busy decoding, the event loop itself waits for a core (measured on 2 cores: 4 decodes of a
 * 4096×4096 PNG at once put 30 ms p99 and 220 ms worst on the event loop's lag; one at a time,
 * 7 ms and 12 ms, and the uploads finished no slower). It also bounds memory: at most `slots`
 * uploads are inflated at once, each within the pixel budget.
 */
export class DecodeGate {
  private running = 0
  private readonly waiting: Array<() => void> = []
  /** Decodes started since the process began, for tests and benchmarks. */
  started = 0

  constructor(readonly slots: number) {
    if (!Number.isSafeInteger(slots) || slots < 1) throw new Error(`slots must be at least 1, not ${slots}`)
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running++
    this.started++
    try {
      return await work()
    } finally {
      // The slot passes straight to the next in line (`running` unchanged), or is freed.
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }

  /** Decodes running and waiting, for tests and benchmarks. */
  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length }
  }
}

/**
 * The process's gate: the threadpool and the cores are the process's, so is the gate. One fewer
 * than the cores, at least one, like the sketch engine's threads.
 */
export const uploadDecodeGate = new DecodeGate(Math.max(1, os.availableParallelism() - 1))
