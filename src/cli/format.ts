/** `2026-12-25 10:00 UTC`: times as an operator reads them in a terminal. */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never'
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** Digits after the decimal point of a currency's minor unit (USD 2, JPY 0), from `Intl`. */
function minorDigits(currency: string | null): number {
  if (currency === null) return 2
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    )
  } catch {
    return 2
  }
}

/**
 * Integer minor units as a decimal amount, in the currency's own digits, by string arithmetic (no
 * floating point): 1500 USD → `15.00 USD`, 1500 JPY → `1500 JPY`; `withCode` false leaves the code out.
 */
export function formatMoney(minor: number, currency: string | null, withCode = true): string {
  const digits = minorDigits(currency)
  const sign = minor < 0 ? '-' : ''
  const text = String(Math.abs(minor)).padStart(digits + 1, '0')
  const amount = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`
  return `${sign}${amount}${currency && withCode ? ` ${currency}` : ''}`
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
