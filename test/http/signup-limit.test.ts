import { describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { useTestServer } from '../support/server.ts'

/*
 * Issue 9: 100 sign-ups from one address in 1.2 s all got their 65 free credits. Sign-ups without
 * an invite code are now limited to 5 an hour per client address (sliding, in the database).
 */

const T0 = Date.UTC(2026, 10, 25, 12)
const HOUR = 3_600_000
const PASSWORD = 'correct horse battery'

let serial = 0
const email = () => `signup-${++serial}-${process.pid}-${Date.now()}@example.test`

describe.each(BACKENDS)('the per-address sign-up limit (%s)', (backend) => {
  const clock = new ManualClock(T0)
  const t = useTestServer(backend, { clock })

  const signUp = (from: string, body: Record<string, unknown> = {}) =>
    t.current.server.app.inject({
      method: 'POST',
      url: '/api/signup',
      remoteAddress: from,
      payload: { email: email(), password: PASSWORD, ...body },
    })

  const users = async () => (await t.current.server.services.accounts.listUsers({ limit: 500 })).users.length

  it('lets five sign-ups an hour through from one address, then 429 with retry-after, creating nothing', async () => {
    const from = '203.0.113.10'
    for (let i = 0; i < 5; i++) {
      const res = await signUp(from)
      expect(res.statusCode, res.body).toBe(201)
      clock.advance(10 * 60_000)
    }
    const before = await users()
    const refused = await signUp(from)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBe(String(HOUR / 1000 - 50 * 60))
    expect(await readJson(refused, ErrorBody)).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'too many sign-ups from your network address; try again in 10 minutes',
      },
    })
    expect(await users()).toBe(before)
    // Another address is not held back.
    expect((await signUp('203.0.113.11')).statusCode).toBe(201)
    // The window slides: when the first sign-up is an hour old, one more gets through, not five.
    clock.advance(10 * 60_000)
    expect((await signUp(from)).statusCode).toBe(201)
    expect((await signUp(from)).statusCode).toBe(429)
  })

  it('admits exactly five of a hundred sign-ups sent at once from one address', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => signUp('203.0.113.20')))
    const statuses = results.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 201)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(95)
  }, 60_000)

  it('counts an IPv6 network (/64) as one address', async () => {
    for (let i = 1; i <= 5; i++) expect((await signUp(`2001:db8:aa:bb::${i}`)).statusCode).toBe(201)
    expect((await signUp('2001:db8:aa:bb:ffff::9')).statusCode).toBe(429)
    expect((await signUp('2001:db8:aa:bc::1')).statusCode).toBe(201)
  })

  it('does not limit the owner’s set-up, users an administrator makes, or sign-ups with an invite code', async () => {
    const from = '203.0.113.30'
    for (let i = 0; i < 5; i++) expect((await signUp(from)).statusCode).toBe(201)
    expect((await signUp(from)).statusCode).toBe(429)
    const setup = await t.current.server.app.inject({
      method: 'POST',
      url: '/api/setup',
      remoteAddress: from,
      payload: { email: email(), password: PASSWORD },
    })
    expect(setup.statusCode, setup.body).toBe(201)
    const { accounts } = t.current.server.services
    expect((await accounts.createUser({ email: email(), password: PASSWORD })).ok).toBe(true)
    const invite = await accounts.createInvite({ maxUses: 3 })
    if (!invite.ok) throw new Error(invite.error.message)
    for (let i = 0; i < 3; i++) {
      expect((await signUp(from, { inviteCode: invite.value.code })).statusCode).toBe(201)
    }
    // The code's uses are its bound.
    expect((await signUp(from, { inviteCode: invite.value.code })).statusCode).toBe(403)
  })

  it('checks the input first: a refused password does not use up the address’s sign-ups', async () => {
    const from = '203.0.113.40'
    for (let i = 0; i < 10; i++) {
      const res = await signUp(from, { password: 'password12' })
      expect(res.statusCode).toBe(400)
      expect((await readJson(res, ErrorBody)).error.message).toBe(
        'password: is one of the 10,000 most common passwords; choose another',
      )
    }
    for (let i = 0; i < 5; i++) expect((await signUp(from)).statusCode).toBe(201)
  })
})
