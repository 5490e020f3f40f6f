import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Accounts, listAudit } from '../../src/accounts/index.ts'
import { totpCode, totpStep } from '../../src/accounts/totp.ts'
import { run } from '../../src/cli/main.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'

// `easel users reset-two-factor`: the operator's way back in for someone who lost the phone with
// their authenticator app (issue 11), on every backend.

const PASSWORD = 'correct horse battery'
const email = (name: string) => `${name}-${randomBytes(5).toString('hex')}@example.com`

/** Runs the CLI in-process against `env`; collects what it prints. */
async function easel(env: Record<string, string>, clock: ManualClock, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const stopSignal = new Promise<void>(() => {})
  const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l), stopSignal })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe.each(BACKENDS)('easel users reset-two-factor on %s', (backend) => {
  let testDb: TestDatabase
  let db: Database
  let accounts: Accounts
  let env: Record<string, string>
  let dataDir: string
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 12, 0, 10))

  beforeAll(async () => {
    testDb = await createTestDatabase(backend)
    db = await testDb.open()
    accounts = new Accounts(db, new Ledger(db, { clock, pricing: staticPricing(LABS_2022) }), { clock })
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-cli-'))
    const c = testDb.config
    env = { EASEL_DATA_DIR: dataDir, DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}` }
  })
  afterAll(async () => {
    await db.close()
    await testDb.destroy()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  /** An administrator with two-factor sign-in on, signed in on two devices. */
  async function adminWithTwoFactor() {
    const address = email('admin')
    const created = await accounts.createUser({ email: address, password: PASSWORD, role: 'admin' })
    if (!created.ok) throw new Error(created.error.message)
    const user = created.value
    const setup = await accounts.twoFactor.setUp(user.id, { password: PASSWORD })
    if (!setup.ok) throw new Error(setup.error.message)
    const code = (steps = 0) => totpCode(setup.value.secret, totpStep(clock.now()) + steps)
    const enabled = await accounts.twoFactor.enable(user.id, { code: code() })
    if (!enabled.ok) throw new Error(enabled.error.message)
    // Two steps on: the enable's code is spent; the two sign-ins use the next two.
    clock.advance(60_000)
    expect((await accounts.signIn({ email: address, password: PASSWORD, code: code(-1) })).ok).toBe(true)
    expect((await accounts.signIn({ email: address, password: PASSWORD, code: code() })).ok).toBe(true)
    return { user, email: address }
  }

  it('turns it off, deletes the recovery codes, signs out everywhere and records who and why', async () => {
    const admin = await adminWithTwoFactor()
    const r = await easel(
      env,
      clock,
      'users',
      'reset-two-factor',
      admin.email,
      '--reason',
      'lost phone, ticket 7',
    )
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toBe(
      `Turned off two-factor sign-in for ${admin.email} and deleted their recovery codes; signed out 2 sessions.`,
    )
    expect(await accounts.twoFactor.status(admin.user.id)).toEqual({
      ok: true,
      value: { enabled: false, enabledAt: null, recoveryCodesLeft: 0, canDisable: false },
    })
    const left = await db.kysely
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', admin.user.id)
      .execute()
    expect(left).toEqual([])
    const { entries } = await listAudit(db, { action: 'user.two-factor-reset', subject: admin.user.id })
    expect(entries).toEqual([
      expect.objectContaining({ actorLabel: 'cli', actorUserId: null, reason: 'lost phone, ticket 7' }),
    ])
    const mail = await db.kysely
      .selectFrom('mail_outbox')
      .select('kind')
      .where('to_address', '=', admin.email)
      .orderBy('id')
      .execute()
    expect(mail.map((m) => m.kind)).toEqual(['two-factor-on', 'two-factor-reset'])
    // The password alone signs in again.
    expect((await accounts.signIn({ email: admin.email, password: PASSWORD })).ok).toBe(true)

    // Again: nothing to reset, said so (exit 1), nothing recorded.
    const again = await easel(
      env,
      clock,
      'users',
      'reset-two-factor',
      admin.email,
      '--reason',
      'twice',
      '--json',
    )
    expect(again.code).toBe(1)
    expect(JSON.parse(again.out)).toMatchObject({ error: { code: 'TWO_FACTOR_NOT_ENABLED' } })
    expect((await listAudit(db, { subject: admin.user.id })).entries).toHaveLength(1)
  })

  it('refuses without an email or a reason, and for an unknown email', async () => {
    const admin = await adminWithTwoFactor()
    const usage: Array<[string[], RegExp]> = [
      [['users', 'reset-two-factor'], /give the email of the user/],
      [['users', 'reset-two-factor', '--reason', 'x'], /give the email of the user/],
      [['users', 'reset-two-factor', admin.email], /--reason is required/],
      [['users', 'reset-two-factor', admin.email, '--reason', '  '], /--reason is required/],
      [['users', 'reset-two-factor', admin.email, '--reason', 'x', '--force'], /--force/],
    ]
    for (const [argv, message] of usage) {
      const r = await easel(env, clock, ...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(message)
    }
    const unknown = await easel(env, clock, 'users', 'reset-two-factor', email('nobody'), '--reason', 'x')
    expect(unknown).toMatchObject({ code: 1, err: expect.stringMatching(/no user with email/) })
    const status = await accounts.twoFactor.status(admin.user.id)
    expect(status.ok && status.value.enabled).toBe(true)
    const help = await easel(env, clock, 'users', 'help')
    expect(help.out).toContain('reset-two-factor <email> --reason TEXT')
  })
})
