import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Accounts } from '../../src/accounts/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { easel, useCliDatabase } from './cli-support.ts'

const email = (name: string) => `${name}-${randomBytes(5).toString('hex')}@example.com`
const PASSWORD = 'correct horse battery'

describe.each(BACKENDS)('easel users, keys and invites on %s', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12))
  const cli = useCliDatabase(backend, clock)

  async function newUser(...flags: string[]) {
    const address = email('cli')
    const r = await easel(
      cli.env,
      clock,
      'users',
      'create',
      '--email',
      address,
      '--password',
      PASSWORD,
      ...flags,
      '--json',
    )
    expect(r.code, r.err).toBe(0)
    return JSON.parse(r.out) as {
      id: string
      email: string
      accountId: string
      role: string
      cohorts: string[]
    }
  }

  it('users create makes a user with a credit account, in a cohort and on a plan; refuses a taken email', async () => {
    const user = await newUser('--admin', '--cohort', 'beta', '--plan', 'pro')
    expect(user).toMatchObject({ role: 'admin', cohorts: ['beta'], plan: 'pro', disabled: false })
    expect(await cli.accounts.getUser(user.id)).toEqual(user)

    const human = await easel(
      cli.env,
      clock,
      'users',
      'create',
      '--email',
      email('human'),
      '--password',
      PASSWORD,
    )
    expect(human.code).toBe(0)
    expect(human.out).toMatch(
      /^Created user user_\S+ human-\S+@example.com \(user\): account acct_\S+, plan free$/,
    )

    const again = await easel(
      cli.env,
      clock,
      'users',
      'create',
      '--email',
      user.email,
      '--password',
      PASSWORD,
    )
    expect(again).toMatchObject({ code: 1, err: 'easel: a user with this email already exists' })
    const bad: Array<[string[], RegExp]> = [
      [['users', 'create', '--email', 'nope', '--password', PASSWORD], /easel: email: must be an address/],
      [
        ['users', 'create', '--email', email('x'), '--password', 'short'],
        /easel: password: must be at least 10 characters/,
      ],
      [
        ['users', 'create', '--email', email('x'), '--password', 'password123'],
        /easel: password: is one of the 10,000 most common passwords/,
      ],
      [
        ['users', 'create', '--email', email('x'), '--password', PASSWORD, '--cohort', 'Beta'],
        /easel: cohorts:/,
      ],
      [['users', 'create', '--password', PASSWORD], /--email is required/],
      [['users', 'frob'], /unknown command "users frob"/],
    ]
    for (const [argv, message] of bad) {
      const r = await easel(cli.env, clock, ...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(message)
    }
  })

  it('users list shows every user; users set changes role, plan, cohorts and disabled state', async () => {
    const user = await newUser()
    const list = await easel(cli.env, clock, 'users', 'list', '--json')
    expect(list.code).toBe(0)
    expect(JSON.parse(list.out)).toContainEqual(user)
    const table = await easel(cli.env, clock, 'users', 'list')
    expect(table.lines[0]).toMatch(/^ID\s+EMAIL\s+ROLE\s+PLAN\s+COHORTS\s+CREATED\s+STATUS$/)
    expect(table.out).toContain(user.email)

    const set = await easel(
      cli.env,
      clock,
      'users',
      'set',
      '--email',
      user.email.toUpperCase(),
      '--role',
      'admin',
      '--plan',
      'pro',
      '--cohorts',
      'beta, early',
      '--disable',
      '--json',
    )
    expect(set.code, set.err).toBe(0)
    expect(JSON.parse(set.out)).toMatchObject({
      role: 'admin',
      plan: 'pro',
      cohorts: ['beta', 'early'],
      disabled: true,
    })
    const enabled = await easel(
      cli.env,
      clock,
      'users',
      'set',
      '--email',
      user.email,
      '--enable',
      '--cohorts',
      '',
    )
    expect(enabled.code).toBe(0)
    expect(await cli.accounts.getUser(user.id)).toMatchObject({ disabled: false, cohorts: [] })

    expect(
      await easel(cli.env, clock, 'users', 'set', '--email', user.email, '--disable', '--enable'),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('give --disable or --enable, not both'),
    })
    expect(
      await easel(cli.env, clock, 'users', 'set', '--email', user.email, '--role', 'root'),
    ).toMatchObject({
      code: 2,
    })
    expect(await easel(cli.env, clock, 'users', 'set', '--email', user.email)).toMatchObject({
      code: 2,
      err: expect.stringContaining('nothing to change'),
    })
    expect(await easel(cli.env, clock, 'users', 'set', '--email', email('ghost'), '--enable')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^easel: no user with email ghost-/),
    })
  })

  it('users made here are verified; users set --verified vouches for someone who signed up with mail, releasing their free credits', async () => {
    const made = await newUser()
    expect(made).toMatchObject({ emailVerified: true })
    const ledger = new Ledger(cli.db, { clock, pricing: staticPricing(LABS_2022) })
    const to = email('signed-up')
    const signedUp = await cli.accounts.signUpByMail({
      email: to,
      password: PASSWORD,
      linkBase: 'https://easel.example',
    })
    expect(signedUp.ok).toBe(true)
    const user = (await cli.accounts.findUserByEmail(to))!
    expect(user.emailVerified).toBe(false)
    const table = await easel(cli.env, clock, 'users', 'list')
    expect(table.lines.find((l) => l.includes(to))).toMatch(/\sunverified$/)
    expect((await ledger.balance(user.accountId)).ok && (await ledger.balance(user.accountId))).toMatchObject(
      {
        value: { available: 0 },
      },
    )
    const set = await easel(cli.env, clock, 'users', 'set', '--email', to, '--verified')
    expect(set.code, set.err).toBe(0)
    expect(set.out).toMatch(
      /^Updated user user_\S+ signed-up-\S+ \(user\): account acct_\S+, plan free, cohorts beta$/,
    )
    expect(await ledger.balance(user.accountId)).toMatchObject({ ok: true, value: { available: 65 } })
    expect((await easel(cli.env, clock, 'ledger', 'verify')).code).toBe(0)
  })

  it('keys create prints the key alone on the last line; it authenticates, lists by prefix and revokes', async () => {
    const user = await newUser()
    const created = await easel(
      cli.env,
      clock,
      'keys',
      'create',
      '--email',
      user.email,
      '--name',
      'ci',
      '--expires',
      '30d',
    )
    expect(created.code, created.err).toBe(0)
    const secret = created.lines[created.lines.length - 1]!
    expect(secret).toMatch(/^easel_sk_[A-Za-z0-9_-]{43}$/)
    expect(created.lines[created.lines.length - 2]).toMatch(/shown this once/)
    expect(created.lines.slice(0, -1).join('\n')).not.toContain(secret)

    const found = await cli.accounts.authenticateApiKey(secret)
    expect(found?.user.id).toBe(user.id)
    expect(found?.key).toMatchObject({
      name: 'ci',
      prefix: secret.slice(0, 16),
      expiresAt: clock.now() + 30 * 86_400_000,
    })

    const listed = await easel(cli.env, clock, 'keys', 'list', '--email', user.email, '--json')
    expect(listed.code).toBe(0)
    expect(listed.out).not.toContain(secret)
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ id: found!.key.id, prefix: secret.slice(0, 16) }),
    ])
    const human = await easel(cli.env, clock, 'keys', 'list')
    expect(human.out).toMatch(new RegExp(`${found!.key.id}\\s+${secret.slice(0, 16)}\\s+ci\\s+${user.email}`))

    const revoked = await easel(cli.env, clock, 'keys', 'revoke', '--prefix', secret.slice(0, 16))
    expect(revoked.code, revoked.err).toBe(0)
    expect(revoked.out).toContain(`Revoked API key ${found!.key.id}`)
    expect(await cli.accounts.authenticateApiKey(secret)).toBeNull()
    expect((await easel(cli.env, clock, 'keys', 'list', '--email', user.email)).out).toMatch(/revoked/)

    const second = await easel(cli.env, clock, 'keys', 'create', '--email', user.email, '--json')
    const { key, secret: other } = JSON.parse(second.out)
    expect(await cli.accounts.authenticateApiKey(other)).not.toBeNull()
    expect((await easel(cli.env, clock, 'keys', 'revoke', '--id', key.id)).code).toBe(0)
    expect(await cli.accounts.authenticateApiKey(other)).toBeNull()

    expect(await easel(cli.env, clock, 'keys', 'revoke', '--id', 'key_nothing')).toMatchObject({
      code: 1,
      err: 'easel: no API key key_nothing',
    })
    expect(await easel(cli.env, clock, 'keys', 'revoke', '--prefix', 'easel_sk_nothing')).toMatchObject({
      code: 1,
    })
    expect(await easel(cli.env, clock, 'keys', 'revoke')).toMatchObject({ code: 2 })
    expect(await easel(cli.env, clock, 'keys', 'revoke', '--id', key.id, '--prefix', 'x')).toMatchObject({
      code: 2,
    })
    expect(await easel(cli.env, clock, 'keys', 'create', '--email', email('ghost'))).toMatchObject({
      code: 1,
    })
    expect(
      await easel(cli.env, clock, 'keys', 'create', '--email', user.email, '--expires', 'soon'),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('--expires must be a duration'),
    })
  })

  it('invites create prints the code alone on the last line; it admits its users to the cohort', async () => {
    const r = await easel(
      cli.env,
      clock,
      'invites',
      'create',
      '--cohort',
      'beta',
      '--uses',
      '2',
      '--expires',
      '7d',
    )
    expect(r.code, r.err).toBe(0)
    const code = r.lines[r.lines.length - 1]!
    expect(code).toMatch(/^[0-9a-z]{20}$/)
    expect(r.out).toContain('2 uses, cohort beta, expires 2026-12-02 12:00 UTC')
    const invited = new Accounts(cli.db, cli.accounts.ledger, { clock, signup: 'invite' })
    const user = await invited.signUp({ email: email('invited'), password: PASSWORD, inviteCode: code })
    expect(user).toMatchObject({ ok: true, value: { cohorts: ['beta'] } })
    const list = JSON.parse((await easel(cli.env, clock, 'invites', 'list', '--json')).out)
    expect(list).toContainEqual(expect.objectContaining({ cohort: 'beta', uses: 1, maxUses: 2 }))
    expect(await easel(cli.env, clock, 'invites', 'create', '--uses', '0')).toMatchObject({ code: 2 })
    expect(await easel(cli.env, clock, 'invites', 'create', '--uses', 'many')).toMatchObject({ code: 2 })
  })

  it('credits commands take --email for --account: a beta user holds 65 credits', async () => {
    const user = await newUser('--cohort', 'beta')
    const balance = await easel(cli.env, clock, 'credits', 'balance', '--email', user.email, '--json')
    expect(balance.code, balance.err).toBe(0)
    expect(JSON.parse(balance.out)).toMatchObject({ accountId: user.accountId, available: 65 })

    const grant = await easel(
      cli.env,
      clock,
      'credits',
      'grant',
      '--email',
      user.email,
      '--amount',
      '5',
      '--source',
      'promotional',
    )
    expect(grant.code, grant.err).toBe(0)
    const hold = await easel(
      cli.env,
      clock,
      'credits',
      'hold',
      '--email',
      user.email,
      '--amount',
      '2',
      '--json',
    )
    expect(JSON.parse(hold.out)).toMatchObject({ accountId: user.accountId, amount: 2 })
    const history = await easel(cli.env, clock, 'credits', 'history', '--email', user.email, '--json')
    expect(JSON.parse(history.out).entries).toHaveLength(4)

    const unknown = await easel(cli.env, clock, 'credits', 'balance', '--email', 'nobody@example.com')
    expect(unknown).toMatchObject({ code: 1, err: 'easel: no user with email nobody@example.com' })
    const both = await easel(
      cli.env,
      clock,
      'credits',
      'balance',
      '--email',
      user.email,
      '--account',
      user.accountId,
    )
    expect(both).toMatchObject({
      code: 2,
      err: expect.stringContaining('give --account or --email, not both'),
    })
    const neither = await easel(cli.env, clock, 'credits', 'balance')
    expect(neither).toMatchObject({ code: 2, err: expect.stringContaining('--account is required') })
  })

  it('lists the new commands in the usage', async () => {
    const r = await easel(cli.env, clock, 'help')
    expect(r.out).toMatch(/users <command>/)
    expect(r.out).toMatch(/keys <command>/)
    expect(r.out).toMatch(/invites <command>/)
  })
})
