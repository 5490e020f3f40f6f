import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { listAudit } from '../../src/accounts/index.ts'
import { totpCode, totpStep } from '../../src/accounts/totp.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { easel, useCliDatabase } from './cli-support.ts'

// `easel users reset-two-factor`: the operator's way back in for someone who lost the phone with
// their authenticator app (issue 11), on every backend.

const PASSWORD = 'correct horse battery'
const email = (name: string) => `${name}-${randomBytes(5).toString('hex')}@example.com`

describe.each(BACKENDS)('easel users reset-two-factor on %s', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 12, 0, 10))
  const cli = useCliDatabase(backend, clock)

  /** An administrator with two-factor sign-in on, signed in on two devices. */
  async function adminWithTwoFactor() {
    const address = email('admin')
    const created = await cli.accounts.createUser({ email: address, password: PASSWORD, role: 'admin' })
    if (!created.ok) throw new Error(created.error.message)
    const user = created.value
    const setup = await cli.accounts.twoFactor.setUp(user.id, { password: PASSWORD })
    if (!setup.ok) throw new Error(setup.error.message)
    const code = (steps = 0) => totpCode(setup.value.secret, totpStep(clock.now()) + steps)
    const enabled = await cli.accounts.twoFactor.enable(user.id, { code: code() })
    if (!enabled.ok) throw new Error(enabled.error.message)
    // Two steps on: the enable's code is spent; the two sign-ins use the next two.
    clock.advance(60_000)
    expect((await cli.accounts.signIn({ email: address, password: PASSWORD, code: code(-1) })).ok).toBe(true)
    expect((await cli.accounts.signIn({ email: address, password: PASSWORD, code: code() })).ok).toBe(true)
    return { user, email: address }
  }

  it('turns it off, deletes the recovery codes, signs out everywhere and records who and why', async () => {
    const admin = await adminWithTwoFactor()
    const r = await easel(
      cli.env,
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
    expect(await cli.accounts.twoFactor.status(admin.user.id)).toEqual({
      ok: true,
      value: { enabled: false, enabledAt: null, recoveryCodesLeft: 0, canDisable: false },
    })
    const left = await cli.db.kysely
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', admin.user.id)
      .execute()
    expect(left).toEqual([])
    const { entries } = await listAudit(cli.db, { action: 'user.two-factor-reset', subject: admin.user.id })
    expect(entries).toEqual([
      expect.objectContaining({ actorLabel: 'cli', actorUserId: null, reason: 'lost phone, ticket 7' }),
    ])
    const mail = await cli.db.kysely
      .selectFrom('mail_outbox')
      .select('kind')
      .where('to_address', '=', admin.email)
      .orderBy('id')
      .execute()
    expect(mail.map((m) => m.kind)).toEqual(['two-factor-on', 'two-factor-reset'])
    // The password alone signs in again.
    expect((await cli.accounts.signIn({ email: admin.email, password: PASSWORD })).ok).toBe(true)

    // Again: nothing to reset, said so (exit 1), nothing recorded.
    const again = await easel(
      cli.env,
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
    expect((await listAudit(cli.db, { subject: admin.user.id })).entries).toHaveLength(1)
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
      const r = await easel(cli.env, clock, ...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(message)
    }
    const unknown = await easel(cli.env, clock, 'users', 'reset-two-factor', email('nobody'), '--reason', 'x')
    expect(unknown).toMatchObject({ code: 1, err: expect.stringMatching(/no user with email/) })
    const status = await cli.accounts.twoFactor.status(admin.user.id)
    expect(status.ok && status.value.enabled).toBe(true)
    const help = await easel(cli.env, clock, 'users', 'help')
    expect(help.out).toContain('reset-two-factor <email> --reason TEXT')
  })
})
