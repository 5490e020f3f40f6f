/**
 * When a mail that could not be sent is tried again: after 1 minute, then 2, 4, 8, 16, 32, then
 * every hour, and not after the 8th attempt (about two hours after the first). A mail the server
 * refused for good (a 5xx reply) is not tried again at all: it would be refused again.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number
  /** The wait after the first failed attempt; each further one doubles it… */
  readonly firstDelayMs: number
  /** …up to this. */
  readonly maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, firstDelayMs: 60_000, maxDelayMs: 3_600_000 }

/** What happens to a mail after a failed attempt. */
export type AfterFailure =
  | { readonly retry: true; readonly at: number }
  | { readonly retry: false; readonly reason: 'refused' | 'attempts' }

/**
 * Decides a mail's fate after its `attempts`-th attempt (counting from 1) failed at `now`.
 *
 * @example
 * afterFailure(1, false, 0) // → { retry: true, at: 60_000 }
 * afterFailure(3, false, 0) // → { retry: true, at: 240_000 }
 * afterFailure(8, false, 0) // → { retry: false, reason: 'attempts' }
 * afterFailure(1, true, 0)  // → { retry: false, reason: 'refused' }
 */
export function afterFailure(
  attempts: number,
  permanent: boolean,
  now: number,
  policy: RetryPolicy = DEFAULT_RETRY,
): AfterFailure {
  if (!(Number.isSafeInteger(attempts) && attempts >= 1)) throw new Error(`attempts must be ≥ 1: ${attempts}`)
  if (permanent) return { retry: false, reason: 'refused' }
  if (attempts >= policy.maxAttempts) return { retry: false, reason: 'attempts' }
  // 2 ** 30 minutes is far past any cap; the exponent is bounded so the product stays finite.
  const delay = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempts - 1, 30))
  return { retry: true, at: now + delay }
}
