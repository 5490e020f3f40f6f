/**
 * Runs the lifecycle's periodic work. The default uses timers; tests pass one they drive by hand,
 * so that a sweep "an hour later" runs when the test says so, without waiting or faking time.
 */
export interface Scheduler {
  /**
   * Calls `task` every `ms` milliseconds until the returned function is called. The promise `task`
   * returns lets a hand-driven scheduler wait for the run it caused; timers ignore it.
   */
  every(ms: number, task: () => Promise<void>): () => void
}

export const intervalScheduler: Scheduler = {
  every(ms, task) {
    const timer = setInterval(() => void task(), ms)
    // A timer alone does not keep the process alive: the server's socket (or the caller) does.
    timer.unref()
    return () => clearInterval(timer)
  },
}
