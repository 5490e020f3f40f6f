import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addMonthsClamped, MAX_PERIOD_INSTANT_MS, periodAt, periodStart } from '../../src/credits/periods.ts'

const DAY = 86_400_000
const at = (iso: string) => Date.parse(iso)
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** The start dates of periods 0, 1, 2, … of an account created at `created`. */
function startDates(created: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => date(periodStart(created, i)))
}

describe('periodStart', () => {
  // [created, start dates of periods 0 … n]: anchored on the creation day, clamped in short months.
  const renewals: Array<[created: string, starts: string[]]> = [
    [
      '2026-01-31T15:20:00.000Z',
      [
        '2026-01-31',
        '2026-02-28',
        '2026-03-31',
        '2026-04-30',
        '2026-05-31',
        '2026-06-30',
        '2026-07-31',
        '2026-08-31',
        '2026-09-30',
        '2026-10-31',
        '2026-11-30',
        '2026-12-31',
        '2027-01-31',
      ],
    ],
    [
      '2026-01-30T08:00:00.000Z',
      [
        '2026-01-30',
        '2026-02-28',
        '2026-03-30',
        '2026-04-30',
        '2026-05-30',
        '2026-06-30',
        '2026-07-30',
        '2026-08-30',
        '2026-09-30',
        '2026-10-30',
        '2026-11-30',
        '2026-12-30',
        '2027-01-30',
      ],
    ],
    ['2025-12-29T00:00:00.000Z', ['2025-12-29', '2026-01-29', '2026-02-28', '2026-03-29', '2026-04-29']],
    ['2027-12-29T00:00:00.000Z', ['2027-12-29', '2028-01-29', '2028-02-29', '2028-03-29']],
    ['2026-01-28T12:00:00.000Z', ['2026-01-28', '2026-02-28', '2026-03-28', '2026-04-28']],
    ['2026-10-25T09:30:00.000Z', ['2026-10-25', '2026-11-25', '2026-12-25', '2027-01-25', '2027-02-25']],
    ['2024-01-31T00:00:00.000Z', ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']],
    ['2024-01-30T00:00:00.000Z', ['2024-01-30', '2024-02-29', '2024-03-30']],
    // Century years: 2000 is a leap year, 2100 is not.
    ['2000-01-31T00:00:00.000Z', ['2000-01-31', '2000-02-29', '2000-03-31']],
    ['2100-01-31T00:00:00.000Z', ['2100-01-31', '2100-02-28', '2100-03-31']],
    ['2026-12-31T23:00:00.000Z', ['2026-12-31', '2027-01-31', '2027-02-28', '2027-03-31']],
  ]

  it.each(renewals)('renews an account created %s on its anchor day, clamped', (created, starts) => {
    expect(startDates(at(created), starts.length)).toEqual(starts)
  })

  it('clamps a Feb 29 anchor to Feb 28 in common years and returns to Feb 29 in leap years', () => {
    const created = at('2024-02-29T06:00:00.000Z')
    expect(date(periodStart(created, 1))).toBe('2024-03-29')
    expect(date(periodStart(created, 12))).toBe('2025-02-28')
    expect(date(periodStart(created, 13))).toBe('2025-03-29')
    expect(date(periodStart(created, 36))).toBe('2027-02-28')
    expect(date(periodStart(created, 48))).toBe('2028-02-29')
  })

  it('keeps the time of day of the creation', () => {
    const created = at('2026-01-31T15:20:07.123Z')
    expect(periodStart(created, 0)).toBe(created)
    expect(periodStart(created, 1)).toBe(at('2026-02-28T15:20:07.123Z'))
    expect(periodStart(created, 2)).toBe(at('2026-03-31T15:20:07.123Z'))
  })

  it('refuses a negative or fractional index and an invalid creation instant', () => {
    const created = at('2026-01-31T00:00:00.000Z')
    expect(() => periodStart(created, -1)).toThrow(RangeError)
    expect(() => periodStart(created, 1.5)).toThrow(RangeError)
    expect(() => periodStart(created, Number.NaN)).toThrow(RangeError)
    expect(() => periodStart(Number.NaN, 0)).toThrow(RangeError)
    expect(() => periodStart(-1, 0)).toThrow(RangeError)
    expect(() => periodStart(created, Number.MAX_SAFE_INTEGER)).toThrow(RangeError)
  })
})

describe('periodAt', () => {
  const created = at('2026-01-31T15:20:00.000Z')

  it('puts the creation instant in period 0, which starts at it', () => {
    expect(periodAt(created, created)).toEqual({
      index: 0,
      start: created,
      end: at('2026-02-28T15:20:00.000Z'),
      key: '2026-01-31',
    })
  })

  it('puts an instant exactly at a period start in the new period, 1 ms earlier in the previous', () => {
    const renewal = at('2026-02-28T15:20:00.000Z')
    expect(periodAt(created, renewal)).toEqual({
      index: 1,
      start: renewal,
      end: at('2026-03-31T15:20:00.000Z'),
      key: '2026-02-28',
    })
    expect(periodAt(created, renewal - 1)).toEqual({
      index: 0,
      start: created,
      end: renewal,
      key: '2026-01-31',
    })
  })

  it('finds the period for an instant in a month before the anchor time of day', () => {
    // Mar 1 is in March, but March's period starts on the 31st: still February's period.
    expect(periodAt(created, at('2026-03-01T00:00:00.000Z')).key).toBe('2026-02-28')
    expect(periodAt(created, at('2026-03-31T15:19:59.999Z')).key).toBe('2026-02-28')
    expect(periodAt(created, at('2026-03-31T15:20:00.000Z')).key).toBe('2026-03-31')
    // Same day as the anchor, earlier in the day: the previous period.
    expect(periodAt(created, at('2026-04-30T00:00:00.000Z')).key).toBe('2026-03-31')
  })

  it('keys a period by its start date, e.g. 2026-11-25 for an account created on the 25th', () => {
    const on25th = at('2026-10-25T09:30:00.000Z')
    expect(periodAt(on25th, at('2026-11-30T00:00:00.000Z'))).toEqual({
      index: 1,
      start: at('2026-11-25T09:30:00.000Z'),
      end: at('2026-12-25T09:30:00.000Z'),
      key: '2026-11-25',
    })
  })

  it('handles an account created at 23:59:59.999 on the 31st', () => {
    const late = at('2026-01-31T23:59:59.999Z')
    const renewal = at('2026-02-28T23:59:59.999Z')
    expect(periodAt(late, late)).toEqual({ index: 0, start: late, end: renewal, key: '2026-01-31' })
    expect(periodAt(late, renewal - 1).index).toBe(0)
    expect(periodAt(late, renewal)).toEqual({
      index: 1,
      start: renewal,
      end: at('2026-03-31T23:59:59.999Z'),
      key: '2026-02-28',
    })
    // The UTC day of Mar 1 has begun, but the period still started on Feb 28.
    expect(periodAt(late, at('2026-03-01T00:00:00.000Z')).key).toBe('2026-02-28')
    const newYearsEve = at('2026-12-31T23:59:59.999Z')
    expect(periodAt(newYearsEve, at('2027-01-31T23:59:59.998Z')).key).toBe('2026-12-31')
    expect(periodAt(newYearsEve, at('2027-01-31T23:59:59.999Z')).key).toBe('2027-01-31')
  })

  it('follows a Feb 29 account through common and leap years', () => {
    const leap = at('2024-02-29T00:00:00.000Z')
    expect(periodAt(leap, at('2025-02-28T00:00:00.000Z'))).toMatchObject({ index: 12, key: '2025-02-28' })
    expect(periodAt(leap, at('2025-02-27T23:59:59.999Z'))).toMatchObject({ index: 11, key: '2025-01-29' })
    expect(periodAt(leap, at('2025-03-01T00:00:00.000Z')).end).toBe(at('2025-03-29T00:00:00.000Z'))
    expect(periodAt(leap, at('2028-02-29T00:00:00.000Z'))).toMatchObject({ index: 48, key: '2028-02-29' })
    expect(periodAt(leap, at('2028-02-28T12:00:00.000Z'))).toMatchObject({ index: 47, key: '2028-01-29' })
  })

  it('computes a period thousands of years on directly, up to the last supported instant', () => {
    const old = at('1970-01-31T00:00:00.000Z')
    expect(periodAt(old, MAX_PERIOD_INSTANT_MS)).toEqual({
      index: (9999 - 1970) * 12 + 11,
      start: at('9999-12-31T00:00:00.000Z'),
      end: Date.UTC(10000, 0, 31),
      key: '9999-12-31',
    })
    expect(periodAt(0, 0).key).toBe('1970-01-01')
  })

  it('throws a RangeError for an instant before the account was created', () => {
    expect(() => periodAt(created, created - 1)).toThrow(RangeError)
    expect(() => periodAt(created, created - 1)).toThrow(/before the account's creation/)
    expect(() => periodAt(created, 0)).toThrow(RangeError)
  })

  it('throws a RangeError for an instant that is not an integer in the supported range', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, -1, MAX_PERIOD_INSTANT_MS + 1]) {
      expect(() => periodAt(created, bad)).toThrow(RangeError)
      expect(() => periodAt(bad, MAX_PERIOD_INSTANT_MS)).toThrow(RangeError)
    }
  })
})

