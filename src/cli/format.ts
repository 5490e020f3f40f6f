import { majorUnits } from '../credits/index.ts'

/** `2026-12-25 10:00 UTC`: times as an operator reads them in a terminal. */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never'
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/**
 * Money as an operator reads it in a terminal: major units in the currency's own digits, then the
 * code (`15.00 USD`, `1500 JPY`, `1.500 KWD`); `withCode` false leaves the code out, for a table
 * with a currency column. The digits come from the money module, which `Intl` informs.
 */
export function formatAmount(minor: number, currency: string, withCode = true): string {
  const amount = majorUnits({ amountMinor: minor, currency })
  return withCode ? `${amount} ${currency}` : amount
}

/** Left-aligned text columns, right-aligned numbers. */
export function table(header: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  return cells.map((r) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  )
}
