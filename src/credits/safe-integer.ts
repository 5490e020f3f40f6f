import { LedgerInvariantError } from './errors.ts'

const INTEGER_TEXT = /^-?\d+$/

/**
 * A number the database sent back (a sum, a count, a bigint column) as a checked safe integer.
 * Drivers disagree on how they send them: better-sqlite3 a number, `pg` a string for `numeric` (what
 * PostgreSQL's `sum(bigint)` is) and for `bigint` unless parsed, a bigint in safe-integer mode. A
 * value that is not a whole number a JS number holds exactly is a bug or a corruption, never rounded:
 * it throws {@link LedgerInvariantError}.
 *
 * @example
 * toSafeInteger('115', 'credits of lot_…')  // → 115 (PostgreSQL's sum)
 * toSafeInteger(115n, 'credits of lot_…')   // → 115
 * toSafeInteger('1.5', 'credits of lot_…')  // throws LedgerInvariantError
 */
export function toSafeInteger(value: unknown, what: string): number {
  let n: number | undefined
  if (typeof value === 'number') n = value
  else if (typeof value === 'bigint') n = Number(value)
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = Number(value)
  // A bigint or digits past 2^53 convert to a number that is no longer a safe integer: refused below.
  if (n === undefined || !Number.isSafeInteger(n) || (typeof value === 'bigint' && BigInt(n) !== value)) {
    throw new LedgerInvariantError(`${what} is ${describe(value)}, not a whole number of at most 2^53 − 1`)
  }
  return n
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}
