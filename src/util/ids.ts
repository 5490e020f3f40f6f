import { randomBytes } from 'node:crypto'

/** Prefixes of every id Easel hands out; the prefix tells a reader what an id names. */
export type IdPrefix =
  | 'acct'
  | 'lot'
  | 'hold'
  | 'txn'
  | 'job'
  | 'img'
  | 'user'
  | 'key'
  | 'pur'
  | 'inv'
  | 'sess'
  | 'run'
  | 'mail'
  | 'aud'
  | 'pmv'
  | 'rep'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case

let lastMs = -1
let lastRandom = new Uint8Array(10)

function encode(bytes: Uint8Array, chars: number): string {
  // Read the bytes as one big-endian number and print its low `chars` base32 digits.
  let value = 0n
  for (const b of bytes) value = (value << 8n) | BigInt(b)
  let out = ''
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[Number(value & 31n)] + out
    value >>= 5n
  }
  return out
}

/**
 * A new id such as `hold_01jd3q8z6x4c9m2k7w5e0t1r8b`: a 48-bit millisecond timestamp then 80 random
 * bits, so ids sort by creation time (strictly, within one process) and never collide in practice.
 */
export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    // Same (or earlier) millisecond: keep the previous time and add one to the random part so that
    // ids made in one process stay strictly increasing.
    nowMs = lastMs
    const next = lastRandom.slice()
    for (let i = next.length - 1; i >= 0; i--) {
      next[i] = (next[i]! + 1) & 0xff
      if (next[i] !== 0) break
    }
    lastRandom = next
  } else {
    lastMs = nowMs
    lastRandom = new Uint8Array(randomBytes(10))
  }
  const time = new Uint8Array(6)
  let t = nowMs
  for (let i = 5; i >= 0; i--) {
    time[i] = t % 256
    t = Math.floor(t / 256)
  }
  return `${prefix}_${encode(time, 10)}${encode(lastRandom, 16)}`
}
