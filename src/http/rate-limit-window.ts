/** What a rate-limit store answers for one request: the count in the window and when it frees up. */
export interface StoreAnswer {
  current: number
  ttl: number
}
export type StoreCallback = (error: Error | null, answer: StoreAnswer) => void

/**
 * The store interface @fastify/rate-limit calls: in memory (`rate-limit.ts`) or in Redis
 * (`rate-limit-redis.ts`), both sliding windows computed here.
 */
export interface RateLimitStore {
  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void
  read(key: string, callback: StoreCallback, timeWindow: number, max: number): void
  child(): RateLimitStore
}

/** One key's counts: the fixed slot that holds now, and the slot before it. */
export interface Window {
  /** Start of the current fixed slot (a multiple of the window's length). */
  start: number
  previous: number
  current: number
}

// The sliding-window arithmetic, shared by both stores so that they decide alike. A fixed window
// lets a client send twice the limit across a boundary (the end of one minute and the start of the
// next); here the count is the current slot's plus the previous slot's weighted by how much of it
// still lies in the last `timeWindow` ms, the approximation Cloudflare and others use.

/** The start of the fixed slot that holds `now`. */
export function slotStart(now: number, timeWindow: number): number {
  return now - (now % timeWindow)
}

/** The requests counted in the `timeWindow` ms up to `now` (a fraction: the previous slot is weighted). */
export function slidingCount(w: Window, now: number, timeWindow: number): number {
  const elapsed = now - w.start
  return (w.previous * (timeWindow - elapsed)) / timeWindow + w.current
}

/** Milliseconds from `now` until one more request fits under `max`. */
export function slidingWait(w: Window, now: number, timeWindow: number, max: number): number {
  const toSlotEnd = w.start + timeWindow - now
  if (w.current + 1 <= max) {
    // The previous slot's weight must fall far enough: previous × (toSlotEnd − t) / W ≤ max − 1 − current.
    if (w.previous === 0) return 0
    const t = toSlotEnd - (timeWindow * (max - 1 - w.current)) / w.previous
    return Math.max(1, Math.ceil(t))
  }
  // This slot alone is full: it becomes the previous one and must decay to max − 1.
  const after = timeWindow * (1 - (max - 1) / w.current)
  return Math.max(1, Math.ceil(toSlotEnd + after))
}

/**
 * The answer to a request counted in `w` (`before` being the sliding count without it) or, when
 * `admitted` is false, refused.
 */
export function slidingAnswer(
  w: Window,
  before: number,
  admitted: boolean,
  now: number,
  timeWindow: number,
  max: number,
): StoreAnswer {
  if (!admitted) return { current: max + 1, ttl: slidingWait(w, now, timeWindow, max) }
  return { current: Math.ceil(before + 1), ttl: w.start + timeWindow - now }
}
