const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
}

/**
 * Parses a duration such as `30d`, `12h`, `90s` or `250ms` into milliseconds; `null` when the text
 * is not one. Months and years are calendar arithmetic, not durations, and are left to the callers
 * that know an anchor date.
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!m) return null
  const n = Number(m[1])
  const ms = n * UNITS[m[2]!]!
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null
}
