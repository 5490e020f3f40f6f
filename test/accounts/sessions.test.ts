import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError } from '../../src/accounts/index.ts'
import { publicSessionId, sessionId } from '../../src/accounts/sessions.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'

// A person's list of sessions (issue 11): what sign-in keeps about the browser, last use to the
// minute, a public id that is not the cookie's hash, ending one (only one's own) or all.

const T0 = Date.UTC(2026, 11, 3, 9)
const MINUTE = 60_000
const PASSWORD = 'correct horse battery'
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`

function ok<T>(result: Result<T, AccountsError>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result.value
}

function service(db: Database, clock = new ManualClock(T0)) {
  const ledger = new Ledger(db, { clock, pricing: staticPricing(LABS_2022) })
  return { clock, accounts: new Accounts(db, ledger, { clock }) }
}

describe('session ids (pure)', () => {
  it('a public id is sess_ and 26 characters, stable, and neither the token nor its hash', () => {
    const id = sessionId('some session token')
    const shown = publicSessionId(id)
    expect(shown).toMatch(/^sess_[0-9a-z]{26}$/)
    expect(publicSessionId(id)).toBe(shown)
    expect(id).not.toContain(shown.slice(5))
    expect(publicSessionId(sessionId('another token'))).not.toBe(shown)
  })
})

describe.each(BACKENDS)('sessions (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  async function person(accounts: Accounts) {
    const address = email('sessions')
    const user = ok(await accounts.createUser({ email: address, password: PASSWORD }))
    return { user, email: address }
  }

  it('keeps the browser and address of a sign-in, and its last use to the minute', async () => {
    const { accounts, clock } = service(suite.db)
    const { user, email: address } = await person(accounts)
    const laptop = ok(
      await accounts.signIn({
        email: address,
        password: PASSWORD,
        address: '203.0.113.9',
        userAgent: FIREFOX,
      }),
    ).session
    // Used within the minute: not written again.
    clock.advance(30_000)
    expect(await accounts.authenticateSession(laptop.token)).not.toBeNull()
    expect((await accounts.listSessions(user.id, laptop.token))[0]!.lastSeenAt).toBe(T0)
    clock.advance(5 * MINUTE - 30_000)
    const long = `${'x'.repeat(300)}\u0000\u001b`
    const phone = ok(
      await accounts.signIn({ email: address, password: PASSWORD, address: '2001:db8::7', userAgent: long }),
    ).session

    expect(await accounts.listSessions(user.id, phone.token)).toEqual([
      {
        id: publicSessionId(sessionId(phone.token)),
        createdAt: T0 + 5 * MINUTE,
        lastSeenAt: T0 + 5 * MINUTE,
        expiresAt: phone.expiresAt,
        userAgent: 'x'.repeat(200),
        address: '2001:db8::7',
        current: true,
      },
      {
        id: publicSessionId(sessionId(laptop.token)),
        createdAt: T0,
        lastSeenAt: T0,
        expiresAt: laptop.expiresAt,
        userAgent: FIREFOX,
        address: '203.0.113.9',
        current: false,
      },
    ])

    // A minute on, a use is written; the list puts the asking session first, then the latest used.
    clock.advance(10 * MINUTE)
    expect(await accounts.authenticateSession(laptop.token)).not.toBeNull()
    const list = await accounts.listSessions(user.id, laptop.token)
    expect(list.map((s) => [s.current, s.lastSeenAt])).toEqual([
      [true, T0 + 15 * MINUTE],
      [false, T0 + 5 * MINUTE],
    ])
    expect(await accounts.listSessions(user.id)).toEqual(list.map((s) => ({ ...s, current: false })))
  })

  it('ends one session by its public id, never another user’s, and all of them at once', async () => {
    const { accounts } = service(suite.db)
    const a = await person(accounts)
    const b = await person(accounts)
    const a1 = ok(await accounts.signIn({ email: a.email, password: PASSWORD })).session
    const a2 = ok(await accounts.signIn({ email: a.email, password: PASSWORD })).session
    const b1 = ok(await accounts.signIn({ email: b.email, password: PASSWORD })).session
    const bId = publicSessionId(sessionId(b1.token))

    const refused = await accounts.endSession(a.user.id, bId, a1.token)
    expect(refused).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: `no session ${bId}` } })
    expect(await accounts.authenticateSession(b1.token)).not.toBeNull()

    const a2Id = publicSessionId(sessionId(a2.token))
    expect(await accounts.endSession(a.user.id, a2Id, a1.token)).toEqual({
      ok: true,
      value: { current: false },
    })
    expect(await accounts.authenticateSession(a2.token)).toBeNull()
    expect((await accounts.listSessions(a.user.id, a1.token)).map((s) => s.current)).toEqual([true])
    expect((await accounts.endSession(a.user.id, a2Id, a1.token)).ok).toBe(false)

    const a3 = ok(await accounts.signIn({ email: a.email, password: PASSWORD })).session
    expect(await accounts.signOutEverywhere(a.user.id)).toBe(2)
    expect(await accounts.authenticateSession(a1.token)).toBeNull()
    expect(await accounts.authenticateSession(a3.token)).toBeNull()
    expect(await accounts.listSessions(a.user.id)).toEqual([])
    expect(await accounts.authenticateSession(b1.token)).not.toBeNull()
  })
})
