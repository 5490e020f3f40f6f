/**
 * Fixed one-minute windows per key (an API key, a user's session, a client address), in memory:
 * each Easel process enforces the limit on what reaches it. Cheap enough for every request.
 */
export class RateLimiter {
  private windowStart = 0
  private counts = new Map<string, number>()

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the seconds to wait when over the limit, else null. */
  take(key: string): number | null {
    const now = this.now()
    const window = now - (now % 60_000)
    if (window !== this.windowStart) {
      this.windowStart = window
      this.counts = new Map()
    }
    const count = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, count)
    if (count <= this.perMinute) return null
    return Math.max(1, Math.ceil((window + 60_000 - now) / 1000))
  }
}
