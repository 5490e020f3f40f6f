import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError, CLI_ACTOR, listAudit } from '../../src/accounts/index.ts'
import { asRecoveryCode, newRecoveryCodes, recoveryCodeHash } from '../../src/accounts/recovery-codes.ts'
import { asTotpCode, matchTotp, totpCode, totpStep, totpUrl } from '../../src/accounts/totp.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'

// Two-factor sign-in (issue 11) through the accounts service on every backend: set-up and enable
// with a code, sign-in asking for the code, codes accepted one step either side and never twice,
// recovery codes single use and hashed, codes throttled like passwords, administrators unable to
// turn it off, and the operator's reset.

/** 10 seconds into a 30-second step, so that ±1 step is a plain ±30 s. */
const T0 = Date.UTC(2026, 11, 3, 9) + 10_000
const STEP = 30_000
const MINUTE = 60_000
const PASSWORD = 'correct horse battery'
const WRONG = 'not the password at all'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`

function ok<T>(result: Result<T, AccountsError>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result.value
}

function refused<T>(result: Result<T, AccountsError>): AccountsError {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`)
  return result.error
}

function service(db: Database, clock = new ManualClock(T0)) {
  const ledger = new Ledger(db, { clock, pricing: staticPricing(LABS_2022) })
  return { clock, accounts: new Accounts(db, ledger, { clock }) }
}

/** The code an authenticator app shows at `at` (or `steps` steps away). */
const codeAt = (secret: string, at: number, steps = 0) => totpCode(secret, totpStep(at) + steps)

describe('TOTP and recovery codes (pure)', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'

  it('matches RFC 6238’s SHA-1 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits: 287082.
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
    expect(totpCode(rfcSecret, totpStep(59_000))).toBe('287082')
    expect(totpCode(rfcSecret, totpStep(1_111_111_109_000))).toBe('081804')
  })

  it('accepts now and one step either side, later than the last used step only', () => {
    const now = T0
    const s = totpStep(now)
    expect(matchTotp(secret, codeAt(secret, now), now, null)).toBe(s)
    expect(matchTotp(secret, codeAt(secret, now, -1), now, null)).toBe(s - 1)
    expect(matchTotp(secret, codeAt(secret, now, 1), now, null)).toBe(s + 1)
    expect(matchTotp(secret, codeAt(secret, now, -2), now, null)).toBeNull()
    expect(matchTotp(secret, codeAt(secret, now, 2), now, null)).toBeNull()
    expect(matchTotp(secret, codeAt(secret, now), now, s)).toBeNull()
    expect(matchTotp(secret, codeAt(secret, now, -1), now, s - 1)).toBeNull()
    expect(matchTotp(secret, codeAt(secret, now), now, s - 1)).toBe(s)
  })

  it('reads codes as people type them', () => {
    expect(asTotpCode(' 123 456 ')).toBe('123456')
    expect(asTotpCode('123-456')).toBe('123456')
    for (const bad of ['12345', '1234567', 'abcdef', '', '１２３４５６']) expect(asTotpCode(bad)).toBeNull()
    const [code] = newRecoveryCodes()
    expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/)
    expect(asRecoveryCode(code!.toUpperCase().replace(/-/g, ' '))).toBe(code!.replace(/-/g, ''))
    expect(asRecoveryCode('abcd-efgh-oil1')).toBe('abcdefgh0111')
    for (const bad of ['abcd-efgh', 'uuuu-uuuu-uuuu', "' or 1=1 --", ''])
      expect(asRecoveryCode(bad)).toBeNull()
    expect(recoveryCodeHash('usr_a', 'abcdefgh0111')).not.toBe(recoveryCodeHash('usr_b', 'abcdefgh0111'))
  })

  it('makes an otpauth URL for Easel, labelled with the email', () => {
    const url = new URL(totpUrl(secret, 'ada@example.com'))
    expect(url.protocol).toBe('otpauth:')
    expect(url.host).toBe('totp')
    expect(decodeURIComponent(url.pathname)).toBe('/Easel:ada@example.com')
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret,
      issuer: 'Easel',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
  })
})

