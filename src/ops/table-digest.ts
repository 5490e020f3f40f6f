import { createHash } from 'node:crypto'

/**
 * An order-independent digest of a table's rows: the sum, modulo 2^64, of the first 8 bytes of each
 * row's SHA-256. Both databases are read in whatever order they like (PostgreSQL's collation sorts
 * text differently from SQLite's bytes), and equal multisets of rows give equal digests.
 *
 * Values are compared as the same text on both sides: integers in decimal whichever driver read
 * them (number, bigint or int8 as string), text as itself, NULL as NULL.
 */
export class TableDigest {
  private sum = 0n
  rows = 0

  add(values: readonly unknown[]): void {
    const row = createHash('sha256')
      .update(JSON.stringify(values.map(canonical)))
      .digest()
    this.sum = (this.sum + row.readBigUInt64BE(0)) & 0xffff_ffff_ffff_ffffn
    this.rows++
  }

  get hex(): string {
    return this.sum.toString(16).padStart(16, '0')
  }
}

function canonical(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return `s:${value}`
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`a non-integer or unsafe number in a row: ${value}`)
    return `i:${value}`
  }
  if (typeof value === 'bigint') return `i:${value}`
  if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`
  throw new Error(`a value of an unexpected type in a row: ${typeof value}`)
}
