/**
 * Monthly allowance periods, as pure arithmetic on UTC milliseconds.
 *
 * An account's periods are anchored on its creation instant: period `k` starts `k` calendar months
 * after creation, on the creation day of the month clamped to the month's length, at the creation's
 * UTC time of day. Period 0 starts at the creation itself. Every start is computed from the creation,
 * never from the previous start, so clamping does not drift: an account created on Jan 31 renews on
 * Feb 28 (29 in leap years), then Mar 31, Apr 30, …
 *
 * A period runs from its start (inclusive) to the next period's start (exclusive), which is also when
 * its monthly lot expires; `isLive` treats a lot as dead from its `expiresAt` on, so the old lot and
 * the new one never overlap and nothing rolls over. Keeping the time of day (rather than renewing at
 * midnight) makes period 0 start exactly at creation and every period a whole number of days long:
 * 28 to 31, since UTC has no daylight saving and JavaScript time has no leap seconds.
 */

const DAY_MS = 86_400_000

/** The range a JavaScript `Date` can represent, in ms either side of the epoch. */
const DATE_LIMIT_MS = 8.64e15

/**
 * The last instant periods are computed for (9999-12-31T23:59:59.999Z). Keys keep a four-digit year
 * up to it, so they compare as strings in the same order as the periods they name.
 */
export const MAX_PERIOD_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

/** One monthly allowance period of an account. */
export interface Period {
  /** 0 for the period that starts at the account's creation, 1 for the next, and so on. */
  readonly index: number
  /** The period's first instant (inclusive): when its monthly lot is granted. */
  readonly start: number
  /** The next period's start (exclusive): the monthly lot's `expiresAt`. */
  readonly end: number
  /**
   * The start's UTC date, `YYYY-MM-DD` (e.g. `2026-11-25`). Unique per period of one account, so
   * the account id plus this key makes the monthly grant idempotent.
   */
  readonly key: string
}

/**
 * The instant `months` calendar months after `ms` (before it when negative), on the same day of the
 * month clamped to the target month's length, at the same UTC time of day. Not associative:
 * `addMonthsClamped(addMonthsClamped(jan31, 1), 1)` is Mar 28, so callers add whole offsets to a
 * fixed anchor instead of chaining.
 *
 * @example addMonthsClamped(Date.UTC(2026, 0, 31, 15, 20), 1) // → Date.UTC(2026, 1, 28, 15, 20)
 * @throws RangeError when `ms` or `months` is not an integer, or the result is out of `Date`'s range.
 */
export function addMonthsClamped(ms: number, months: number): number {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > DATE_LIMIT_MS) {
    throw new RangeError(`addMonthsClamped: ms must be an integer instant, got ${ms}`)
  }
  if (!Number.isSafeInteger(months)) {
    throw new RangeError(`addMonthsClamped: months must be an integer, got ${months}`)
  }
  const from = new Date(ms)
  const monthIndex = from.getUTCMonth() + months
  const year = from.getUTCFullYear() + Math.floor(monthIndex / 12)
  const month = monthIndex - Math.floor(monthIndex / 12) * 12
  const day = Math.min(from.getUTCDate(), daysInMonth(year, month))
  const date = new Date(0)
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month, day)
  const timeOfDay = ms - Math.floor(ms / DAY_MS) * DAY_MS
  const result = date.getTime() + timeOfDay
  // NaN (a year past Date's range) fails this comparison too.
  if (!(Math.abs(result) <= DATE_LIMIT_MS)) {
    throw new RangeError(`addMonthsClamped: ${months} months from ${ms} is out of range`)
  }
  return result
}

/**
 * When period `index` of an account created at `createdAtMs` starts; period `index + 1` starts when
 * it ends.
 *
 * @example periodStart(Date.UTC(2026, 0, 31, 15, 20), 2) // → Date.UTC(2026, 2, 31, 15, 20), Mar 31
 * @throws RangeError when `createdAtMs` is not an integer in 0 … {@link MAX_PERIOD_INSTANT_MS} or
 *   `index` is not a non-negative integer.
 */
export function periodStart(createdAtMs: number, index: number): number {
  checkInstant('createdAtMs', createdAtMs)
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`periodStart: index must be a non-negative integer, got ${index}`)
  }
  return addMonthsClamped(createdAtMs, index)
}

/**
 * The period of an account created at `createdAtMs` that contains the instant `atMs`. An instant
 * exactly at a period's start belongs to that period, one millisecond earlier to the previous one.
 * Constant time however old the account is.
 *
 * @example
 * periodAt(Date.UTC(2026, 0, 31, 15, 20), Date.UTC(2026, 2, 1))
 * // → { index: 1, start: Date.UTC(2026, 1, 28, 15, 20), end: Date.UTC(2026, 2, 31, 15, 20),
 * //     key: '2026-02-28' }
 * @throws RangeError when `atMs` is before `createdAtMs` (an account has no period before it
 *   exists: the caller mixed up its instants), or either is not an integer in
 *   0 … {@link MAX_PERIOD_INSTANT_MS}.
 */
export function periodAt(createdAtMs: number, atMs: number): Period {
  checkInstant('createdAtMs', createdAtMs)
  checkInstant('atMs', atMs)
  if (atMs < createdAtMs) {
    throw new RangeError(
      `periodAt: atMs (${iso(atMs)}) is before the account's creation (${iso(createdAtMs)})`,
    )
  }
  const created = new Date(createdAtMs)
  const at = new Date(atMs)
  // Each period starts in its own calendar month, so the one starting in at's month is the answer
  // unless it starts later in the month than `at`; then `at` is still in the one before.
  let index =
    (at.getUTCFullYear() - created.getUTCFullYear()) * 12 + (at.getUTCMonth() - created.getUTCMonth())
  let start = addMonthsClamped(createdAtMs, index)
  if (start > atMs) {
    index -= 1
    start = addMonthsClamped(createdAtMs, index)
  }
  return { index, start, end: addMonthsClamped(createdAtMs, index + 1), key: iso(start).slice(0, 10) }
}

function checkInstant(field: string, ms: number): void {
  // A NaN or fractional instant would still yield a key (`NaN-NaN-NaN`), silently merging the
  // monthly grants of every caller with the same bug; refuse it instead.
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_PERIOD_INSTANT_MS) {
    throw new RangeError(`${field} must be an integer instant in 0 … ${MAX_PERIOD_INSTANT_MS}, got ${ms}`)
  }
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 1 && leap ? 29 : DAYS_IN_MONTH[month]!
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
