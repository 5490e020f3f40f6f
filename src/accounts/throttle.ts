/**
 * The rules that slow down password guessing and mass sign-up, as pure functions of what the
 * database remembers and the time (the store around them is `throttle-store.ts`).
 *
 * Sign-in. Every checked attempt counts as a failure until it succeeds. Two counters, over a
 * sliding window of one day:
 *
 * - **Per email, from every address** (strict). After {@link SignInPolicy.freeFailures} failures,
 *   each further attempt must wait `baseDelayMs · 2^(failures − free)` after the last failure,
 *   at most `maxDelayMs` (15 minutes). This is what bounds an attacker, however many addresses
 *   they use: about 5 + 10 guesses in the first quarter hour, then one per 15 minutes — under
 *   110 a day per email, the figure NIST SP 800-63B asks for.
 * - **Per email and address** (lenient), for an address the email has signed in from in the last
 *   30 days ("familiar"). Such an address is judged only by its own failures, with a larger
 *   allowance, so an attacker elsewhere — however fast they guess — never slows the real user down
 *   at the places they usually sign in from. Someone behind the same address (a shared NAT) gets
 *   this address's allowance too, but no more: it is throttled the same way.
 *
 * What this promises, and what it cannot:
 * - An attempt refused for waiting is not checked (no Argon2 work) and not counted, so hammering
 *   does not push the wait further out: the wait never exceeds 15 minutes from the last attempt
 *   that was checked, and nobody is locked out for good.
 * - A familiar address is never refused because of failures from other addresses.
 * - From an address that is not familiar, during an attack that keeps the email at its cap, the
 *   real user shares the email's one check per 15 minutes with the attacker. Letting fresh
 *   addresses skip the email's counter would hand a botnet one cheap guess per address, so that
 *   is the trade made; signing in once from a place makes it familiar.
 * - A success clears the failures of its own address (and makes it familiar), not the email's
 *   failures from elsewhere: those are still unexplained, and clearing them would give an attacker
 *   a fresh allowance every time the real user signs in.
 *
 * @example
 * signInWaitMs({ now, email: { failures: 5, lastAt: now }, own: { failures: 0, lastAt: null }, familiar: false })
 * // → 1000: the sixth attempt must wait a second after the fifth failure
 */

export interface SignInPolicy {
  /** How long a failure counts (sliding). */
  windowMs: number
  /** Failures of an email (from anywhere) before attempts from unfamiliar addresses must wait. */
  freeFailures: number
  /** Failures from a familiar address, of its own, before its attempts must wait. */
  familiarFreeFailures: number
  /** The first wait; each further failure doubles it. */
  baseDelayMs: number
  /** The longest wait. */
  maxDelayMs: number
  /** How long after a successful sign-in its address stays familiar. */
  familiarForMs: number
}

export const SIGN_IN_POLICY: SignInPolicy = Object.freeze({
  windowMs: 86_400_000,
  freeFailures: 5,
  familiarFreeFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  familiarForMs: 30 * 86_400_000,
})

/** Failures in the window that count against an attempt, and when the last of them was. */
export interface Tally {
  failures: number
  lastAt: number | null
}

/**
 * How long after the last of `failures` the next attempt must wait: nothing within the allowance,
 * then the base delay doubled for each failure past it, capped.
 *
 * @example
 * backoffMs(4, 5, SIGN_IN_POLICY) // → 0
 * backoffMs(7, 5, SIGN_IN_POLICY) // → 4000
 * backoffMs(40, 5, SIGN_IN_POLICY) // → 900000 (15 minutes)
 */
export function backoffMs(failures: number, free: number, policy: SignInPolicy): number {
  if (failures < free) return 0
  // Past 2^20 the cap is long reached; the exponent is bounded so the product stays finite.
  const doubled = policy.baseDelayMs * 2 ** Math.min(failures - free, 20)
  return Math.min(policy.maxDelayMs, doubled)
}

/** How long from `now` an attempt under this tally must wait (0: it may be checked now). */
function waitFor(tally: Tally, free: number, now: number, policy: SignInPolicy): number {
  if (tally.lastAt === null) return 0
  // The count is taken now; failures sliding out of the window before the wait ends could only
  // shorten it, so the answer is an upper bound (they are a day old; waits are minutes).
  return Math.max(0, tally.lastAt + backoffMs(tally.failures, free, policy) - now)
}

/**
 * How long an attempt to sign in as an email must wait, in milliseconds; 0 when it may be checked.
 * `email` tallies the email's failures from every address, `own` those from the caller's address.
 */
export function signInWaitMs(
  input: { now: number; email: Tally; own: Tally; familiar: boolean },
  policy: SignInPolicy = SIGN_IN_POLICY,
): number {
  return input.familiar
    ? waitFor(input.own, policy.familiarFreeFailures, input.now, policy)
    : waitFor(input.email, policy.freeFailures, input.now, policy)
}

export interface SignUpPolicy {
  /** Sign-ups from one address within the window. */
  max: number
  windowMs: number
}

export const SIGN_UP_POLICY: SignUpPolicy = Object.freeze({ max: 5, windowMs: 3_600_000 })

/**
 * How long another sign-up from an address must wait, given the times of its sign-ups still in
 * the window (oldest first): until enough of them slide out that fewer than `max` remain.
 *
 * @example
 * signUpWaitMs([t, t + 10, t + 20, t + 30, t + 40], t + 50, SIGN_UP_POLICY) // → 3_599_950
 */
export function signUpWaitMs(
  times: readonly number[],
  now: number,
  policy: SignUpPolicy = SIGN_UP_POLICY,
): number {
  const recent = times.filter((t) => t > now - policy.windowMs)
  if (recent.length < policy.max) return 0
  return recent[recent.length - policy.max]! + policy.windowMs - now
}

/**
 * How often a password reset may be asked for: per client address (someone trying many emails) and
 * per email (someone flooding one person's inbox), each over a sliding hour. Unknown emails count
 * exactly like known ones, so a refusal says nothing about whether the email has an account.
 */
export interface PasswordResetPolicy {
  perAddress: SignUpPolicy
  perEmail: SignUpPolicy
}

export const PASSWORD_RESET_POLICY: PasswordResetPolicy = Object.freeze({
  perAddress: Object.freeze({ max: 10, windowMs: 3_600_000 }),
  perEmail: Object.freeze({ max: 3, windowMs: 3_600_000 }),
})

/**
 * How many sign-up mails (a verification link, or "someone tried to sign up with your address")
 * one address receives in a sliding hour. Past it, a sign-up is answered as always but mails
 * nothing: sign-up cannot be used to flood someone's inbox, and the answer still does not say
 * whether the address has an account.
 */
export const SIGN_UP_MAIL_POLICY: SignUpPolicy = Object.freeze({ max: 3, windowMs: 3_600_000 })

/** How often a signed-in person may have their verification link sent again: 3 an hour. */
export const VERIFICATION_RESEND_POLICY: SignUpPolicy = Object.freeze({ max: 3, windowMs: 3_600_000 })

/** A wait as people say it: "8 seconds", "1 minute", "15 minutes" (rounded up). */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000))
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`
  const minutes = Math.ceil(seconds / 60)
  return minutes === 1 ? '1 minute' : `${minutes} minutes`
}
