import { parseArgs } from 'node:util'
import { parseMoney } from '../credits/index.ts'
import { parseDuration } from '../util/duration.ts'
import { UsageError } from './io.ts'

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

/** Parses `argv` strictly against `options`; anything unknown or malformed is a UsageError. */
export function parseOptions<T extends OptionSpec>(argv: string[], options: T, usage: string) {
  // `--amount -3` is a negative number, not a flag: hand it to the option so that the ledger's own
  // message ("must be at least 1") is what the operator sees.
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1]
    if (argv[i]!.startsWith('--') && !argv[i]!.includes('=') && next !== undefined && /^-\d/.test(next)) {
      args.push(`${argv[i]}=${next}`)
      i++
    } else {
      args.push(argv[i]!)
    }
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as {
      [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string
    }
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''), usage)
  }
}

export function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`, usage)
  return value
}

/** A whole number written in decimal, refused (not rounded) when it is anything else. */
export function parseInteger(value: string, flag: string, usage: string): number {
  if (!/^-?\d+$/.test(value.trim()))
    throw new UsageError(`--${flag} must be a whole number, got "${value}"`, usage)
  const n = Number(value)
  if (!Number.isSafeInteger(n))
    throw new UsageError(`--${flag} must be at most ${Number.MAX_SAFE_INTEGER}`, usage)
  return n
}

export function parseDurationFlag(value: string, flag: string, usage: string): number {
  const ms = parseDuration(value)
  if (ms === null)
    throw new UsageError(`--${flag} must be a duration such as 30d, 12h, 15m or 90s, got "${value}"`, usage)
  return ms
}

/** An ISO 8601 date or date-time (UTC unless it says otherwise). */
export function parseDate(value: string, flag: string, usage: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value
  const ms = /^\d{4}-\d{2}-\d{2}/.test(iso) ? Date.parse(iso) : Number.NaN
  if (Number.isNaN(ms))
    throw new UsageError(`--${flag} must be a date such as 2026-12-25 or 2026-12-25T10:00:00Z`, usage)
  return ms
}

/**
 * An amount typed on the command line to integer minor units, in the currency's own digits
 * (`--cost 15.00` USD is 1500 cents, `--cost 1500` JPY is ¥1,500; `1.5` JPY is refused).
 */
export function parseMoneyFlag(value: string, currency: string, flag: string, usage: string): number {
  if (!/^[A-Z]{3}$/.test(currency))
    throw new UsageError(`--currency must be an ISO 4217 code such as USD`, usage)
  const parsed = parseMoney(value, currency)
  if (!parsed.ok) throw new UsageError(`--${flag} ${parsed.message}`, usage)
  return parsed.value.amountMinor
}
