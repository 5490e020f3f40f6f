import { describe, expect, it } from 'vitest'
import {
  closeCohort,
  closedVersion,
  cohortOpenAt,
  LABS_2022,
  type PriceBook,
  parseBook,
  signupCohorts,
  validateBook,
} from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'

// The beta gets an end (issue 11): a cohort may carry `joinUntil`, after which people signing up do
// not join it (so get no bonus); "close the beta" is one action that activates, from now, a copy of
// the book in force with `joinUntil: now` on the cohort. Members keep the cohort and its bonus.

const T0 = Date.UTC(2026, 11, 3, 9, 15)

function book(cohorts: Record<string, unknown>, version = 'labs-2022-cohorts'): PriceBook {
  const r = validateBook({ ...LABS_2022, version, cohorts: { ...LABS_2022.cohorts, ...cohorts } })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

describe('joinUntil in the price book (pure)', () => {
  it('takes an ISO date-time with a zone, and says so of anything else, with its path and line', () => {
    const ok = book({ beta: { bonusCredits: 50, joinOnSignup: true, joinUntil: '2027-01-01T00:00:00Z' } })
    expect(ok.cohorts.beta!.joinUntil).toBe('2027-01-01T00:00:00Z')
    for (const bad of ['2027-01-01', 'next week', 20270101, '2027-01-01T00:00:00']) {
      const r = validateBook({
        ...LABS_2022,
        cohorts: { beta: { bonusCredits: 50, joinOnSignup: true, joinUntil: bad } },
      })
      expect(r.ok ? [] : r.problems, String(bad)).toEqual([
        {
          path: 'cohorts.beta.joinUntil',
          message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-12-31T00:00:00Z',
        },
      ])
    }
    const yaml = parseBook(
      [
        'version: v2',
        'currency: USD',
        'operations: { generate: { imagesReturned: 4, rules: [{ id: std, credits: 1 }] } }',
        'allowances: { period: monthly-from-signup, defaultPlan: free, plans: { free: { monthlyCredits: 15 } } }',
        'cohorts:',
        '  beta:',
        '    bonusCredits: 50',
        '    joinUntil: soon',
        'expiry: { monthly: end-of-period, bonus: { months: 1 }, promotional: null, purchase: null }',
        'priorities: { monthly: 10, bonus: 20, promotional: 30, purchase: 50, refund: 40, adjustment: 40 }',
      ].join('\n'),
      'yaml',
    )
    expect(yaml.ok ? [] : yaml.problems).toEqual([
      expect.objectContaining({ path: 'cohorts.beta.joinUntil', line: 8 }),
    ])
  })

  it('a cohort is joined until its joinUntil, not from it; a cohort without one, or unknown, has no end', () => {
    const b = book({ beta: { bonusCredits: 50, joinOnSignup: true, joinUntil: new Date(T0).toISOString() } })
    expect(cohortOpenAt(b, 'beta', T0 - 1)).toBe(true)
    expect(cohortOpenAt(b, 'beta', T0)).toBe(false)
    expect(cohortOpenAt(LABS_2022, 'beta', T0)).toBe(true)
    expect(cohortOpenAt(b, 'friends', T0)).toBe(true)
    expect(signupCohorts(b, T0 - 1)).toEqual(['beta'])
    expect(signupCohorts(b, T0)).toEqual([])
    expect(signupCohorts(LABS_2022, T0)).toEqual(['beta'])
  })

  it('names the closing version after the book, the cohort and the moment, within 64 characters', () => {
    expect(closedVersion('labs-2022', 'beta', T0)).toBe('labs-2022.beta-closed-20261203t091500z')
    const long = closedVersion('v'.repeat(64), 'c'.repeat(40), T0)
    expect(long.length).toBeLessThanOrEqual(64)
    expect(long).toMatch(/^v+\.c{24}-closed-20261203t091500z$/)
    expect(
      closedVersion('labs-2022.beta-closed-20261203t091500z', 'gamma', T0 + 1000).length,
    ).toBeLessThanOrEqual(64)
  })

  it('closing copies the book with joinUntil on the cohort and nothing else changed; refuses an unknown or closed cohort', () => {
    const closed = closeCohort(LABS_2022, 'beta', T0)
    if (!closed.ok) throw new Error(closed.error.message)
    const { version, effectiveFrom, cohorts, ...rest } = closed.value
    const { version: _v, effectiveFrom: _e, cohorts: before, ...same } = LABS_2022
    expect(version).toBe('labs-2022.beta-closed-20261203t091500z')
    expect(effectiveFrom).toBeUndefined()
    expect(rest).toEqual(same)
    expect(cohorts).toEqual({ beta: { ...before.beta, joinUntil: '2026-12-03T09:15:00.000Z' } })
    expect(closeCohort(LABS_2022, 'gamma', T0)).toEqual({
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: 'the price book in force (labs-2022) has no cohort "gamma" (it has beta)',
      },
    })
    expect(closeCohort(closed.value, 'beta', T0 + 1)).toEqual({
      ok: false,
      error: {
        code: 'ALREADY_CLOSED',
        joinUntil: T0,
        message: 'cohort beta is closed to sign-ups already, since 2026-12-03T09:15:00.000Z',
      },
    })
  })
})

describe.each(BACKENDS)('closing a cohort in the price catalogue (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  it('activates the closing version from now; members’ bonus stays in the book; closing again is refused', async () => {
    const clock = new ManualClock(T0)
    const catalog = await DatabasePricing.load(suite.db.kysely, clock)
    const closed = await catalog.closeCohort('beta')
    if (!closed.ok) throw new Error(closed.error.message)
    expect(closed.value).toEqual({
      cohort: 'beta',
      version: 'labs-2022.beta-closed-20261203t091500z',
      effectiveFrom: T0,
      activatedAt: T0,
      joinUntil: T0,
      reopenedBy: [],
    })
    const now = catalog.bookAt(T0)
    expect(now.version).toBe('labs-2022.beta-closed-20261203t091500z')
    expect(now.cohorts.beta).toMatchObject({ bonusCredits: 50, joinOnSignup: true })
    expect(signupCohorts(now, T0)).toEqual([])
    expect(catalog.bookAt(T0 - 1).version).toBe('labs-2022')
    // Another process reading the same database sees it too.
    const peer = await DatabasePricing.load(suite.db.kysely, clock)
    expect(peer.bookAt(T0).cohorts.beta!.joinUntil).toBe('2026-12-03T09:15:00.000Z')

    clock.advance(60_000)
    expect(await catalog.closeCohort('beta')).toMatchObject({ ok: false, error: { code: 'ALREADY_CLOSED' } })
    expect(await catalog.closeCohort('nobody')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(catalog.versions()).toHaveLength(2)
  })

  it('names a later version that leaves the cohort open, so the operator knows the beta would reopen', async () => {
    // Before the other test's closing version (the suite shares its database).
    const start = T0 - 10 * 86_400_000
    const clock = new ManualClock(start)
    const catalog = await DatabasePricing.load(suite.db.kysely, clock)
    const later = start + 30 * 86_400_000
    const activated = await catalog.activate(book({}, 'v2-open-beta'), later)
    expect(activated.ok).toBe(true)
    const closed = await catalog.closeCohort('beta')
    if (!closed.ok) throw new Error(closed.error.message)
    expect(closed.value.reopenedBy).toEqual([
      { version: 'v2-open-beta', effectiveFrom: later, activatedAt: start },
    ])
    expect(signupCohorts(catalog.bookAt(later), later)).toEqual(['beta'])
  })
})
