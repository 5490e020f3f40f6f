import type { z } from 'zod'
import { type PriceBook, priceBookSchema } from './book.ts'
import { type BookProblem, formatPath, type Segment } from './book-problem.ts'
import { type BookFormat, readBookText } from './book-text.ts'
import { crossFieldProblems } from './cross-field-problems.ts'

export type { BookProblem } from './book-problem.ts'
export { formatPath } from './book-problem.ts'
export type { BookFormat } from './book-text.ts'

export type BookValidation = { ok: true; book: PriceBook } | { ok: false; problems: BookProblem[] }

/**
 * Parses a price book file and validates it, listing every problem (a syntax error is one too,
 * with its line). Never throws on bad input.
 *
 * @example
 * parseBook('version: labs-2022\ncurrency: usd\n…', 'yaml')
 * // → { ok: false, problems: [{ path: 'currency', message: 'must be an ISO 4217 currency code, e.g. USD', line: 2 }, …] }
 */
export function parseBook(text: string, format: BookFormat): BookValidation {
  const read = readBookText(text, format)
  if (!read.ok) return read
  const result = validateBook(read.data)
  if (result.ok) return result
  return {
    ok: false,
    problems: result.problems.map((p) => {
      const line = read.lineOf(p.path)
      return line === undefined ? p : { ...p, line }
    }),
  }
}

/**
 * Validates price book data (already parsed) with the schema and the checks that span fields.
 * Every problem is listed, not just the first, each with its path. Never throws on bad input.
 *
 * @example
 * validateBook({ ...LABS_2022, currency: 'usd' })
 * // → { ok: false, problems: [{ path: 'currency', message: 'must be an ISO 4217 currency code, e.g. USD' }] }
 */
export function validateBook(data: unknown): BookValidation {
  const parsed = priceBookSchema.safeParse(data, { error: friendlyMessage })
  const problems: BookProblem[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...segments(issue.path), key]), message: 'is not a known field' })
        }
      } else {
        problems.push({ path: formatPath(segments(issue.path)), message: issue.message })
      }
    }
  }
  // The cross-field checks read the raw data defensively, so that a book with a type error in one
  // place still hears about a missing catch-all in another: the operator fixes everything at once.
  problems.push(...crossFieldProblems(data))
  if (problems.length > 0 || !parsed.success) return { ok: false, problems }
  return { ok: true, book: deepFreeze(parsed.data) }
}

// ---------------------------------------------------------------------------------------------
// zod's issues in an operator's words.

/** zod's messages in the words an operator editing a file needs. Schema-level messages win over these. */
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `must be ${article(issue.expected)}, got ${describe(issue.input)}`
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`
      if (issue.origin === 'string') return 'must not be empty'
      return `must be at least ${issue.minimum}, got ${describe(issue.input)}`
    case 'too_big':
      return `must be at most ${issue.maximum}, got ${describe(issue.input)}`
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(issue.input)}`
    case 'invalid_key':
      return `${JSON.stringify(issue.input)} is not a valid name: use lower-case letters, digits, "-" or "_"`
    default:
      return undefined
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'a whole number'
  if (expected === 'record' || expected === 'object') return 'an object'
  if (expected === 'array') return 'a list'
  return `a ${expected}`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return String(value)
}

function segments(path: readonly PropertyKey[]): Segment[] {
  return path.map((s) => (typeof s === 'symbol' ? String(s) : s))
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
