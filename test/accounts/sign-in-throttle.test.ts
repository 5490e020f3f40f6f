import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { clientAddressKey } from '../../src/accounts/client-address.ts'
import { Accounts, type AccountsError } from '../../src/accounts/index.ts'
import {
  backoffMs,
  describeWait,
  SIGN_IN_POLICY,
  SIGN_UP_POLICY,
  signInWaitMs,
  signUpWaitMs,
} from '../../src/accounts/throttle.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'

/*
 * Issue 9, finding 5 (per account): 150 wrong passwords for one email in 4.6 s all got 401.
 * Failed sign-ins are now throttled per email in the database; see src/accounts/throttle.ts for
 * what is promised.
 */

const T0 = Date.UTC(2026, 10, 25, 12)
const SECOND = 1000
const MINUTE = 60 * SECOND
const DAY = 86_400_000
const PASSWORD = 'correct horse battery'
const WRONG = 'not the password at all'
const HOME = '198.51.100.7'
const ATTACKER = '203.0.113.66'
const CAFE = '192.0.2.33'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`

/** What an attempt came to: 'ok', 'wrong', or the seconds it was told to wait. */
function outcome(result: Result<unknown, AccountsError>): 'ok' | 'wrong' | number {
  if (result.ok) return 'ok'
  if (result.error.code === 'INVALID_CREDENTIALS') return 'wrong'
  if (result.error.code === 'THROTTLED') return result.error.retryAfterSeconds
  throw new Error(`unexpected refusal ${JSON.stringify(result.error)}`)
}

function service(db: Database, clock = new ManualClock(T0)) {
  const ledger = new Ledger(db, { clock, pricing: staticPricing(LABS_2022) })
  return { clock, accounts: new Accounts(db, ledger, { clock }) }
}

describe('the throttle rules (pure)', () => {
  it('lets five failures through, then doubles the wait from one second up to 15 minutes', () => {
    const waits = Array.from({ length: 18 }, (_, n) => backoffMs(n, 5, SIGN_IN_POLICY) / SECOND)
    expect(waits).toEqual([0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900])
    expect(backoffMs(1_000_000, 5, SIGN_IN_POLICY)).toBe(15 * MINUTE)
  })

  it('judges a familiar address by its own failures only, with a larger allowance', () => {
    const now = T0
    const email = { failures: 40, lastAt: now }
    const clean = { failures: 0, lastAt: null }
    expect(signInWaitMs({ now, email, own: clean, familiar: false })).toBe(15 * MINUTE)
    expect(signInWaitMs({ now, email, own: clean, familiar: true })).toBe(0)
    expect(signInWaitMs({ now, email, own: { failures: 9, lastAt: now }, familiar: true })).toBe(0)
    expect(signInWaitMs({ now, email, own: { failures: 10, lastAt: now }, familiar: true })).toBe(SECOND)
    // The wait runs from the last failure.
    expect(signInWaitMs({ now: now + 10 * MINUTE, email, own: clean, familiar: false })).toBe(5 * MINUTE)
  })

  it('lets a sign-up through once enough of the address’s last hour has slid out', () => {
    const t = T0
    const five = [t, t + 10, t + 20, t + 30, t + 40]
    expect(signUpWaitMs(five.slice(0, 4), t + 50, SIGN_UP_POLICY)).toBe(0)
    expect(signUpWaitMs(five, t + 50, SIGN_UP_POLICY)).toBe(3_600_000 - 50)
    expect(signUpWaitMs(five, t + 3_600_000, SIGN_UP_POLICY)).toBe(0)
  })

  it('says waits the way people do', () => {
    expect([1, 999, 1000, 1001, 59_000, 60_000, 61_000, 900_000].map(describeWait)).toEqual([
      '1 second',
      '1 second',
      '1 second',
      '2 seconds',
      '59 seconds',
      '1 minute',
      '2 minutes',
      '15 minutes',
    ])
  })

  it('counts an IPv4 address as itself and an IPv6 address by its /64', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(clientAddressKey('2001:db8:1:2:a:b:c:d')).toBe('2001:db8:1:2::/64')
    expect(clientAddressKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64')
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientAddressKey('[fe80::1%eth0]')).toBe('fe80:0:0:0::/64')
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64')
    expect(clientAddressKey('::')).toBe('0:0:0:0::/64')
    expect(clientAddressKey('not an address')).toBe('not an address')
  })
})

describe.each(BACKENDS)('sign-in throttle on %s', (backend) => {
  const suite = useTestDatabase(backend)

  /** A user and a service whose clock the test moves. */
  async function setUp() {
    const s = service(suite.db)
    const address = email()
    const created = await s.accounts.createUser({ email: address, password: PASSWORD })
    if (!created.ok) throw new Error(created.error.message)
    const attempt = (password: string, from?: string) =>
      s.accounts
        .signIn({ email: address, password, ...(from === undefined ? {} : { address: from }) })
        .then(outcome)
    return { ...s, address, attempt }
  }

  /** Fails from `from`, waiting each wait out, until the waits reach the cap; returns what was said. */
  async function failToTheCap(
    attempt: (p: string, from?: string) => Promise<unknown>,
    clock: ManualClock,
    from?: string,
  ) {
    const said: Array<'wrong' | number> = []
    for (let i = 0; i < 40; i++) {
      const result = (await attempt(WRONG, from)) as 'wrong' | number
      said.push(result)
      if (result === 900) return said
      if (typeof result === 'number') clock.advance(result * SECOND)
    }
    throw new Error(`never reached the cap: ${said.join(', ')}`)
  }

  it('lets five failures through, then makes each attempt wait twice as long, up to 15 minutes', async () => {
    const { clock, attempt } = await setUp()
    const said = await failToTheCap(attempt, clock, ATTACKER)
    // Five free failures; then each wait (in seconds), waited out, lets one more attempt be checked.
    const waits = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    expect(said).toEqual([...Array(5).fill('wrong'), ...waits.flatMap((w) => [w, 'wrong']), 900])
    // It stays at the cap: the next checked attempt waits 15 minutes again, no longer.
    clock.advance(15 * MINUTE)
    expect(await attempt(WRONG, ATTACKER)).toBe('wrong')
    expect(await attempt(WRONG, ATTACKER)).toBe(900)
  })

  it('refuses a throttled attempt before checking the password (the right one too), saying how long to wait', async () => {
    const { accounts, clock, address, attempt } = await setUp()
    for (let i = 0; i < 5; i++) expect(await attempt(WRONG)).toBe('wrong')
    clock.advance(SECOND)
    expect(await attempt(WRONG)).toBe('wrong') // the sixth, after its one-second wait
    const refused = await accounts.signIn({ email: address, password: PASSWORD })
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'THROTTLED',
        message: 'too many failed sign-ins for this email; try again in 2 seconds',
        retryAfterSeconds: 2,
      },
    })
    clock.advance(2 * SECOND)
    expect(await attempt(PASSWORD)).toBe('ok')
  })

  it('does not let hammering push the wait out: after at most 15 minutes the real user gets in', async () => {
    const { clock, attempt } = await setUp()
    await failToTheCap(attempt, clock, ATTACKER)
    // The attacker keeps trying, every ten seconds, for the whole wait: every try is refused
    // unchecked and unrecorded, and the wait only runs down.
    let last = 900
    for (let s = 10; s < 900; s += 10) {
      clock.advance(10 * SECOND)
      const said = await attempt(WRONG, ATTACKER)
      expect(said).toBe(900 - s)
      last = said as number
    }
    expect(last).toBe(10)
    clock.advance(10 * SECOND)
    // The real user, from an address the email has never signed in from, is checked now.
    expect(await attempt(PASSWORD, CAFE)).toBe('ok')
  })

  it('never slows a familiar address down for failures elsewhere', async () => {
    const { clock, attempt } = await setUp()
    expect(await attempt(PASSWORD, HOME)).toBe('ok') // HOME is now familiar
    await failToTheCap(attempt, clock, ATTACKER)
    expect(await attempt(PASSWORD, CAFE)).toBe(900) // a new address shares the email's wait
    expect(await attempt(PASSWORD, HOME)).toBe('ok') // home does not
    // Home's own mistakes have their own, larger allowance (ten), then the same growing waits.
    for (let i = 0; i < 10; i++) expect(await attempt(WRONG, HOME)).toBe('wrong')
    expect(await attempt(PASSWORD, HOME)).toBe(1)
    clock.advance(SECOND)
    expect(await attempt(PASSWORD, HOME)).toBe('ok')
    // An IPv6 home is known by its /64: a new privacy address of the same network is home too.
    // (899: home's ten failures are forgotten with its success, so the attacker's last one counts)
    expect(await attempt(PASSWORD, '2001:db8:5:6::1')).toBe(899)
    clock.advance(15 * MINUTE)
    expect(await attempt(PASSWORD, '2001:db8:5:6::1')).toBe('ok')
    await failToTheCap(attempt, clock, ATTACKER)
    expect(await attempt(PASSWORD, '2001:db8:5:6:aaaa:bbbb:cccc:dddd')).toBe('ok')
  })

  it('forgets the failures of the address a success came from, not those from elsewhere', async () => {
    const { clock, attempt } = await setUp()
    for (let i = 0; i < 5; i++) expect(await attempt(WRONG, ATTACKER)).toBe('wrong')
    for (let i = 0; i < 5; i++) expect(await attempt(WRONG, HOME)).toBe(1)
    clock.advance(SECOND)
    expect(await attempt(WRONG, HOME)).toBe('wrong')
    clock.advance(2 * SECOND)
    expect(await attempt(PASSWORD, HOME)).toBe('ok')
    // Home starts clean: ten mistakes before any wait.
    for (let i = 0; i < 10; i++) expect(await attempt(WRONG, HOME)).toBe('wrong')
    expect(await attempt(WRONG, HOME)).toBe(1)
    // The attacker's five failures (and home's ten since) still count against everybody else.
    expect(await attempt(WRONG, CAFE)).toBe(900)
  })

  it('answers an unknown email exactly as a known one, wait for wait', async () => {
    const { accounts, clock, attempt } = await setUp()
    const unknown = email('nobody')
    const tryUnknown = () =>
      accounts.signIn({ email: unknown, password: WRONG, address: ATTACKER }).then(outcome)
    const known: unknown[] = []
    const nobody: unknown[] = []
    for (let i = 0; i < 9; i++) {
      known.push(await attempt(WRONG, ATTACKER))
      nobody.push(await tryUnknown())
      if (i % 2 === 1) clock.advance(2 * SECOND)
    }
    expect(nobody).toEqual(known)
    expect(known).toContain(1)
  })

  it('throttles attempts without an address (in-process callers) by the email alone', async () => {
    const { attempt } = await setUp()
    for (let i = 0; i < 5; i++) expect(await attempt(WRONG)).toBe('wrong')
    expect(await attempt(PASSWORD)).toBe(1)
    expect(await attempt(PASSWORD, HOME)).toBe(1)
  })

  it('is shared by two processes on one database, and attempts sent at once get only the allowance', async () => {
    const clock = new ManualClock(T0)
    const one = service(suite.db, clock)
    const otherDb = await suite.testDb.open()
    try {
      const two = service(otherDb, clock)
      const address = email('shared')
      const created = await one.accounts.createUser({ email: address, password: PASSWORD })
      if (!created.ok) throw new Error(created.error.message)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? one : two).accounts
            .signIn({ email: address, password: WRONG, address: `203.0.113.${i + 1}` })
            .then(outcome),
        ),
      )
      expect(results.filter((r) => r === 'wrong')).toHaveLength(5)
      expect(results.filter((r) => r === 1)).toHaveLength(15)
      // Either process sees the count the other wrote.
      expect(outcome(await two.accounts.signIn({ email: address, password: PASSWORD, address: HOME }))).toBe(
        1,
      )
      clock.advance(SECOND)
      expect(outcome(await two.accounts.signIn({ email: address, password: PASSWORD, address: HOME }))).toBe(
        'ok',
      )
      // HOME is familiar to the first process too.
      await failToTheCap(
        (p, from) =>
          one.accounts
            .signIn({ email: address, password: p, ...(from ? { address: from } : {}) })
            .then(outcome),
        clock,
        ATTACKER,
      )
      expect(outcome(await one.accounts.signIn({ email: address, password: PASSWORD, address: HOME }))).toBe(
        'ok',
      )
    } finally {
      await otherDb.close()
    }
  })

  it('lets failures slide out after a day, and prunes the rows that no longer count', async () => {
    const { clock, attempt } = await setUp()
    await failToTheCap(attempt, clock, ATTACKER)
    clock.advance(DAY)
    expect(await attempt(WRONG, ATTACKER)).toBe('wrong')
    const rows = await suite.db.kysely
      .selectFrom('sign_in_failures')
      .select('at')
      .where('at', '<=', clock.now() - DAY)
      .execute()
    expect(rows).toEqual([])
    // The window slides: failures age out one by one, not all at once at a boundary.
    for (let i = 0; i < 4; i++) expect(await attempt(WRONG, ATTACKER)).toBe('wrong')
    expect(await attempt(WRONG, ATTACKER)).toBe(1)
  })
})
