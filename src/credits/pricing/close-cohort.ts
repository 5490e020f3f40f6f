import { cohortOpenAt, type PriceBook } from './book.ts'
import { validateBook } from './validate.ts'

export type CloseCohortRefusal =
  | { code: 'NOT_FOUND'; message: string }
  | { code: 'ALREADY_CLOSED'; message: string; joinUntil: number }

/**
 * The version name of `book` with `cohort` closed at `at`: the book's own version, then the cohort
 * and the moment (UTC, to the second), within the 64 characters a version may have.
 *
 * @example
 * closedVersion('labs-2022', 'beta', Date.UTC(2026, 11, 3, 9, 15)) // → 'labs-2022.beta-closed-20261203t091500z'
 */
export function closedVersion(version: string, cohort: string, at: number): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/\.\d+Z$/, 'z')
    .replace(/[-:]/g, '')
    .toLowerCase()
  const tail = `${cohort.slice(0, 24)}-closed-${stamp}`
  // The version's own characters are all allowed; trailing separators would read oddly before ".".
  const head = version.slice(0, 63 - tail.length).replace(/[._-]+$/, '')
  return head === '' ? tail : `${head}.${tail}`
}

/**
 * `book` as a new version that closes `cohort` to sign-ups at `at` (`joinUntil`), everything else
 * unchanged: what "close the beta" activates. Members keep the cohort and its bonus (the book still
 * has it); only joining ends. Pure.
 *
 * @example
 * closeCohort(LABS_2022, 'beta', Date.UTC(2026, 11, 3, 9, 15))
 * // → { ok: true, value: { version: 'labs-2022.beta-closed-20261203t091500z',
 * //                        cohorts: { beta: { …, joinUntil: '2026-12-03T09:15:00.000Z' } }, … } }
 * closeCohort(LABS_2022, 'gamma', …) // → { ok: false, error: { code: 'NOT_FOUND', … } }
 */
export function closeCohort(
  book: PriceBook,
  cohort: string,
  at: number,
): { ok: true; value: PriceBook } | { ok: false; error: CloseCohortRefusal } {
  const current = Object.hasOwn(book.cohorts, cohort) ? book.cohorts[cohort] : undefined
  if (!current) {
    const known = Object.keys(book.cohorts)
    return {
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: `the price book in force (${book.version}) has no cohort "${cohort}"${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}`,
      },
    }
  }
  if (!cohortOpenAt(book, cohort, at)) {
    const joinUntil = Date.parse(current.joinUntil!)
    return {
      ok: false,
      error: {
        code: 'ALREADY_CLOSED',
        joinUntil,
        message: `cohort ${cohort} is closed to sign-ups already, since ${new Date(joinUntil).toISOString()}`,
      },
    }
  }
  const { effectiveFrom: _, ...rest } = book
  const checked = validateBook({
    ...rest,
    version: closedVersion(book.version, cohort, at),
    cohorts: { ...book.cohorts, [cohort]: { ...current, joinUntil: new Date(at).toISOString() } },
  })
  // The book validated before, and a date-time in the ISO form is valid: a refusal here is a bug.
  if (!checked.ok)
    throw new Error(`closing ${cohort} made an invalid book: ${JSON.stringify(checked.problems)}`)
  return { ok: true, value: checked.book }
}
