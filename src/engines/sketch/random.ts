/**
 * Deterministic randomness for the sketch engine. Everything it draws comes from here, so the same
 * prompt and seed give the same bytes on every machine (no Math.random, no Date).
 */

/** The splitmix32 finaliser: spreads every input bit over the whole 32-bit result. */
export function mix32(value: number): number {
  let h = value | 0
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad)
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97)
  return (h ^ (h >>> 15)) >>> 0
}

/** FNV-1a over UTF-16 code units, then mixed: a stable 32-bit hash of any text. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return mix32(h)
}

/** Folds a request seed of any size (negative, above 2^32, fractional) into 32 bits. */
export function foldSeed(seed: number): number {
  const whole = Math.trunc(seed)
  return mix32((whole >>> 0) ^ mix32(Math.floor(whole / 4294967296)))
}

/** mulberry32: small, fast, and good enough for placing hills and stars. */
export class Random {
  private state: number

  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /**
   * An independent stream for one layer. Forked from the seed rather than the current state, so a
   * layer's shapes do not change when an earlier layer draws more or fewer random numbers.
   */
  fork(salt: string): Random {
    return new Random(mix32(this.seed ^ hashString(salt)))
  }
}
