import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError } from '../../src/accounts/index.ts'
import { sha256Hex } from '../../src/accounts/tokens.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { recordingSql } from '../support/recording-sql.ts'

// Password reset by mail (issue 11), through the accounts service on every backend: the answer and
// the work do not depend on whether the email has an account; the link is single-use, hashed at
// rest, good for an hour and replaced by a newer one; using it sets the password, ends every session.

const T0 = Date.UTC(2026, 11, 3, 9)
const MINUTE = 60_000
const HOUR = 3_600_000
const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'a brand new passphrase'
const BASE = 'https://easel.example/studio'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`
/** A client address no other test uses (the per-address limit is not what most tests are about). */
const address = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`

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

/** The mails queued to `to`, oldest first. */
function outbox(db: Database, to: string) {
  return db.kysely
    .selectFrom('mail_outbox')
    .select(['kind', 'to_address', 'subject', 'text_body', 'html_body', 'created_at'])
    .where('to_address', '=', to)
    .orderBy('id')
    .execute()
}

/** The reset token of the link in a mail's text. */
function tokenIn(text: string): string {
  const m = /(https?:\/\/\S+)\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(text)
  if (!m) throw new Error(`no reset link in: ${text}`)
  return m[2]!
}

const tokenRows = (db: Database, userId: string) =>
  db.kysely
    .selectFrom('account_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute()

const sessionCount = async (db: Database, userId: string) =>
  (await db.kysely.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length

describe.each(BACKENDS)('password reset (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  async function person(accounts: Accounts) {
    const address = email('reset')
    const user = ok(await accounts.createUser({ email: address, password: PASSWORD }))
    return { user, email: address }
  }

  it('answers a known and an unknown email alike; only the known one gets a mail with a hashed, one-hour token', async () => {
    const { accounts, clock } = service(suite.db)
    const { user, email: known } = await person(accounts)
    const unknown = email('nobody')

    const forKnown = await accounts.requestPasswordReset({ email: known.toUpperCase(), linkBase: BASE })
    const forUnknown = await accounts.requestPasswordReset({ email: unknown, linkBase: BASE })
    expect(forKnown).toEqual({ ok: true, value: undefined })
    expect(forUnknown).toEqual(forKnown)

    expect(await outbox(suite.db, unknown)).toEqual([])
    const [mail, ...more] = await outbox(suite.db, known)
    expect(more).toEqual([])
    expect(mail).toMatchObject({ kind: 'password-reset', to_address: known, created_at: T0 })
    expect(mail!.subject).toMatch(/reset/i)
    const token = tokenIn(mail!.text_body)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(mail!.text_body).toContain(`${BASE}/reset-password?token=${token}`)
    expect(mail!.html_body).toContain(`href="${BASE}/reset-password?token=${token}"`)

    // Stored as its SHA-256 only, for an hour, for this user and address.
    const rows = await tokenRows(suite.db, user.id)
    expect(rows).toEqual([
      {
        token_hash: sha256Hex(token),
        purpose: 'password-reset',
        user_id: user.id,
        email: known,
        created_at: T0,
        expires_at: T0 + HOUR,
        used_at: null,
      },
    ])
    expect(
      JSON.stringify(await suite.db.kysely.selectFrom('account_tokens').selectAll().execute()),
    ).not.toContain(token)
    expect(clock.now()).toBe(T0)
  })

  it('does the same work for a known and an unknown email: one transaction, the same statements but two inserts', async () => {
    const { accounts } = service(suite.db)
    const { email: known } = await person(accounts)
    // The first request of a process also prunes old counts: out of the way first.
    ok(await accounts.requestPasswordReset({ email: email('warm-up'), linkBase: BASE }))

    const run = (target: string) =>
      recordingSql(suite.db, async () =>
        ok(await accounts.requestPasswordReset({ email: target, address: address(), linkBase: BASE })),
      )
    const forKnown = await run(known)
    const forUnknown = await run(email('nobody'))
    expect(forKnown.filter((s) => s === 'begin')).toHaveLength(1)
    const inserts = forKnown.filter((s) => /^insert into (account_tokens|mail_outbox)/.test(s))
    expect(inserts).toHaveLength(2)
    expect(forUnknown).toEqual(forKnown.filter((s) => !inserts.includes(s)))
  })

  it('a malformed email is refused as such, known or not, and nothing is written', async () => {
    const { accounts } = service(suite.db)
    const before = await suite.db.kysely.selectFrom('mail_outbox').select('id').execute()
    for (const bad of ['', 'not an email', 'a@b', 42]) {
      const e = refused(await accounts.requestPasswordReset({ email: bad as string, linkBase: BASE }))
      expect(e).toMatchObject({ code: 'VALIDATION', field: 'email' })
    }
    expect(await suite.db.kysely.selectFrom('mail_outbox').select('id').execute()).toEqual(before)
  })

  it('sets the new password with the token: the old one stops working, every session ends, the link works once', async () => {
    const { accounts, clock } = service(suite.db)
    const { user, email: known } = await person(accounts)
    ok(await accounts.signIn({ email: known, password: PASSWORD }))
    ok(await accounts.signIn({ email: known, password: PASSWORD }))
    const other = await person(accounts)
    ok(await accounts.signIn({ email: other.email, password: PASSWORD }))
    expect(await sessionCount(suite.db, user.id)).toBe(2)

    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const token = tokenIn((await outbox(suite.db, known))[0]!.text_body)
    clock.advance(10 * MINUTE)
    ok(await accounts.confirmPasswordReset({ token, password: NEW_PASSWORD }))

    expect(await sessionCount(suite.db, user.id)).toBe(0)
    // Another user's sessions are not touched.
    expect(await sessionCount(suite.db, other.user.id)).toBe(1)
    expect(refused(await accounts.signIn({ email: known, password: PASSWORD })).code).toBe(
      'INVALID_CREDENTIALS',
    )
    expect((await accounts.signIn({ email: known, password: NEW_PASSWORD })).ok).toBe(true)
    const [row] = await tokenRows(suite.db, user.id)
    expect(row).toMatchObject({ used_at: T0 + 10 * MINUTE })

    // Single use: the same link again changes nothing.
    const again = refused(await accounts.confirmPasswordReset({ token, password: 'yet another passphrase' }))
    expect(again.code).toBe('TOKEN_INVALID')
    expect(again.message).toMatch(/not valid: it is unknown, already used or expired/)
    expect((await accounts.signIn({ email: known, password: NEW_PASSWORD })).ok).toBe(true)
  })

  it('a link expires after an hour', async () => {
    const { accounts, clock } = service(suite.db)
    const a = await person(accounts)
    const b = await person(accounts)
    ok(await accounts.requestPasswordReset({ email: a.email, linkBase: BASE }))
    ok(await accounts.requestPasswordReset({ email: b.email, linkBase: BASE }))
    const tokenA = tokenIn((await outbox(suite.db, a.email))[0]!.text_body)
    const tokenB = tokenIn((await outbox(suite.db, b.email))[0]!.text_body)

    clock.advance(HOUR - 1)
    ok(await accounts.confirmPasswordReset({ token: tokenA, password: NEW_PASSWORD }))
    clock.advance(1)
    const late = refused(await accounts.confirmPasswordReset({ token: tokenB, password: NEW_PASSWORD }))
    expect(late.code).toBe('TOKEN_INVALID')
    expect((await accounts.signIn({ email: b.email, password: PASSWORD })).ok).toBe(true)
  })

  it('a newer request makes the earlier link stop working', async () => {
    const { accounts, clock } = service(suite.db)
    const { user, email: known } = await person(accounts)
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    clock.advance(MINUTE)
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const [first, second] = (await outbox(suite.db, known)).map((m) => tokenIn(m.text_body))
    expect(first).not.toBe(second)
    expect((await tokenRows(suite.db, user.id)).map((r) => r.token_hash)).toEqual([sha256Hex(second!)])

    expect(refused(await accounts.confirmPasswordReset({ token: first!, password: NEW_PASSWORD })).code).toBe(
      'TOKEN_INVALID',
    )
    ok(await accounts.confirmPasswordReset({ token: second!, password: NEW_PASSWORD }))
  })

  it('checks the new password by the rule without using up the link', async () => {
    const { accounts } = service(suite.db)
    const { email: known } = await person(accounts)
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const token = tokenIn((await outbox(suite.db, known))[0]!.text_body)
    for (const [password, message] of [
      ['short', /at least 10 characters/],
      ['aaaaaaaaaaaa', /one character repeated/],
      ['Password12', /most common passwords/],
    ] as const) {
      const e = refused(await accounts.confirmPasswordReset({ token, password }))
      expect(e).toMatchObject({ code: 'VALIDATION', field: 'password' })
      expect(e.message).toMatch(message)
    }
    ok(await accounts.confirmPasswordReset({ token, password: NEW_PASSWORD }))
  })

  it('refuses tokens that are not ours without a query, and changes nothing', async () => {
    const { accounts } = service(suite.db)
    for (const token of ['', 'x', 'a'.repeat(43), "' OR '1'='1", 'A'.repeat(10_000), 42, null]) {
      const e = refused(
        await accounts.confirmPasswordReset({ token: token as string, password: NEW_PASSWORD }),
      )
      expect(e.code, String(token).slice(0, 20)).toBe('TOKEN_INVALID')
    }
  })

  it('a disabled user gets no link, and cannot use one mailed before', async () => {
    const { accounts } = service(suite.db)
    const { user, email: known } = await person(accounts)
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const token = tokenIn((await outbox(suite.db, known))[0]!.text_body)
    ok(await accounts.updateUser(user.id, { disabled: true }))

    expect(refused(await accounts.confirmPasswordReset({ token, password: NEW_PASSWORD })).code).toBe(
      'TOKEN_INVALID',
    )
    expect(await accounts.requestPasswordReset({ email: known, linkBase: BASE })).toEqual({
      ok: true,
      value: undefined,
    })
    expect(await outbox(suite.db, known)).toHaveLength(1)

    // Enabled again, the old password still works: the refused reset changed nothing.
    ok(await accounts.updateUser(user.id, { disabled: false }))
    expect((await accounts.signIn({ email: known, password: PASSWORD })).ok).toBe(true)
  })

  it('of two uses of one link at once, exactly one sets its password', async () => {
    const { accounts } = service(suite.db)
    const { email: known } = await person(accounts)
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const token = tokenIn((await outbox(suite.db, known))[0]!.text_body)
    const passwords = ['first racing passphrase', 'second racing passphrase']
    const results = await Promise.all(
      passwords.map((password) => accounts.confirmPasswordReset({ token, password })),
    )
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error.code)).toEqual(['TOKEN_INVALID'])
    const winner = passwords[results.findIndex((r) => r.ok)]!
    expect((await accounts.signIn({ email: known, password: winner })).ok).toBe(true)
  })

  it('forgets the email’s failed sign-ins: someone locked out by guessing can sign in at once', async () => {
    const { accounts } = service(suite.db)
    const { email: known } = await person(accounts)
    const attacker = address()
    for (let i = 0; i < 8; i++)
      await accounts.signIn({ email: known, password: 'wrong guess', address: attacker })
    expect(
      refused(await accounts.signIn({ email: known, password: PASSWORD, address: address() })).code,
    ).toBe('THROTTLED')
    ok(await accounts.requestPasswordReset({ email: known, linkBase: BASE }))
    const token = tokenIn((await outbox(suite.db, known))[0]!.text_body)
    ok(await accounts.confirmPasswordReset({ token, password: NEW_PASSWORD }))
    expect((await accounts.signIn({ email: known, password: NEW_PASSWORD, address: address() })).ok).toBe(
      true,
    )
  })

  it('limits requests per email and per address, counting unknown emails alike', async () => {
    const { accounts, clock } = service(suite.db)
    const { email: known } = await person(accounts)
    const unknown = email('nobody')
    for (const target of [known, unknown]) {
      for (let i = 0; i < 3; i++) {
        ok(await accounts.requestPasswordReset({ email: target, address: address(), linkBase: BASE }))
      }
      const e = refused(
        await accounts.requestPasswordReset({ email: target, address: address(), linkBase: BASE }),
      )
      expect(e).toMatchObject({ code: 'THROTTLED', retryAfterSeconds: 3600 })
      expect(e.message).toMatch(/too many password resets asked for; try again in 60 minutes/)
    }
    expect(await outbox(suite.db, known)).toHaveLength(3)

    // From one address, ten emails an hour.
    const from = address()
    for (let i = 0; i < 10; i++) {
      ok(await accounts.requestPasswordReset({ email: email('spray'), address: from, linkBase: BASE }))
    }
    expect(
      refused(await accounts.requestPasswordReset({ email: email('spray'), address: from, linkBase: BASE }))
        .code,
    ).toBe('THROTTLED')
    clock.advance(HOUR)
    ok(await accounts.requestPasswordReset({ email: known, address: from, linkBase: BASE }))
  })
})
