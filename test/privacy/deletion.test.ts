import fs from 'node:fs'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { AccountData, deletedEmail, PERSONAL_TABLES } from '../../src/privacy/index.ts'
import { LocalDiskImageStore } from '../../src/studio/image-stores/local-disk.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { useTestServer } from '../support/server.ts'
import { type History, PRIVACY_ENV, userWithHistory } from './fixture.ts'

// Issue 11, "delete my account", at the service on every backend: what the preview says is lost,
// refusals that change nothing, and after a deletion: no sign-in, no session or key, no image, no
// prompt, the email free again, the journal kept and verified, the reports unchanged.

const DAY = 86_400_000
const T0 = Date.parse('2026-12-03T12:00:00Z')

describe.each(BACKENDS)('deleting an account (%s)', (backend) => {
  const clock = new ManualClock(T0)
  const engine = new ScriptedEngine('scripted')
  const t = useTestServer(backend, { clock, env: PRIVACY_ENV, engines: [engine] })
  const services = () => t.current.server.services
  const data = () => new AccountData(services())
  const store = () => new LocalDiskImageStore(t.current.dataDir)

  /** Everything a refused deletion must leave as it was. */
  async function snapshot(h: History) {
    const kysely = services().db.kysely
    const id = h.user.user.id
    return {
      user: await kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
      sessions: await kysely.selectFrom('sessions').select('id').where('user_id', '=', id).execute(),
      keys: await kysely.selectFrom('api_keys').selectAll().where('user_id', '=', id).execute(),
      jobs: await kysely.selectFrom('jobs').select(['id', 'prompt']).where('user_id', '=', id).execute(),
      images: await kysely
        .selectFrom('images')
        .select('id')
        .where('account_id', '=', h.user.user.accountId)
        .execute(),
      audit: await kysely.selectFrom('audit_log').select('id').where('subject', '=', id).execute(),
    }
  }

  /** The database without its row types: the personal tables are other features'. */
  const untyped = () => services().db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>

  /** A row of the user in each personal table; answers the tables seeded. */
  async function seedPersonalRows(userId: string): Promise<string[]> {
    const now = clock.now()
    const rows: Record<(typeof PERSONAL_TABLES)[number], Record<string, unknown>> = {
      two_factor: { user_id: userId, secret: 'not a real secret', enabled_at: now },
      two_factor_recovery_codes: { user_id: userId, code_hash: `hash-${userId}`, created_at: now },
      notice_preferences: { user_id: userId, expiry_warnings: 1, free_credits: 1, updated_at: now },
      notices_sent: { key: `free:${userId}:${now}`, user_id: userId, kind: 'free-credits', at: now },
    }
    for (const name of PERSONAL_TABLES) await untyped().insertInto(name).values(rows[name]).execute()
    return [...PERSONAL_TABLES]
  }

  it('previews the paid credits lost grant by grant, the free credits, images and jobs', async () => {
    const h = await userWithHistory(t.current)
    const preview = await data().deletionPreview(h.user.user)
    expect(preview).toEqual({
      confirmWord: h.user.email,
      paidCredits: [
        {
          lotId: h.paidLotId,
          credits: 115,
          amount: 115,
          purchasedAt: clock.now(),
          expiresAt: expect.any(Number),
          paidMinor: 1500,
          currency: 'USD',
        },
      ],
      paidCreditsTotal: 115,
      // 7 promotional and the monthly 15, less a credit for each of the two jobs.
      freeCredits: 20,
      images: 4,
      jobs: 2,
      jobsInFlight: 0,
      onlyAdmin: false,
      canDelete: true,
    })
    expect(preview.paidCredits[0]!.expiresAt).toBeGreaterThan(clock.now() + 360 * DAY)
  })

  it('refuses a wrong password, a wrong confirmation and jobs in flight, and changes nothing', async () => {
    const h = await userWithHistory(t.current)
    await services().accounts.createSession(h.user.user.id)
    const before = await snapshot(h)
    const wrongPassword = await data().deleteAccount(h.user.user, {
      password: 'not my password',
      confirm: h.user.email,
    })
    expect(wrongPassword).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'password' } })
    const wrongConfirm = await data().deleteAccount(h.user.user, {
      password: h.user.password,
      confirm: 'someone@example.test',
    })
    expect(wrongConfirm).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'confirm' } })
    expect(!wrongConfirm.ok && wrongConfirm.error.message).toContain(h.user.email)
    const noConfirm = await data().deleteAccount(h.user.user, {
      password: h.user.password,
      confirm: undefined,
    })
    expect(noConfirm).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'confirm' } })
    expect(await snapshot(h)).toEqual(before)

    // A job running holds credits and will make images: the account waits for it.
    let open!: () => void
    engine.gate = new Promise((resolve) => {
      open = resolve
    })
    const running = await services().studio.submit({
      accountId: h.user.user.accountId,
      userId: h.user.user.id,
      kind: 'generate',
      prompt: 'a slow one',
      n: 1,
      size: 256,
    })
    if (!running.ok) throw new Error(running.error.message)
    expect((await data().deletionPreview(h.user.user)).canDelete).toBe(false)
    const whileRunning = await snapshot(h)
    const busy = await data().deleteAccount(h.user.user, { password: h.user.password, confirm: h.user.email })
    expect(busy).toMatchObject({ ok: false, error: { code: 'JOBS_IN_FLIGHT', jobs: 1 } })
    expect(await snapshot(h)).toEqual(whileRunning)
    open()
    engine.gate = null
    expect((await running.value.done).status).toBe('succeeded')
    expect(
      await services().accounts.signIn({ email: h.user.email, password: h.user.password }),
    ).toMatchObject({
      ok: true,
    })
  })

  it('keeps the installation administered: its only administrator cannot delete their account', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const signer = { password: admin.password, confirm: admin.email }
    // The suite's other users are not administrators: this one is the installation's only one.
    const preview = await data().deletionPreview(admin.user)
    expect(preview).toMatchObject({ onlyAdmin: true, canDelete: false })
    expect(await data().deleteAccount(admin.user, signer)).toMatchObject({
      ok: false,
      error: { code: 'ONLY_ADMIN' },
    })
    expect(await services().accounts.getUser(admin.user.id)).toMatchObject({
      email: admin.email,
      disabled: false,
    })

    const second = await t.current.user({ role: 'admin' })
    expect((await data().deletionPreview(admin.user)).canDelete).toBe(true)
    expect(await data().deleteAccount(admin.user, signer)).toMatchObject({ ok: true })
    // Now the second is the only one left.
    expect((await data().deletionPreview(second.user)).onlyAdmin).toBe(true)
  })

  it('erases the person: no sign-in, session, key, link, mail, image or prompt; the email is free; others untouched', async () => {
    const h = await userWithHistory(t.current)
    const other = await userWithHistory(t.current, { jobs: 1 })
    const { accounts, db } = services()
    const session = await accounts.createSession(h.user.user.id)
    const reset = await accounts.requestPasswordReset({ email: h.user.email, linkBase: 'http://easel.test' })
    expect(reset.ok).toBe(true)
    const images = h.jobs.flatMap((j) => j.images)
    for (const image of images) {
      expect(fs.existsSync(store().pathOf(h.user.user.accountId, image.id))).toBe(true)
    }
    // Rows of the person in the tables of two-factor sign-in and mail notices (see PERSONAL_TABLES).
    const personal = await seedPersonalRows(h.user.user.id)
    await seedPersonalRows(other.user.user.id)
    const otherBefore = await snapshot(other)

    const done = await data().deleteAccount(h.user.user, {
      password: h.user.password,
      confirm: ` ${h.user.email.toUpperCase()} `,
    })
    expect(done).toEqual({ ok: true, value: { filesRemoved: 4, filesLeft: 0, paidCreditsLeft: 115 } })

    expect(await accounts.signIn({ email: h.user.email, password: h.user.password })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CREDENTIALS' },
    })
    expect(await accounts.authenticateSession(session.token)).toBeNull()
    expect(await accounts.authenticateApiKey(h.user.apiKey)).toBeNull()
    const row = await db.kysely
      .selectFrom('users')
      .selectAll()
      .where('id', '=', h.user.user.id)
      .executeTakeFirstOrThrow()
    expect(row.email).toBe(deletedEmail(h.user.user.id))
    // The seller keeps the receipt of the sale, without the buyer's address.
    const receipts = await db.kysely
      .selectFrom('receipts')
      .select(['account_id', 'buyer_email'])
      .where('account_id', 'in', [h.user.user.accountId, other.user.user.accountId])
      .execute()
    expect(receipts).toHaveLength(2)
    expect(receipts.find((r) => r.account_id === h.user.user.accountId)?.buyer_email).toBeNull()
    expect(receipts.find((r) => r.account_id === other.user.user.accountId)?.buyer_email).toBe(
      other.user.email,
    )
    expect(row.disabled_at).toBe(clock.now())
    expect(Number(row.deleted_at)).toBe(clock.now())
    // Nobody brings a deleted account back: to an administrator it is no longer there.
    expect(await accounts.updateUser(h.user.user.id, { disabled: false })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    const gone = await snapshot(h)
    expect(gone.sessions).toEqual([])
    expect(gone.keys.every((k) => k.revoked_at !== null && k.name === 'deleted account')).toBe(true)
    expect(gone.images).toEqual([])
    expect(gone.jobs).toHaveLength(2)
    expect(gone.jobs.every((j) => j.prompt === null)).toBe(true)
    for (const image of images) {
      expect(fs.existsSync(store().pathOf(h.user.user.accountId, image.id))).toBe(false)
    }
    const tokens = await db.kysely
      .selectFrom('account_tokens')
      .select('user_id')
      .where('user_id', '=', h.user.user.id)
      .execute()
    expect(tokens).toEqual([])
    const mails = await db.kysely
      .selectFrom('mail_outbox')
      .select('id')
      .where('to_address', '=', h.user.email)
      .execute()
    expect(mails).toEqual([])
    // Nothing identifies the person any more: their email is nowhere in the database's text columns.
    for (const table of [
      'users',
      'audit_log',
      'journal_transactions',
      'lots',
      'mail_outbox',
      'account_tokens',
      'jobs',
    ]) {
      const rows = await db.kysely
        .selectFrom(table as 'users')
        .selectAll()
        .execute()
      expect(JSON.stringify(rows), table).not.toContain(h.user.email)
    }
    for (const table of personal) {
      expect(
        await untyped().selectFrom(table).select('user_id').where('user_id', '=', h.user.user.id).execute(),
        table,
      ).toEqual([])
      expect(
        await untyped()
          .selectFrom(table)
          .select('user_id')
          .where('user_id', '=', other.user.user.id)
          .execute(),
        table,
      ).toHaveLength(1)
    }
    const audit = await db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('subject', '=', h.user.user.id)
      .where('action', '=', 'account.deleted')
      .execute()
    expect(audit).toHaveLength(1)
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ imagesDeleted: 4, paidCreditsLeft: 115 })

    // An administrator's list shows the account by its placeholder, disabled.
    const listed = await accounts.listUsers({ limit: 500 })
    expect(listed.users.find((u) => u.id === h.user.user.id)).toMatchObject({
      email: deletedEmail(h.user.user.id),
      disabled: true,
    })
    // Deleting again finds no account to delete.
    expect(
      await data().deleteAccount(h.user.user, { password: h.user.password, confirm: h.user.email }),
    ).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    // The email can sign up again, as a new person.
    const again = await accounts.signUp({ email: h.user.email, password: 'a brand new passphrase' })
    expect(again.ok && again.value.id).not.toBe(h.user.user.id)

    expect(await snapshot(other)).toEqual(otherBefore)
    for (const image of other.jobs.flatMap((j) => j.images)) {
      expect(fs.existsSync(store().pathOf(other.user.user.accountId, image.id))).toBe(true)
    }
  })

  it('keeps the journal: the ledger verifies, reports are unchanged, and unspent paid credits expire as breakage', async () => {
    const h = await userWithHistory(t.current)
    const { ledger } = services()
    const range = { from: T0 - DAY, to: T0 + 800 * DAY }
    const account = h.user.user.accountId
    const reportBefore = await ledger.report({ ...range, accountId: account })
    const allBefore = await ledger.report(range)
    expect(
      (await data().deleteAccount(h.user.user, { password: h.user.password, confirm: h.user.email })).ok,
    ).toBe(true)

    const verified = await ledger.verify()
    expect(verified.violations).toEqual([])
    expect(verified.ok).toBe(true)
    expect(await ledger.report({ ...range, accountId: account })).toEqual(reportBefore)
    expect(await ledger.report(range)).toEqual(allBefore)

    // A year and a month on, the sweep records the unspent pack as expired: breakage, on the record.
    clock.advance(400 * DAY)
    await ledger.expireDue()
    const later = await ledger.report({ ...range, accountId: account })
    if (!later.ok) throw new Error(later.error.message)
    expect(later.value.bySource.purchase).toEqual({ granted: 115, consumed: 0, expired: 115, refunded: 0 })
    expect(later.value.byCurrency.find((l) => l.currency === 'USD')?.breakage.shown()).toBe('1500.00')
    const { granted, consumed, expired, refunded } = later.value.total
    const balance = await ledger.balance(account)
    if (!balance.ok) throw new Error(balance.error.message)
    const onHand = balance.value.lots.reduce((sum, l) => sum + l.remaining, 0) + balance.value.held
    expect(granted).toBe(consumed + expired + refunded + onHand)
    expect((await ledger.verify()).ok).toBe(true)
  })
})