describe('addMonthsClamped', () => {
  it('adds months on the same day clamped to the month, at the same time of day', () => {
    expect(addMonthsClamped(at('2026-01-31T15:20:00.000Z'), 1)).toBe(at('2026-02-28T15:20:00.000Z'))
    expect(addMonthsClamped(at('2024-02-29T01:00:00.000Z'), 12)).toBe(at('2025-02-28T01:00:00.000Z'))
    expect(addMonthsClamped(at('2026-11-30T00:00:00.000Z'), 3)).toBe(at('2027-02-28T00:00:00.000Z'))
    expect(addMonthsClamped(at('2026-05-15T10:00:00.000Z'), 0)).toBe(at('2026-05-15T10:00:00.000Z'))
  })

  it('goes back with negative months', () => {
    expect(addMonthsClamped(at('2026-03-31T12:00:00.000Z'), -1)).toBe(at('2026-02-28T12:00:00.000Z'))
    expect(addMonthsClamped(at('2026-01-15T12:00:00.000Z'), -13)).toBe(at('2024-12-15T12:00:00.000Z'))
    expect(addMonthsClamped(at('1970-01-01T00:00:00.000Z'), -1)).toBe(at('1969-12-01T00:00:00.000Z'))
  })

  it('drifts when chained, which is why periods are always counted from the creation', () => {
    const jan31 = at('2026-01-31T00:00:00.000Z')
    expect(addMonthsClamped(addMonthsClamped(jan31, 1), 1)).toBe(at('2026-03-28T00:00:00.000Z'))
    expect(addMonthsClamped(jan31, 2)).toBe(at('2026-03-31T00:00:00.000Z'))
  })

  it('reads years 0–99 as themselves, not as 1900–1999', () => {
    const year50 = new Date(0)
    year50.setUTCFullYear(50, 0, 31)
    const expected = new Date(0)
    expected.setUTCFullYear(50, 1, 28)
    expect(addMonthsClamped(year50.getTime(), 1)).toBe(expected.getTime())
  })

  it('throws a RangeError for non-integers and results outside what a Date holds', () => {
    expect(() => addMonthsClamped(Number.NaN, 1)).toThrow(RangeError)
    expect(() => addMonthsClamped(0.5, 1)).toThrow(RangeError)
    expect(() => addMonthsClamped(0, 1.5)).toThrow(RangeError)
    expect(() => addMonthsClamped(0, 12 * 300_000)).toThrow(RangeError)
    expect(() => addMonthsClamped(8.64e15, 1)).toThrow(RangeError)
  })
})

