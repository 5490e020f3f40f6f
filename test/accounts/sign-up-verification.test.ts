import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError, type SignupPolicy } from '../../src/accounts/index.ts'
import { sha256Hex } from '../../src/accounts/tokens.ts'
import type { PriceBook, Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing, validateBook } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { recordingSql } from '../support/recording-sql.ts'

// Sign-up with mail on and email verification (issue 11), through the accounts service on every
// backend: the same answer and the same work for a new and a known address; free credits held until
// the address is verified (by its link, a used reset link, a confirmed change of email or an
// administrator), then owed at once; the link single-use, hashed, for 24 hours, sent again on
// request (3 an hour); users made any other way verified from the start; the beta's end.

const T0 = Date.UTC(2026, 11, 3, 9)
const MINUTE = 60_000
const HOUR = 3_600_000
const PASSWORD = 'correct horse battery'
const BASE = 'https://easel.example'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`
/** A client address no other test uses (the per-address limit is tested in signup-limit). */
const address = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`

function ok<T>(result: Result<T, AccountsError>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result.value
}

function refused<T>(result: Result<T, AccountsError>): AccountsError {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`)
  return result.error
}

function service(
  db: Database,
  options: { clock?: ManualClock; book?: PriceBook; signup?: SignupPolicy } = {},
) {
  const clock = options.clock ?? new ManualClock(T0)
  const ledger = new Ledger(db, { clock, pricing: staticPricing(options.book ?? LABS_2022) })
  const accounts = new Accounts(db, ledger, { clock, ...(options.signup ? { signup: options.signup } : {}) })
  return { clock, ledger, accounts }
}

/** The mails queued to `to`, oldest first. */
const outbox = (db: Database, to: string) =>
  db.kysely
    .selectFrom('mail_outbox')
    .select(['kind', 'to_address', 'subject', 'text_body', 'html_body', 'created_at'])
    .where('to_address', '=', to)
    .orderBy('id')
    .execute()

/** The verification token of the link in a mail's text. */
function tokenIn(text: string): string {
  const m = /https:\/\/easel\.example\/verify-email\?token=([A-Za-z0-9_-]{43})/.exec(text)
  if (!m) throw new Error(`no verification link in: ${text}`)
  return m[1]!
}

async function verificationToken(db: Database, to: string): Promise<string> {
  const mail = (await outbox(db, to)).filter((m) => m.kind === 'verify-email').at(-1)
  if (!mail) throw new Error(`no verification mail to ${to}`)
  return tokenIn(mail.text_body)
}

const userRow = (db: Database, address: string) =>
  db.kysely
    .selectFrom('users')
    .select(['id', 'account_id', 'email_verified_at'])
    .where('email', '=', address)
    .executeTakeFirst()

function bookClosingBeta(at: number): PriceBook {
  const r = validateBook({
    ...LABS_2022,
    version: 'labs-2022-beta-ends',
    cohorts: { beta: { ...LABS_2022.cohorts.beta, joinUntil: new Date(at).toISOString() } },
  })
  if (!r.ok) throw new Error(JSON.stringify(r.problems))
  return r.book
}

describe.each(BACKENDS)('sign-up with email verification (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  const signUp = (accounts: Accounts, to: string, extra: { inviteCode?: string; password?: string } = {}) =>
    accounts.signUpByMail({
      email: to,
      password: extra.password ?? PASSWORD,
      address: address(),
      linkBase: BASE,
      ...(extra.inviteCode === undefined ? {} : { inviteCode: extra.inviteCode }),
    })

  it('answers a new and a known address alike; the new one gets an unverified user and a hashed 24-hour link, the known one a notice', async () => {
    const { accounts, ledger } = service(suite.db)
    const known = email('known')
    const existing = ok(await accounts.createUser({ email: known, password: PASSWORD }))
    const fresh = email('fresh')

    const forNew = await signUp(accounts, fresh.toUpperCase())
    const forKnown = await signUp(accounts, known, { password: 'another long password' })
    expect(forNew).toEqual({ ok: true, value: undefined })
    expect(forKnown).toEqual(forNew)

    // The new address: an unverified user in the beta, whose credits wait.
    const row = await userRow(suite.db, fresh)
    expect(row).toMatchObject({ email_verified_at: null })
    const user = (await accounts.getUser(row!.id))!
    expect(user).toMatchObject({ email: fresh, emailVerified: false, cohorts: ['beta'] })
    expect((await ledger.accountProfiles([user.accountId])).get(user.accountId)?.freeGrantsHeld).toBe(true)
    const [mail, ...more] = await outbox(suite.db, fresh)
    expect(more).toEqual([])
    expect(mail).toMatchObject({
      kind: 'verify-email',
      subject: 'Verify your email for Easel',
      created_at: T0,
    })
    const token = tokenIn(mail!.text_body)
    expect(mail!.html_body).toContain(`href="${BASE}/verify-email?token=${token}"`)
    expect(
      await suite.db.kysely.selectFrom('account_tokens').selectAll().where('user_id', '=', user.id).execute(),
    ).toEqual([
      {
        token_hash: sha256Hex(token),
        purpose: 'verify-email',
        user_id: user.id,
        email: fresh,
        created_at: T0,
        expires_at: T0 + 24 * HOUR,
        used_at: null,
      },
    ])

    // The known address: nothing changed (its password neither), one notice, no token.
    expect(await accounts.findUserByEmail(known)).toEqual(existing)
    const notices = await outbox(suite.db, known)
    expect(notices.map((m) => [m.kind, m.subject])).toEqual([
      ['sign-up-attempt', 'Someone tried to sign up to Easel with your address'],
    ])
    expect(notices[0]!.text_body).toContain(`${BASE}/forgot-password`)
    expect(notices[0]!.text_body).not.toMatch(/token=/)
    expect(
      await suite.db.kysely
        .selectFrom('account_tokens')
        .select('token_hash')
        .where('user_id', '=', existing.id)
        .execute(),
    ).toEqual([])
    expect((await accounts.signIn({ email: known, password: PASSWORD })).ok).toBe(true)
  })

  it('does the same work for a new and a known address: the same transactions and statements but inserts', async () => {
    const { accounts } = service(suite.db)
    const known = email('known')
    ok(await accounts.createUser({ email: known, password: PASSWORD }))
    // The first request of a process also prunes old counts: out of the way first.
    ok(await signUp(accounts, email('warm-up')))
    const forNew = await recordingSql(suite.db, () => signUp(accounts, email('fresh')))
    const forKnown = await recordingSql(suite.db, () => signUp(accounts, known))
    const isInsert = (s: string) => s.startsWith('insert into')
    // Each: the per-address count (its own transaction), then the sign-up's transaction.
    expect(forNew.filter((s) => s === 'begin')).toHaveLength(2)
    expect(forKnown.filter((s) => s === 'begin')).toHaveLength(2)
    expect(forKnown.filter((s) => !isInsert(s))).toEqual(forNew.filter((s) => !isInsert(s)))
    // Both mail once: the new address its link, the known one its notice.
    expect(forNew.filter((s) => s.startsWith('insert into mail_outbox'))).toHaveLength(1)
    expect(forKnown.filter((s) => s.startsWith('insert into mail_outbox'))).toHaveLength(1)
    expect(forNew.filter(isInsert).map((s) => s.split(' ')[2])).toEqual(
      expect.arrayContaining(['accounts', 'users', 'account_tokens', 'mail_outbox', 'sign_ups']),
    )
  })

  it('a disabled user is answered alike and mailed nothing', async () => {
    const { accounts } = service(suite.db)
    const known = email('disabled')
    const user = ok(await accounts.createUser({ email: known, password: PASSWORD }))
    ok(await accounts.updateUser(user.id, { disabled: true }))
    expect(await signUp(accounts, known)).toEqual({ ok: true, value: undefined })
    expect(await outbox(suite.db, known)).toEqual([])
  })

  it('refuses alike, whatever the address, what it refuses before looking the address up', async () => {
    const { accounts } = service(suite.db)
    const known = email('known')
    ok(await accounts.createUser({ email: known, password: PASSWORD }))
    for (const to of [known, email('fresh')]) {
      expect(refused(await signUp(accounts, to, { password: 'short' }))).toMatchObject({
        code: 'VALIDATION',
        field: 'password',
      })
      expect(refused(await signUp(accounts, to, { inviteCode: 'not-a-code' }))).toMatchObject({
        code: 'INVITE_INVALID',
      })
    }
    expect(refused(await signUp(accounts, 'not an email'))).toMatchObject({ field: 'email' })
    const closed = service(suite.db, { signup: 'closed' }).accounts
    expect(refused(await signUp(closed, known)).code).toBe('SIGNUP_CLOSED')
  })

  it('holds the free credits until the link is opened: then 15 + 50 are owed at once; the link works once', async () => {
    const { accounts, ledger, clock } = service(suite.db)
    const to = email('beta')
    ok(await signUp(accounts, to))
    const row = (await userRow(suite.db, to))!
    expect(ok(await accounts.signIn({ email: to, password: PASSWORD })).user.emailVerified).toBe(false)
    expect((await ledger.balance(row.account_id)).ok && (await ledger.balance(row.account_id))).toMatchObject(
      {
        value: { available: 0 },
      },
    )
    expect((await ledger.hold({ accountId: row.account_id, amount: 1 })).ok).toBe(false)

    clock.advance(10 * MINUTE)
    const token = await verificationToken(suite.db, to)
    expect(ok(await accounts.verifyEmail({ token }))).toEqual({ userId: row.id, email: to })
    expect((await userRow(suite.db, to))!.email_verified_at).toBe(T0 + 10 * MINUTE)
    const balance = await ledger.balance(row.account_id)
    expect(balance).toMatchObject({ ok: true, value: { available: 65 } })
    if (balance.ok) {
      expect(balance.value.owed?.map((o) => [o.source, o.amount])).toEqual([
        ['monthly', 15],
        ['bonus', 50],
      ])
    }
    expect((await accounts.getUser(row.id))?.emailVerified).toBe(true)

    const again = refused(await accounts.verifyEmail({ token }))
    expect(again.code).toBe('TOKEN_INVALID')
    expect(again.message).toMatch(/email verification link is not valid/)
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('a link expires after 24 hours; a new one replaces the old; sending again is limited, and refused once verified', async () => {
    const { accounts, clock } = service(suite.db)
    const to = email('late')
    ok(await signUp(accounts, to))
    const row = (await userRow(suite.db, to))!
    const first = await verificationToken(suite.db, to)
    clock.advance(24 * HOUR)
    expect(refused(await accounts.verifyEmail({ token: first })).code).toBe('TOKEN_INVALID')

    expect(ok(await accounts.resendVerification(row.id, { linkBase: BASE }))).toEqual({ email: to })
    clock.advance(MINUTE)
    ok(await accounts.resendVerification(row.id, { linkBase: BASE }))
    const [second, third] = (await outbox(suite.db, to)).slice(1).map((m) => tokenIn(m.text_body))
    expect(second).not.toBe(third)
    clock.advance(MINUTE)
    ok(await accounts.resendVerification(row.id, { linkBase: BASE }))
    const limited = refused(await accounts.resendVerification(row.id, { linkBase: BASE }))
    expect(limited).toMatchObject({ code: 'THROTTLED', retryAfterSeconds: 3600 - 120 })
    expect(limited.message).toMatch(/sent several times already; try again in 58 minutes/)
    expect(await outbox(suite.db, to)).toHaveLength(4)

    expect(refused(await accounts.verifyEmail({ token: second! })).code).toBe('TOKEN_INVALID')
    const newest = await verificationToken(suite.db, to)
    ok(await accounts.verifyEmail({ token: newest }))
    clock.advance(HOUR)
    expect(refused(await accounts.resendVerification(row.id, { linkBase: BASE }))).toMatchObject({
      code: 'ALREADY_VERIFIED',
    })
  })

  it('refuses tokens that are not ours, a reset token, and a link to an address the account no longer has', async () => {
    const { accounts } = service(suite.db)
    for (const token of ['', 'x', 'A'.repeat(43), "' OR '1'='1", 42, null]) {
      expect(refused(await accounts.verifyEmail({ token: token as string })).code).toBe('TOKEN_INVALID')
    }
    const to = email('mover')
    ok(await signUp(accounts, to))
    const row = (await userRow(suite.db, to))!
    ok(await accounts.requestPasswordReset({ email: to, linkBase: BASE }))
    const reset = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(
      (await outbox(suite.db, to)).find((m) => m.kind === 'password-reset')!.text_body,
    )![1]!
    expect(refused(await accounts.verifyEmail({ token: reset })).code).toBe('TOKEN_INVALID')

    const token = await verificationToken(suite.db, to)
    // The address changes meanwhile (an administrator's doing): the link proved the old one.
    await suite.db.kysely
      .updateTable('users')
      .set({ email: email('elsewhere') })
      .where('id', '=', row.id)
      .execute()
    expect(refused(await accounts.verifyEmail({ token })).code).toBe('TOKEN_INVALID')
    expect((await accounts.getUser(row.id))?.emailVerified).toBe(false)
  })

  it('of two uses of one link at once, exactly one verifies; the credits are granted once', async () => {
    const { accounts, ledger } = service(suite.db)
    const to = email('racer')
    ok(await signUp(accounts, to))
    const token = await verificationToken(suite.db, to)
    const results = await Promise.all([accounts.verifyEmail({ token }), accounts.verifyEmail({ token })])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error.code)).toEqual(['TOKEN_INVALID'])
    const row = (await userRow(suite.db, to))!
    expect(await ledger.balance(row.account_id)).toMatchObject({ ok: true, value: { available: 65 } })
  })

  it('a used reset link, a confirmed change of email and an administrator each verify, releasing the credits', async () => {
    const { accounts, ledger } = service(suite.db)
    const available = async (to: string) => {
      const row = (await userRow(suite.db, to))!
      const b = await ledger.balance(row.account_id)
      return b.ok ? b.value.available : null
    }

    const viaReset = email('reset')
    ok(await signUp(accounts, viaReset))
    ok(await accounts.requestPasswordReset({ email: viaReset, linkBase: BASE }))
    const reset = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(
      (await outbox(suite.db, viaReset)).find((m) => m.kind === 'password-reset')!.text_body,
    )![1]!
    expect(await available(viaReset)).toBe(0)
    ok(await accounts.confirmPasswordReset({ token: reset, password: 'a brand new passphrase' }))
    expect(await available(viaReset)).toBe(65)
    expect((await accounts.findUserByEmail(viaReset))?.emailVerified).toBe(true)

    const viaChange = email('change')
    ok(await signUp(accounts, viaChange))
    const user = (await accounts.findUserByEmail(viaChange))!
    const moved = email('moved')
    ok(await accounts.requestEmailChange(user.id, { email: moved, password: PASSWORD, linkBase: BASE }))
    const confirm = /confirm-email\?token=([A-Za-z0-9_-]+)/.exec(
      (await outbox(suite.db, moved))[0]!.text_body,
    )![1]!
    const pendingLink = await verificationToken(suite.db, viaChange)
    ok(await accounts.confirmEmailChange({ token: confirm }))
    expect(await available(moved)).toBe(65)
    // The verification link to the old address went with it.
    expect(refused(await accounts.verifyEmail({ token: pendingLink })).code).toBe('TOKEN_INVALID')

    const viaAdmin = email('admin')
    ok(await signUp(accounts, viaAdmin))
    const vouched = ok(
      await accounts.updateUser((await accounts.findUserByEmail(viaAdmin))!.id, { emailVerified: true }),
    )
    expect(vouched.emailVerified).toBe(true)
    expect(await available(viaAdmin)).toBe(65)
    expect(refused(await accounts.updateUser(vouched.id, { emailVerified: false }))).toMatchObject({
      code: 'VALIDATION',
      field: 'emailVerified',
    })
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('users made by the owner’s set-up, the CLI or an administrator, and sign-up without mail, are verified with their credits owed', async () => {
    const { accounts, ledger } = service(suite.db)
    const made = [
      ok(await accounts.createUser({ email: email('cli'), password: PASSWORD })),
      ok(await accounts.signUp({ email: email('nomail'), password: PASSWORD, address: address() })),
    ]
    const owner = await accounts.setUpOwner({ email: email('owner'), password: PASSWORD })
    // Another test of this file's database may have set up the owner already.
    if (owner.ok) made.push(owner.value)
    else expect(owner.error.code).toBe('ALREADY_SET_UP')
    for (const user of made) {
      expect(user.emailVerified).toBe(true)
      expect((await userRow(suite.db, user.email))!.email_verified_at).toBe(T0)
      const b = await ledger.balance(user.accountId)
      expect(b.ok && b.value.available).toBeGreaterThanOrEqual(15)
    }
    // EASEL_ADMIN_EMAIL naming someone who signed up and never verified: the operator vouches.
    const named = email('named-owner')
    ok(await signUp(accounts, named))
    expect(ok(await accounts.ensureOwner({ email: named, password: PASSWORD }))).toMatchObject({
      role: 'admin',
      emailVerified: true,
    })
  })

  it('an invite code is used by a new account only; its cohort is joined unless closed', async () => {
    const { accounts } = service(suite.db, { signup: 'invite' })
    const invite = ok(await accounts.createInvite({ cohort: 'friends', maxUses: 2 }))
    const known = email('known')
    ok(await accounts.createUser({ email: known, password: PASSWORD }))
    ok(await signUp(accounts, known, { inviteCode: invite.code }))
    expect((await accounts.listInvites()).find((i) => i.id === invite.id)?.uses).toBe(0)
    const fresh = email('invited')
    ok(await signUp(accounts, fresh, { inviteCode: invite.code }))
    expect((await accounts.listInvites()).find((i) => i.id === invite.id)?.uses).toBe(1)
    expect(await accounts.findUserByEmail(fresh)).toMatchObject({
      emailVerified: false,
      cohorts: ['beta', 'friends'],
    })
  })

  it('at most 3 sign-up mails an hour to one address; past that the same answer, no mail', async () => {
    const { accounts, clock } = service(suite.db)
    const known = email('flooded')
    ok(await accounts.createUser({ email: known, password: PASSWORD }))
    for (let i = 0; i < 5; i++) expect(await signUp(accounts, known)).toEqual({ ok: true, value: undefined })
    expect(await outbox(suite.db, known)).toHaveLength(3)
    clock.advance(HOUR)
    ok(await signUp(accounts, known))
    expect(await outbox(suite.db, known)).toHaveLength(4)
  })

  it('after the beta’s joinUntil, sign-ups (with or without an invite) do not join it; members keep it', async () => {
    const end = T0 + HOUR
    const clock = new ManualClock(T0)
    const { accounts, ledger } = service(suite.db, { clock, book: bookClosingBeta(end) })
    const early = email('early')
    ok(await signUp(accounts, early))
    const invite = ok(await accounts.createInvite({ cohort: 'beta', maxUses: 5 }))
    clock.set(end)
    const late = email('late')
    ok(await signUp(accounts, late))
    const invited = email('invited-late')
    ok(await signUp(accounts, invited, { inviteCode: invite.code }))
    const mailOff = ok(
      await accounts.signUp({ email: email('nomail-late'), password: PASSWORD, address: address() }),
    )
    expect((await accounts.findUserByEmail(early))?.cohorts).toEqual(['beta'])
    expect((await accounts.findUserByEmail(late))?.cohorts).toEqual([])
    expect((await accounts.findUserByEmail(invited))?.cohorts).toEqual([])
    expect(mailOff.cohorts).toEqual([])
    // The early member verifies after the end and still gets the bonus.
    ok(await accounts.verifyEmail({ token: await verificationToken(suite.db, early) }))
    const row = (await userRow(suite.db, early))!
    expect(await ledger.balance(row.account_id)).toMatchObject({ ok: true, value: { available: 65 } })
    ok(await accounts.verifyEmail({ token: await verificationToken(suite.db, late) }))
    const lateRow = (await userRow(suite.db, late))!
    expect(await ledger.balance(lateRow.account_id)).toMatchObject({ ok: true, value: { available: 15 } })
  })
})