describe.each(BACKENDS)('two-factor sign-in (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  async function person(accounts: Accounts, role: 'user' | 'admin' = 'user') {
    const address = email(role)
    const user = ok(await accounts.createUser({ email: address, password: PASSWORD, role }))
    return { user, email: address }
  }

  /** A user with two-factor sign-in on: their secret and recovery codes. */
  async function withTwoFactor(accounts: Accounts, clock: ManualClock, role: 'user' | 'admin' = 'user') {
    const p = await person(accounts, role)
    const setup = ok(await accounts.twoFactor.setUp(p.user.id, { password: PASSWORD }))
    const { recoveryCodes } = ok(
      await accounts.twoFactor.enable(p.user.id, { code: codeAt(setup.secret, clock.now()) }),
    )
    // The next code the app shows: the one enable used is spent.
    clock.advance(STEP)
    return { ...p, secret: setup.secret, recoveryCodes }
  }

  const rows = (db: Database, table: string, userId: string) =>
    db.kysely
      .selectFrom(table as 'users')
      .selectAll()
      .where('user_id' as 'id', '=', userId)
      .execute() as Promise<Record<string, unknown>[]>

  const sessions = async (db: Database, userId: string) =>
    (await db.kysely.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length

  const mails = (db: Database, to: string) =>
    db.kysely
      .selectFrom('mail_outbox')
      .select(['kind', 'subject', 'text_body'])
      .where('to_address', '=', to)
      .orderBy('id')
      .execute()

  it('sets up and enables with a code: a pending secret, then on, ten hashed recovery codes, a notice', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await person(accounts)
    expect(ok(await accounts.twoFactor.status(p.user.id))).toEqual({
      enabled: false,
      enabledAt: null,
      recoveryCodesLeft: 0,
      canDisable: false,
    })

    const wrongPassword = refused(await accounts.twoFactor.setUp(p.user.id, { password: WRONG }))
    expect(wrongPassword).toMatchObject({ code: 'VALIDATION', field: 'password' })
    expect(await rows(suite.db, 'two_factor', p.user.id)).toEqual([])

    const first = ok(await accounts.twoFactor.setUp(p.user.id, { password: PASSWORD }))
    expect(first.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(first.otpauthUrl).toBe(totpUrl(first.secret, p.email))
    expect(first.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)
    // Setting up again replaces the pending secret: the first one's codes no longer enable.
    const setup = ok(await accounts.twoFactor.setUp(p.user.id, { password: PASSWORD }))
    expect(setup.secret).not.toBe(first.secret)
    expect(ok(await accounts.twoFactor.status(p.user.id)).enabled).toBe(false)
    const stale = refused(await accounts.twoFactor.enable(p.user.id, { code: codeAt(first.secret, T0) }))
    expect(stale).toMatchObject({ code: 'VALIDATION', field: 'code' })

    const { recoveryCodes } = ok(
      await accounts.twoFactor.enable(p.user.id, { code: codeAt(setup.secret, T0) }),
    )
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    expect(ok(await accounts.twoFactor.status(p.user.id))).toEqual({
      enabled: true,
      enabledAt: T0,
      recoveryCodesLeft: 10,
      canDisable: true,
    })
    const [factor] = await rows(suite.db, 'two_factor', p.user.id)
    expect(factor).toMatchObject({
      secret: setup.secret,
      enabled_at: T0,
      pending_secret: null,
      last_step: totpStep(T0),
    })
    const stored = await rows(suite.db, 'two_factor_recovery_codes', p.user.id)
    expect(stored.map((r) => r.code_hash).sort()).toEqual(
      recoveryCodes.map((c) => recoveryCodeHash(p.user.id, asRecoveryCode(c)!)).sort(),
    )
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes[0]!.replace(/-/g, ''))
    expect((await mails(suite.db, p.email)).map((m) => m.kind)).toEqual(['two-factor-on'])

    // On already: no second set-up, no second enable.
    expect(refused(await accounts.twoFactor.setUp(p.user.id, { password: PASSWORD })).code).toBe(
      'TWO_FACTOR_ENABLED',
    )
    expect(refused(await accounts.twoFactor.enable(p.user.id, { code: '123456' })).code).toBe(
      'TWO_FACTOR_ENABLED',
    )
    expect(clock.now()).toBe(T0)
  })

  it('refuses to enable without a set-up, or with one over an hour old', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await person(accounts)
    expect(refused(await accounts.twoFactor.enable(p.user.id, { code: '123456' })).code).toBe(
      'TWO_FACTOR_NO_SETUP',
    )
    const setup = ok(await accounts.twoFactor.setUp(p.user.id, { password: PASSWORD }))
    clock.advance(60 * MINUTE)
    const late = refused(
      await accounts.twoFactor.enable(p.user.id, { code: codeAt(setup.secret, clock.now()) }),
    )
    expect(late.code).toBe('TWO_FACTOR_NO_SETUP')
    expect(ok(await accounts.twoFactor.status(p.user.id)).enabled).toBe(false)
  })

  it('sign-in: the right password alone gets only the request for a code; the code opens the session', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const before = await sessions(suite.db, p.user.id)

    const asked = refused(await accounts.signIn({ email: p.email, password: PASSWORD }))
    expect(asked.code).toBe('TWO_FACTOR_REQUIRED')
    expect(asked.message).toMatch(/code/)
    expect(await sessions(suite.db, p.user.id)).toBe(before)

    // A wrong password is the usual answer, code or no code, right code or wrong.
    for (const code of [undefined, '000000', codeAt(p.secret, clock.now())]) {
      expect(refused(await accounts.signIn({ email: p.email, password: WRONG, code })).code).toBe(
        'INVALID_CREDENTIALS',
      )
    }
    const wrong = refused(await accounts.signIn({ email: p.email, password: PASSWORD, code: '000000' }))
    expect(wrong.code).toBe('INVALID_CODE')
    for (const garbage of ['x'.repeat(41), 'DROP TABLE', '12345', '💥💥💥💥💥💥']) {
      // Every refusal counted: past five, attempts wait (at most 15 minutes; see throttle.ts).
      clock.advance(15 * MINUTE)
      expect(refused(await accounts.signIn({ email: p.email, password: PASSWORD, code: garbage })).code).toBe(
        'INVALID_CODE',
      )
    }
    expect(await sessions(suite.db, p.user.id)).toBe(before)

    clock.advance(15 * MINUTE)
    const signed = ok(
      await accounts.signIn({
        email: p.email,
        password: PASSWORD,
        code: ` ${codeAt(p.secret, clock.now())} `,
      }),
    )
    expect(signed.user.id).toBe(p.user.id)
    expect(await accounts.authenticateSession(signed.session.token)).not.toBeNull()
  })

  it('a code is accepted a step early or late, never twice, and never one older than the last used', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const now = clock.now()
    const signIn = (code: string) => accounts.signIn({ email: p.email, password: PASSWORD, code })

    expect(refused(await signIn(codeAt(p.secret, now, 2))).code).toBe('INVALID_CODE')
    const late = codeAt(p.secret, now, -1)
    // The enable used the step before this one: a step late is that very step, so refused.
    expect(refused(await signIn(late)).code).toBe('INVALID_CODE')
    const early = codeAt(p.secret, now, 1)
    ok(await signIn(early))
    expect(refused(await signIn(early)).code).toBe('INVALID_CODE')
    // The current code is older than the one just used: refused too.
    expect(refused(await signIn(codeAt(p.secret, now))).code).toBe('INVALID_CODE')
    clock.advance(3 * STEP)
    ok(await signIn(codeAt(p.secret, clock.now(), -1)))
  })

  it('two sign-ins racing with the same code: exactly one gets a session', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const code = codeAt(p.secret, clock.now())
    const results = await Promise.all(
      Array.from({ length: 4 }, () => accounts.signIn({ email: p.email, password: PASSWORD, code })),
    )
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok).map((r) => refused(r).code)).toEqual([
      'INVALID_CODE',
      'INVALID_CODE',
      'INVALID_CODE',
    ])
  })

  it('a recovery code signs in once, in any case and spacing; the others keep working', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const [first, second] = p.recoveryCodes
    const typed = first!.toUpperCase().replace(/-/g, ' ')
    ok(await accounts.signIn({ email: p.email, password: PASSWORD, code: typed }))
    expect(refused(await accounts.signIn({ email: p.email, password: PASSWORD, code: first })).code).toBe(
      'INVALID_CODE',
    )
    expect(ok(await accounts.twoFactor.status(p.user.id)).recoveryCodesLeft).toBe(9)
    const used = (await rows(suite.db, 'two_factor_recovery_codes', p.user.id)).filter(
      (r) => r.used_at !== null,
    )
    expect(used).toEqual([
      expect.objectContaining({
        code_hash: recoveryCodeHash(p.user.id, asRecoveryCode(first!)!),
        used_at: clock.now(),
      }),
    ])
    ok(await accounts.signIn({ email: p.email, password: PASSWORD, code: second }))
    // Another user's recovery code is no use here.
    const other = await withTwoFactor(accounts, clock)
    expect(
      refused(await accounts.signIn({ email: p.email, password: PASSWORD, code: other.recoveryCodes[0] }))
        .code,
    ).toBe('INVALID_CODE')
  })

  it('wrong codes count against the sign-in throttle exactly like wrong passwords', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const address = '203.0.113.9'
    const attempt = (code: string) => accounts.signIn({ email: p.email, password: PASSWORD, code, address })
    // Five failures are free (throttle.ts); the sixth attempt must wait.
    for (let i = 0; i < 5; i++) expect(refused(await attempt('000000')).code).toBe('INVALID_CODE')
    const held = refused(await attempt(codeAt(p.secret, clock.now())))
    expect(held).toMatchObject({ code: 'THROTTLED', retryAfterSeconds: 1 })
    // The wait is shared with passwords: a wrong password now is held too.
    expect(refused(await accounts.signIn({ email: p.email, password: WRONG, address })).code).toBe(
      'THROTTLED',
    )

    // Codes checked on the account page count as well.
    clock.advance(2_000)
    const e = refused(
      await accounts.twoFactor.disable(p.user.id, { password: PASSWORD, code: '000000', address }),
    )
    expect(e).toMatchObject({ code: 'VALIDATION', field: 'code' })
    const held2 = refused(
      await accounts.twoFactor.disable(p.user.id, {
        password: PASSWORD,
        code: codeAt(p.secret, clock.now()),
        address,
      }),
    )
    expect(held2.code).toBe('THROTTLED')
    clock.advance(MINUTE)
    ok(
      await accounts.signIn({
        email: p.email,
        password: PASSWORD,
        code: codeAt(p.secret, clock.now()),
        address,
      }),
    )
  })

  it('turning off needs the password and a code; then the password alone signs in again', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const code = codeAt(p.secret, clock.now())
    expect(refused(await accounts.twoFactor.disable(p.user.id, { password: WRONG, code }))).toMatchObject({
      code: 'VALIDATION',
      field: 'password',
    })
    expect(
      refused(await accounts.twoFactor.disable(p.user.id, { password: PASSWORD, code: '' })),
    ).toMatchObject({ code: 'VALIDATION', field: 'code' })
    ok(await accounts.twoFactor.disable(p.user.id, { password: PASSWORD, code }))
    expect(await rows(suite.db, 'two_factor', p.user.id)).toEqual([])
    expect(await rows(suite.db, 'two_factor_recovery_codes', p.user.id)).toEqual([])
    expect((await mails(suite.db, p.email)).map((m) => m.kind)).toEqual(['two-factor-on', 'two-factor-off'])
    ok(await accounts.signIn({ email: p.email, password: PASSWORD }))
    expect(refused(await accounts.twoFactor.disable(p.user.id, { password: PASSWORD, code })).code).toBe(
      'TWO_FACTOR_NOT_ENABLED',
    )
  })

  it('a recovery code can turn it off too (the phone is lost, the person signed in with one)', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    ok(await accounts.twoFactor.disable(p.user.id, { password: PASSWORD, code: p.recoveryCodes[3]! }))
    expect(ok(await accounts.twoFactor.status(p.user.id)).enabled).toBe(false)
  })

  it('an administrator may not turn it off once on', async () => {
    const { accounts, clock } = service(suite.db)
    const admin = await withTwoFactor(accounts, clock, 'admin')
    expect(ok(await accounts.twoFactor.status(admin.user.id)).canDisable).toBe(false)
    const e = refused(
      await accounts.twoFactor.disable(admin.user.id, {
        password: PASSWORD,
        code: codeAt(admin.secret, clock.now()),
      }),
    )
    expect(e.code).toBe('TWO_FACTOR_MANDATORY')
    expect(e.message).toMatch(/required for administrators/)
    expect(ok(await accounts.twoFactor.status(admin.user.id)).enabled).toBe(true)
  })

  it('renews the recovery codes: the old set stops working, the new one works once each', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock)
    const renewed = ok(
      await accounts.twoFactor.renewRecoveryCodes(p.user.id, {
        password: PASSWORD,
        code: codeAt(p.secret, clock.now()),
      }),
    )
    expect(renewed.recoveryCodes).toHaveLength(10)
    expect(renewed.recoveryCodes).not.toContain(p.recoveryCodes[0])
    expect(
      refused(await accounts.signIn({ email: p.email, password: PASSWORD, code: p.recoveryCodes[0] })).code,
    ).toBe('INVALID_CODE')
    ok(await accounts.signIn({ email: p.email, password: PASSWORD, code: renewed.recoveryCodes[0] }))
    expect(ok(await accounts.twoFactor.status(p.user.id)).recoveryCodesLeft).toBe(9)
    expect((await mails(suite.db, p.email)).map((m) => m.kind)).toEqual([
      'two-factor-on',
      'recovery-codes-renewed',
    ])
  })

  it('the operator’s reset turns it off, deletes the codes, signs out everywhere, and is audited', async () => {
    const { accounts, clock } = service(suite.db)
    const p = await withTwoFactor(accounts, clock, 'admin')
    ok(await accounts.signIn({ email: p.email, password: PASSWORD, code: codeAt(p.secret, clock.now()) }))
    expect(await sessions(suite.db, p.user.id)).toBe(1)

    const done = ok(
      await accounts.twoFactor.reset(p.user.id, { actor: CLI_ACTOR, reason: 'lost phone, ticket 42' }),
    )
    expect(done).toEqual({ sessionsEnded: 1 })
    expect(await sessions(suite.db, p.user.id)).toBe(0)
    expect(await rows(suite.db, 'two_factor', p.user.id)).toEqual([])
    expect(await rows(suite.db, 'two_factor_recovery_codes', p.user.id)).toEqual([])
    const { entries } = await listAudit(suite.db, { subject: p.user.id })
    expect(entries).toEqual([
      expect.objectContaining({
        actorLabel: 'cli',
        action: 'user.two-factor-reset',
        reason: 'lost phone, ticket 42',
        details: { email: p.email, sessionsEnded: 1 },
      }),
    ])
    expect((await mails(suite.db, p.email)).map((m) => m.kind)).toEqual(['two-factor-on', 'two-factor-reset'])
    ok(await accounts.signIn({ email: p.email, password: PASSWORD }))
    expect(refused(await accounts.twoFactor.reset(p.user.id, { actor: CLI_ACTOR })).code).toBe(
      'TWO_FACTOR_NOT_ENABLED',
    )
  })
})