describe('period properties', () => {
  const YEAR_10000 = Date.UTC(10000, 0, 1)

  /** Creation instants, often at the end of a month and at the edges of the day. */
  const createdArb = fc.oneof(
    fc.integer({ min: 0, max: MAX_PERIOD_INSTANT_MS }),
    fc
      .record({
        year: fc.integer({ min: 1970, max: 2200 }),
        month: fc.integer({ min: 0, max: 11 }),
        day: fc.integer({ min: 26, max: 31 }),
        timeOfDay: fc.oneof(fc.constantFrom(0, 1, DAY - 1), fc.integer({ min: 0, max: DAY - 1 })),
      })
      // Date.UTC rolls an impossible day (Feb 31) into the next month: also a fine creation instant.
      .map(({ year, month, day, timeOfDay }) => Date.UTC(year, month, day) + timeOfDay),
  )

  /** A creation instant and a later one, from the same millisecond to centuries on. */
  const createdAndAtArb = createdArb.chain((created) =>
    fc
      .oneof(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 100 * DAY }),
        fc.integer({ min: 0, max: 5 * 366 * DAY }),
        fc.integer({ min: 0, max: MAX_PERIOD_INSTANT_MS - created }),
      )
      .map((offset) => [created, Math.min(created + offset, MAX_PERIOD_INSTANT_MS)] as const),
  )

  it('contains the instant: start ≤ at < end, with start and end the periods at index and index + 1', () => {
    fc.assert(
      fc.property(createdAndAtArb, ([created, atMs]) => {
        const p = periodAt(created, atMs)
        expect(p.index).toBeGreaterThanOrEqual(0)
        expect(p.start).toBeLessThanOrEqual(atMs)
        expect(atMs).toBeLessThan(p.end)
        expect(p.start).toBe(periodStart(created, p.index))
        expect(p.end).toBe(periodStart(created, p.index + 1))
        expect(p.key).toBe(date(p.start))
        if (p.index === 0) expect(p.start).toBe(created)
      }),
      { numRuns: 2000 },
    )
  })

  it('tiles time: the next period starts where this one ends, the previous ends where it starts', () => {
    fc.assert(
      fc.property(createdAndAtArb, ([created, atMs]) => {
        const p = periodAt(created, atMs)
        if (p.end <= MAX_PERIOD_INSTANT_MS) {
          const next = periodAt(created, p.end)
          expect(next.index).toBe(p.index + 1)
          expect(next.start).toBe(p.end)
          expect(periodAt(created, p.end - 1)).toEqual(p)
        }
        if (p.index > 0) {
          const previous = periodAt(created, p.start - 1)
          expect(previous.index).toBe(p.index - 1)
          expect(previous.end).toBe(p.start)
        }
        expect(periodAt(created, p.start)).toEqual(p)
      }),
      { numRuns: 2000 },
    )
  })

  it('lasts 28 to 31 whole days, starting at the creation time of day on the clamped anchor day', () => {
    fc.assert(
      fc.property(createdAndAtArb, ([created, atMs]) => {
        const p = periodAt(created, atMs)
        const length = p.end - p.start
        expect(length % DAY).toBe(0)
        expect(length / DAY).toBeGreaterThanOrEqual(28)
        expect(length / DAY).toBeLessThanOrEqual(31)
        expect(p.start % DAY).toBe(created % DAY)
        const anchorDay = new Date(created).getUTCDate()
        const start = new Date(p.start)
        const lastDayOfMonth = new Date(
          Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0),
        ).getUTCDate()
        expect(start.getUTCDate()).toBe(Math.min(anchorDay, lastDayOfMonth))
        // Exactly p.index calendar months after the creation.
        const c = new Date(created)
        const months =
          (start.getUTCFullYear() - c.getUTCFullYear()) * 12 + (start.getUTCMonth() - c.getUTCMonth())
        expect(months).toBe(p.index)
      }),
      { numRuns: 2000 },
    )
  })

  it('is monotonic: a later instant never has an earlier index, start or key', () => {
    const arb = createdAndAtArb.chain(([created, a]) =>
      fc
        .integer({ min: 0, max: Math.min(800 * DAY, MAX_PERIOD_INSTANT_MS - a) })
        .map((delta) => [created, a, a + delta] as const),
    )
    fc.assert(
      fc.property(arb, ([created, a, b]) => {
        const pa = periodAt(created, a)
        const pb = periodAt(created, b)
        expect(pb.index).toBeGreaterThanOrEqual(pa.index)
        expect(pb.start).toBeGreaterThanOrEqual(pa.start)
        expect(pb.key >= pa.key).toBe(true)
        expect(pb.index === pa.index).toBe(pb.key === pa.key)
      }),
      { numRuns: 2000 },
    )
  })

  it('gives every period its own key, in the same string order as the periods', () => {
    const arb = fc.record({ created: createdArb, from: fc.integer({ min: 0, max: 2000 }) })
    fc.assert(
      fc.property(arb, ({ created, from }) => {
        const keys: string[] = []
        for (let i = from; i < from + 60; i++) {
          const start = periodStart(created, i)
          if (start > MAX_PERIOD_INSTANT_MS) break
          const p = periodAt(created, start)
          expect(p.index).toBe(i)
          keys.push(p.key)
        }
        expect(new Set(keys).size).toBe(keys.length)
        // One period per calendar month, and keys sort as the periods do.
        expect(new Set(keys.map((k) => k.slice(0, 7))).size).toBe(keys.length)
        expect([...keys].sort()).toEqual(keys)
      }),
      { numRuns: 300 },
    )
  })

  it('agrees with counting periods one by one from the creation', () => {
    const arb = createdArb
      .filter((created) => created < YEAR_10000 - 60 * 366 * DAY)
      .chain((created) =>
        fc
          .integer({ min: 0, max: 50 * 366 * DAY })
          .map((offset) => [created, Math.min(created + offset, MAX_PERIOD_INSTANT_MS)] as const),
      )
    fc.assert(
      fc.property(arb, ([created, atMs]) => {
        let index = 0
        while (periodStart(created, index + 1) <= atMs) index++
        expect(periodAt(created, atMs).index).toBe(index)
      }),
      { numRuns: 300 },
    )
  })
})
