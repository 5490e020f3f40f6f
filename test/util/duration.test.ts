import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/util/duration.ts'

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1ms', 1],
    ['007s', 7_000],
    [' 5m ', 300_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    ['an empty text', ''],
    ['a bare number', '30'],
    ['a unit alone', 'd'],
    ['zero', '0s'],
    ['a negative duration', '-5m'],
    ['a fraction', '1.5h'],
    ['a space inside', '5 m'],
    ['two units', '1h30m'],
    ['an upper-case unit', '5M'],
    ['months, which are calendar arithmetic', '1mo'],
    ['years', '1y'],
    ['a duration beyond 2^53 ms', '99999999999999999999d'],
  ])('refuses %s (%j) with null', (_, text) => {
    expect(parseDuration(text)).toBeNull()
  })

  it('accepts the largest duration a safe integer holds and refuses one past it', () => {
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER)
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER + 1}ms`)).toBeNull()
    expect(parseDuration(`${Math.floor(Number.MAX_SAFE_INTEGER / 1000) + 1}s`)).toBeNull()
  })
})
