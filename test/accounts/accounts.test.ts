import { randomBytes } from 'node:crypto'
import { parseOptions } from '@node-rs/argon2'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError, type SignupPolicy, type User } from '../../src/accounts/index.ts'
import { DUMMY_HASH, hashPassword } from '../../src/accounts/passwords.ts'
import { insertUser, type NewUser } from '../../src/accounts/sign-up.ts'
import { sha256Hex } from '../../src/accounts/tokens.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, useTestDatabase } from '../support/backends.ts'
import { unwrap as unwrapCredit } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)
const DAY = 86_400_000
const PASSWORD = 'correct horse battery'

function ok<T>(result: Result<T, AccountsError>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result.value
}

function refused<T>(result: Result<T, AccountsError>): AccountsError {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`)
  return result.error
}

/** An email no other test uses. */
const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`

function service(db: Database, options: { signup?: SignupPolicy; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock(T0)
  const ledger = new Ledger(db, { clock, pricing: staticPricing(LABS_2022) })
  const accounts = new Accounts(db, ledger, { clock, ...(options.signup ? { signup: options.signup } : {}) })
  return { clock, ledger, accounts }
}

/** Rows in the tables a refused request must leave alone. */
async function counts(db: Database) {
  const k = db.kysely
  const n = async (table: 'users' | 'accounts' | 'sessions' | 'api_keys' | 'invites' | 'settings') =>
    Number(
      (
        await k
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const uses = await k
    .selectFrom('invites')
    .select((eb) => eb.fn.sum<number>('uses').as('n'))
    .executeTakeFirst()
  return {
    users: await n('users'),
    accounts: await n('accounts'),
    sessions: await n('sessions'),
    apiKeys: await n('api_keys'),
    invites: await n('invites'),
    inviteUses: Number(uses?.n ?? 0),
  }
}

/** Credit accounts made for users that do not exist (what a half-done sign-up would leave). */
async function orphanAccounts(db: Database): Promise<number> {
  const rows = await db.kysely
    .selectFrom('accounts')
    .leftJoin('users', 'users.account_id', 'accounts.id')
    .select('accounts.id')
    .where('accounts.reference', 'like', 'user_%')
    .where('users.id', 'is', null)
    .execute()
  return rows.length
}

/**
 * Runs `fn` while another transaction, on its own connection, has created a user with `email` and
 * not committed yet; commits it once `fn`'s request waits on that transaction's locks (PostgreSQL:
 * seen in pg_stat_activity, polled; no sleeping). `fn`'s request has then passed every check that
 * reads, and must lose the race on the insert itself.
 */
async function whileUncommitted<T>(
  db: Database,
  user: Omit<NewUser, 'passwordHash'>,
  fn: () => Promise<T>,
): Promise<T> {
  const session = await db.writePool.acquire()
  try {
    await session.begin()
    // The account as the ledger writes it, then the user's rows as sign-up composes them with it.
    const account = {
      accountId: `acct_${user.id}`,
      createdAt: user.createdAt,
      reference: user.id,
      plan: 'free',
      cohorts: [],
      freeGrantsHeld: false,
    }
    await session.tx.run(
      'insert into accounts (id, created_at, reference, available, held, plan, free_grants_from) values (?, ?, ?, 0, 0, ?, ?)',
      [account.accountId, account.createdAt, account.reference, account.plan, account.createdAt],
    )
    await insertUser(session.tx, { ...user, passwordHash: DUMMY_HASH }, account, null)
    const pending = fn()
    for (;;) {
      const [row] = await session.tx.all<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      )
      if (row!.n > 0) break
      await new Promise((resolve) => setImmediate(resolve))
    }
    await session.commit()
    return await pending
  } finally {
    session.release()
  }
}

describe('passwords (pure)', () => {
  it('hashes with argon2id at the parameters the dummy hash was made with', async () => {
    const hash = await hashPassword(PASSWORD)
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    // Sign-in verifies unknown emails against the dummy hash: it must cost what a real one costs.
    const { saltLen: _a, ...real } = parseOptions(hash)
    const { saltLen: _b, ...dummy } = parseOptions(DUMMY_HASH)
    expect(dummy).toEqual(real)
  })
})

describe.each(BACKENDS)('accounts on %s', (backend) => {
  const suite = useTestDatabase(backend)

  describe('users and passwords', () => {
    it('stores an argon2id hash of the password, never the password, and a lower-cased email', async () => {
      const { accounts } = service(suite.db)
      const address = email('Hash')
      const user = ok(await accounts.createUser({ email: `  ${address.toUpperCase()} `, password: PASSWORD }))
      expect(user).toMatchObject({
        email: address.toLowerCase(),
        role: 'user',
        disabled: false,
        plan: 'free',
      })
      expect(user.id).toMatch(/^user_/)
      expect(user.accountId).toMatch(/^acct_/)
      const row = await suite.db.kysely
        .selectFrom('users')
        .selectAll()
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow()
      expect(row.password_hash).toMatch(/^\$argon2id\$/)
      expect(row.password_hash).not.toContain(PASSWORD)
      expect(JSON.stringify(row)).not.toContain(PASSWORD)
      // The personal credit account points back at its user.
      const account = await suite.db.kysely
        .selectFrom('accounts')
        .select('reference')
        .where('id', '=', user.accountId)
        .executeTakeFirstOrThrow()
      expect(account.reference).toBe(user.id)
      expect(await accounts.getUser(user.id)).toEqual(user)
      expect(await accounts.findUserByEmail(address.toUpperCase())).toEqual(user)
    })

    it('signs in with the right password only; unknown email, wrong password and disabled user look alike', async () => {
      const { accounts } = service(suite.db)
      const address = email('signin')
      const user = ok(await accounts.createUser({ email: address, password: PASSWORD }))

      const signedIn = ok(await accounts.signIn({ email: ` ${address.toUpperCase()}`, password: PASSWORD }))
      expect(signedIn.user).toEqual(user)
      expect(signedIn.session.token).toMatch(/^[A-Za-z0-9_-]{43}$/)

      const wrong = refused(await accounts.signIn({ email: address, password: `${PASSWORD}!` }))
      const unknown = refused(await accounts.signIn({ email: email('nobody'), password: PASSWORD }))
      const malformed = refused(await accounts.signIn({ email: 'not an email', password: PASSWORD }))
      ok(await accounts.updateUser(user.id, { disabled: true }))
      const disabled = refused(await accounts.signIn({ email: address, password: PASSWORD }))
      for (const e of [wrong, unknown, malformed, disabled]) {
        expect(e).toEqual({ code: 'INVALID_CREDENTIALS', message: 'wrong email or password' })
      }
      ok(await accounts.updateUser(user.id, { disabled: false }))
      expect((await accounts.signIn({ email: address, password: PASSWORD })).ok).toBe(true)
    })

    it('refuses bad input with VALIDATION naming the field, writing nothing', async () => {
      const { accounts } = service(suite.db)
      const before = await counts(suite.db)
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ email: '', password: PASSWORD }, 'email'],
        [{ email: 'no-at-sign', password: PASSWORD }, 'email'],
        [{ email: 'ada@localhost', password: PASSWORD }, 'email'],
        [{ email: 'ada@example.c', password: PASSWORD }, 'email'],
        [{ email: 'a da@example.com', password: PASSWORD }, 'email'],
        [{ email: 'ada@@example.com', password: PASSWORD }, 'email'],
        [{ email: `${'a'.repeat(250)}@example.com`, password: PASSWORD }, 'email'],
        [{ email: email(), password: 'short12' }, 'password'],
        [{ email: email(), password: 'x'.repeat(201) }, 'password'],
        [{ email: email(), password: 12345678 }, 'password'],
        [{ email: email(), password: PASSWORD, role: 'root' }, 'role'],
        [{ email: email(), password: PASSWORD, cohorts: ['Beta'] }, 'cohorts'],
        [{ email: email(), password: PASSWORD, plan: 'Pro Plan' }, 'plan'],
      ]
      for (const [input, field] of cases) {
        const e = refused(await accounts.createUser(input as never))
        expect(e, JSON.stringify(input)).toMatchObject({ code: 'VALIDATION', field })
        expect(e.message.startsWith(`${field}: `)).toBe(true)
      }
      const signUp = refused(await accounts.signUp({ email: 'nope', password: PASSWORD }))
      expect(signUp).toMatchObject({ code: 'VALIDATION', field: 'email' })
      expect(refused(await accounts.signUp({ email: email(), password: '1234567' }))).toMatchObject({
        code: 'VALIDATION',
        field: 'password',
      })
      expect(await counts(suite.db)).toEqual(before)
      // 10 and 200 characters are both fine (counted as characters, not bytes).
      ok(await accounts.createUser({ email: email(), password: 'kq7-vz2-pm' }))
      ok(await accounts.createUser({ email: email(), password: 'éà'.repeat(100) }))
    })

    it('refuses a taken email, leaving no credit account behind', async () => {
      const { accounts } = service(suite.db)
      const address = email('taken')
      ok(await accounts.createUser({ email: address, password: PASSWORD }))
      const before = await counts(suite.db)
      expect(
        refused(await accounts.createUser({ email: address.toUpperCase(), password: PASSWORD })),
      ).toMatchObject({
        code: 'EMAIL_TAKEN',
      })
      expect(refused(await accounts.signUp({ email: address, password: PASSWORD }))).toMatchObject({
        code: 'EMAIL_TAKEN',
      })
      expect(await counts(suite.db)).toEqual(before)
    })

    it('creates exactly one user when the same email signs up at once from two processes', async () => {
      const other = await suite.testDb.open()
      try {
        const a = service(suite.db).accounts
        const b = service(other).accounts
        const address = email('race')
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).signUp({ email: address, password: PASSWORD })),
        )
        expect(results.filter((r) => r.ok)).toHaveLength(1)
        for (const r of results.filter((r) => !r.ok)) expect(refused(r).code).toBe('EMAIL_TAKEN')
        expect(await orphanAccounts(suite.db)).toBe(0)
      } finally {
        await other.close()
      }
    })

    it.runIf(backend === 'postgres')(
      'rolls back a sign-up that loses the email race on the insert: no account, no invite use',
      async () => {
        const other = await suite.testDb.open()
        try {
          const b = service(other, { signup: 'invite' }).accounts
          const invite = ok(await b.createInvite({ maxUses: 5 }))
          const address = email('lost')
          const before = await counts(suite.db)
          const lost = await whileUncommitted(
            suite.db,
            { id: 'user_winner', email: address, role: 'user', cohorts: [], createdAt: T0 },
            () => b.signUp({ email: address, password: PASSWORD, inviteCode: invite.code }),
          )
          expect(refused(lost).code).toBe('EMAIL_TAKEN')
          const after = await counts(suite.db)
          expect(after.users - before.users).toBe(1)
          expect(after.accounts - before.accounts).toBe(1)
          expect(after.inviteUses).toBe(before.inviteUses)
          expect(await orphanAccounts(suite.db)).toBe(0)
        } finally {
          await other.close()
        }
      },
    )

    it('lists users a page at a time, in the order they were created', async () => {
      const { accounts } = service(suite.db)
      const made: User[] = []
      for (let i = 0; i < 3; i++)
        made.push(ok(await accounts.createUser({ email: email('page'), password: PASSWORD })))
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page: Awaited<ReturnType<typeof accounts.listUsers>> = await accounts.listUsers({
          limit: 2,
          ...(cursor ? { cursor } : {}),
        })
        expect(page.users.length).toBeLessThanOrEqual(2)
        seen.push(...page.users.map((u) => u.id))
        cursor = page.nextCursor
        pages++
      } while (cursor !== null)
      expect(seen).toEqual([...seen].sort())
      expect(new Set(seen).size).toBe(seen.length)
      for (const u of made) expect(seen).toContain(u.id)
      expect(pages).toBeGreaterThanOrEqual(2)
      const all = await accounts.listUsers({ limit: 500 })
      expect(all.users.find((u) => u.id === made[0]!.id)).toEqual(made[0])
    })

    it('updates role, plan and cohorts; a cohort joined later brings its bonus on the next activity', async () => {
      const { accounts, ledger } = service(suite.db)
      const user = ok(await accounts.createUser({ email: email('update'), password: PASSWORD }))
      expect(unwrapCredit(await ledger.balance(user.accountId)).available).toBe(15)
      const updated = ok(
        await accounts.updateUser(user.id, { role: 'admin', plan: 'pro', cohorts: ['beta', 'early'] }),
      )
      expect(updated).toMatchObject({ role: 'admin', plan: 'pro', cohorts: ['beta', 'early'] })
      expect(await accounts.getUser(user.id)).toEqual(updated)
      expect(unwrapCredit(await ledger.balance(user.accountId)).available).toBe(65)
      // Leaving and rejoining a cohort grants nothing again.
      ok(await accounts.updateUser(user.id, { cohorts: [] }))
      ok(await accounts.updateUser(user.id, { cohorts: ['beta'] }))
      expect(unwrapCredit(await ledger.balance(user.accountId)).available).toBe(65)
      expect((await ledger.verify()).ok).toBe(true)

      expect(refused(await accounts.updateUser('user_nobody', { role: 'admin' }))).toMatchObject({
        code: 'NOT_FOUND',
      })
      const before = await accounts.getUser(user.id)
      expect(refused(await accounts.updateUser(user.id, { plan: 'ok', cohorts: ['Bad'] }))).toMatchObject({
        code: 'VALIDATION',
        field: 'cohorts',
      })
      expect(refused(await accounts.updateUser(user.id, { role: 'owner' as never }))).toMatchObject({
        code: 'VALIDATION',
        field: 'role',
      })
      expect(await accounts.getUser(user.id)).toEqual(before)
    })
  })

  describe('sessions', () => {
    it('authenticates a session until it expires; stores only the token’s hash', async () => {
      const clock = new ManualClock(T0)
      const { accounts } = service(suite.db, { clock })
      const user = ok(await accounts.createUser({ email: email('session'), password: PASSWORD }))
      const session = await accounts.createSession(user.id)
      expect(session.expiresAt).toBe(T0 + 30 * DAY)
      const found = await accounts.authenticateSession(session.token)
      expect(found).toEqual({ user, sessionId: sha256Hex(session.token), csrfToken: session.csrfToken })
      const stored = await suite.db.kysely
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', user.id)
        .execute()
      expect(stored).toHaveLength(1)
      expect(JSON.stringify(stored)).not.toContain(session.token)

      clock.set(session.expiresAt - 1)
      expect(await accounts.authenticateSession(session.token)).not.toBeNull()
      clock.set(session.expiresAt)
      expect(await accounts.authenticateSession(session.token)).toBeNull()
      // A new session clears the user's expired ones.
      const next = await accounts.createSession(user.id)
      const left = await suite.db.kysely
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .execute()
      expect(left).toEqual([{ id: sha256Hex(next.token) }])

      expect(await accounts.authenticateSession('')).toBeNull()
      expect(await accounts.authenticateSession('not-a-token')).toBeNull()
      expect(await accounts.authenticateSession('x'.repeat(10_000))).toBeNull()
    })

    it('signs out one session; disabling a user ends all of theirs', async () => {
      const { accounts } = service(suite.db, { clock: new ManualClock(T0) })
      const address = email('signout')
      const user = ok(await accounts.createUser({ email: address, password: PASSWORD }))
      const one = ok(await accounts.signIn({ email: address, password: PASSWORD })).session
      const two = ok(await accounts.signIn({ email: address, password: PASSWORD })).session
      await accounts.signOut(one.token)
      expect(await accounts.authenticateSession(one.token)).toBeNull()
      expect(await accounts.authenticateSession(two.token)).not.toBeNull()
      await accounts.signOut(one.token) // again: nothing to do

      ok(await accounts.updateUser(user.id, { disabled: true }))
      expect(await accounts.authenticateSession(two.token)).toBeNull()
      const rows = await suite.db.kysely
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .execute()
      expect(rows).toEqual([])
      ok(await accounts.updateUser(user.id, { disabled: false }))
      expect(await accounts.authenticateSession(two.token)).toBeNull()
    })

    it('honours a configured session lifetime', async () => {
      const clock = new ManualClock(T0)
      const ledger = new Ledger(suite.db, { clock })
      const accounts = new Accounts(suite.db, ledger, { sessionTtlMs: 3_600_000 })
      expect(accounts.clock).toBe(clock)
      const user = ok(await accounts.createUser({ email: email('ttl'), password: PASSWORD }))
      const session = await accounts.createSession(user.id)
      expect(session.expiresAt).toBe(T0 + 3_600_000)
      clock.advance(3_600_000)
      expect(await accounts.authenticateSession(session.token)).toBeNull()
    })
  })

  describe('API keys', () => {
    it('shows the secret once and stores only its hash; lists the key by prefix', async () => {
      const { accounts } = service(suite.db)
      const user = ok(await accounts.createUser({ email: email('key'), password: PASSWORD }))
      const { key, secret } = ok(await accounts.createApiKey(user.id, { name: 'ci' }))
      expect(secret).toMatch(/^easel_sk_[A-Za-z0-9_-]{43}$/)
      expect(key).toEqual({
        id: expect.stringMatching(/^key_/),
        name: 'ci',
        prefix: secret.slice(0, 16),
        createdAt: T0,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
        userId: user.id,
      })
      const rows = await suite.db.kysely.selectFrom('api_keys').selectAll().execute()
      expect(JSON.stringify(rows)).not.toContain(secret)
      expect(rows.find((r) => r.id === key.id)?.secret_hash).toBe(sha256Hex(secret))
      expect(await accounts.listApiKeys(user.id)).toEqual([key])
      expect(JSON.stringify(await accounts.listApiKeys(null))).not.toContain(secret)
      expect((await accounts.listApiKeys(null)).map((k) => k.id)).toContain(key.id)
      expect(ok(await accounts.createApiKey(user.id, {})).key.name).toBe('default')
    })

    it('authenticates a key, recording its use at most once a minute', async () => {
      const clock = new ManualClock(T0)
      const { accounts } = service(suite.db, { clock })
      const user = ok(await accounts.createUser({ email: email('auth'), password: PASSWORD }))
      const { key, secret } = ok(await accounts.createApiKey(user.id, {}))
      const lastUsed = async () =>
        (
          await suite.db.kysely
            .selectFrom('api_keys')
            .select('last_used_at')
            .where('id', '=', key.id)
            .executeTakeFirstOrThrow()
        ).last_used_at

      const found = await accounts.authenticateApiKey(secret)
      expect(found).toEqual({ user, key: { ...key, lastUsedAt: T0 } })
      expect(await lastUsed()).toBe(T0)
      clock.advance(59_000)
      expect((await accounts.authenticateApiKey(secret))?.key.lastUsedAt).toBe(T0)
      expect(await lastUsed()).toBe(T0)
      clock.advance(1_000)
      expect((await accounts.authenticateApiKey(secret))?.key.lastUsedAt).toBe(T0 + 60_000)
      expect(await lastUsed()).toBe(T0 + 60_000)

      for (const bad of [
        '',
        'easel_sk_',
        `${secret}x`,
        secret.slice(0, -1),
        secret.replace('easel_sk_', 'sk-'),
      ]) {
        expect(await accounts.authenticateApiKey(bad)).toBeNull()
      }
    })

    it('stops a key that is revoked, expired, or whose user is disabled', async () => {
      const clock = new ManualClock(T0)
      const { accounts } = service(suite.db, { clock })
      const user = ok(await accounts.createUser({ email: email('stop'), password: PASSWORD }))
      const revoked = ok(await accounts.createApiKey(user.id, {}))
      const expiring = ok(await accounts.createApiKey(user.id, { expiresAt: T0 + 3_600_000 }))
      const kept = ok(await accounts.createApiKey(user.id, {}))

      const r = ok(await accounts.revokeApiKey(user.id, revoked.key.id))
      expect(r).toEqual({ ...revoked.key, revokedAt: T0 })
      expect(await accounts.authenticateApiKey(revoked.secret)).toBeNull()
      clock.advance(1000)
      expect(ok(await accounts.revokeApiKey(user.id, revoked.key.id)).revokedAt).toBe(T0)

      expect(await accounts.authenticateApiKey(expiring.secret)).not.toBeNull()
      clock.set(T0 + 3_600_000)
      expect(await accounts.authenticateApiKey(expiring.secret)).toBeNull()

      expect(await accounts.authenticateApiKey(kept.secret)).not.toBeNull()
      ok(await accounts.updateUser(user.id, { disabled: true }))
      expect(await accounts.authenticateApiKey(kept.secret)).toBeNull()
      ok(await accounts.updateUser(user.id, { disabled: false }))
      expect(await accounts.authenticateApiKey(kept.secret)).not.toBeNull()
    })

    it('answers NOT_FOUND for another user’s key, which keeps working; an admin may revoke any key', async () => {
      const { accounts } = service(suite.db)
      const owner = ok(await accounts.createUser({ email: email('owner'), password: PASSWORD }))
      const stranger = ok(await accounts.createUser({ email: email('stranger'), password: PASSWORD }))
      const { key, secret } = ok(await accounts.createApiKey(owner.id, {}))
      const theirs = refused(await accounts.revokeApiKey(stranger.id, key.id))
      const missing = refused(await accounts.revokeApiKey(stranger.id, 'key_doesnotexist'))
      expect(theirs.code).toBe('NOT_FOUND')
      expect(missing.code).toBe('NOT_FOUND')
      expect(await accounts.listApiKeys(stranger.id)).toEqual([])
      expect(await accounts.authenticateApiKey(secret)).not.toBeNull()
      expect(ok(await accounts.revokeApiKey(null, key.id)).revokedAt).not.toBeNull()
      expect(await accounts.authenticateApiKey(secret)).toBeNull()
    })

    it('refuses a key for an unknown user, a past expiry or a bad name', async () => {
      const { accounts } = service(suite.db)
      const user = ok(await accounts.createUser({ email: email('badkey'), password: PASSWORD }))
      const before = await counts(suite.db)
      expect(refused(await accounts.createApiKey('user_nobody', {})).code).toBe('NOT_FOUND')
      expect(refused(await accounts.createApiKey(user.id, { expiresAt: T0 }))).toMatchObject({
        code: 'VALIDATION',
        field: 'expiresAt',
      })
      expect(refused(await accounts.createApiKey(user.id, { name: ' ' }))).toMatchObject({ field: 'name' })
      expect(refused(await accounts.createApiKey(user.id, { name: 'n'.repeat(101) }))).toMatchObject({
        field: 'name',
      })
      expect(await counts(suite.db)).toEqual(before)
    })
  })

  describe('sign-up policies and invites', () => {
    it('a self-service sign-up joins the cohorts the book has sign-ups join (beta in labs-2022); admin-made users do not', async () => {
      const { accounts } = service(suite.db, { signup: 'open' })
      const signedUp = ok(await accounts.signUp({ email: email('self'), password: PASSWORD }))
      expect(signedUp.cohorts).toEqual(['beta'])
      const made = ok(await accounts.createUser({ email: email('made'), password: PASSWORD }))
      expect(made.cohorts).toEqual([])
    })

    it('open: anyone signs up; closed: nobody; invite: a valid code is required', async () => {
      const open = service(suite.db, { signup: 'open' }).accounts
      const closed = service(suite.db, { signup: 'closed' }).accounts
      const invite = service(suite.db, { signup: 'invite' }).accounts
      ok(await open.signUp({ email: email('open'), password: PASSWORD }))

      const before = await counts(suite.db)
      expect(refused(await closed.signUp({ email: email(), password: PASSWORD })).code).toBe('SIGNUP_CLOSED')
      expect(refused(await invite.signUp({ email: email(), password: PASSWORD })).code).toBe(
        'INVITE_REQUIRED',
      )
      expect(refused(await invite.signUp({ email: email(), password: PASSWORD, inviteCode: '' })).code).toBe(
        'INVITE_REQUIRED',
      )
      expect(
        refused(await invite.signUp({ email: email(), password: PASSWORD, inviteCode: 'nonsense' })).code,
      ).toBe('INVITE_INVALID')
      expect(await counts(suite.db)).toEqual(before)

      const { code } = ok(await invite.createInvite({}))
      expect(code).toMatch(/^[0-9a-z]{20}$/)
      const user = ok(
        await invite.signUp({
          email: email('invited'),
          password: PASSWORD,
          inviteCode: ` ${code.toUpperCase()} `,
        }),
      )
      // An invite without a cohort: the user joins what the book has every sign-up join (beta).
      expect(user.cohorts).toEqual(['beta'])
      // One use by default: used up now.
      expect(
        refused(await invite.signUp({ email: email(), password: PASSWORD, inviteCode: code })).code,
      ).toBe('INVITE_INVALID')
      // An open installation takes a code too (for its cohort), but a bad one is still refused.
      expect(refused(await open.signUp({ email: email(), password: PASSWORD, inviteCode: code })).code).toBe(
        'INVITE_INVALID',
      )
    })

    it('places users of an invite with a cohort in it: a beta user holds 15 + 50 = 65 credits', async () => {
      const { accounts, ledger } = service(suite.db, { signup: 'invite' })
      const invite = ok(await accounts.createInvite({ cohort: 'beta', maxUses: 10, createdBy: 'user_admin' }))
      expect(invite).toMatchObject({
        cohort: 'beta',
        maxUses: 10,
        expiresAt: null,
        id: expect.stringMatching(/^inv_/),
      })
      const user = ok(
        await accounts.signUp({ email: email('beta'), password: PASSWORD, inviteCode: invite.code }),
      )
      expect(user.cohorts).toEqual(['beta'])
      const grants = unwrapCredit(await ledger.ensureAllowances(user.accountId))
      expect(grants.map((g) => [g.source, g.amount])).toEqual([
        ['monthly', 15],
        ['bonus', 50],
      ])
      expect(unwrapCredit(await ledger.balance(user.accountId)).available).toBe(65)
      const listed = (await accounts.listInvites()).find((i) => i.id === invite.id)
      expect(listed).toEqual({
        id: invite.id,
        cohort: 'beta',
        maxUses: 10,
        uses: 1,
        expiresAt: null,
        createdAt: T0,
        createdBy: 'user_admin',
      })
      expect(JSON.stringify(await accounts.listInvites())).not.toContain(invite.code)
    })

    it('refuses an expired invite, and a sign-up refused for its email takes no use', async () => {
      const clock = new ManualClock(T0)
      const { accounts } = service(suite.db, { signup: 'invite', clock })
      const invite = ok(await accounts.createInvite({ maxUses: 2, expiresAt: T0 + DAY }))
      const taken = email('taken')
      ok(await accounts.signUp({ email: taken, password: PASSWORD, inviteCode: invite.code }))
      expect(
        refused(await accounts.signUp({ email: taken, password: PASSWORD, inviteCode: invite.code })).code,
      ).toBe('EMAIL_TAKEN')
      const uses = async () => (await accounts.listInvites()).find((i) => i.id === invite.id)?.uses
      expect(await uses()).toBe(1)
      clock.set(T0 + DAY)
      expect(
        refused(await accounts.signUp({ email: email(), password: PASSWORD, inviteCode: invite.code })).code,
      ).toBe('INVITE_INVALID')
      expect(await uses()).toBe(1)
    })

    it('admits exactly as many sign-ups as a code has uses, however many race for it', async () => {
      const other = await suite.testDb.open()
      try {
        const a = service(suite.db, { signup: 'invite' }).accounts
        const b = service(other, { signup: 'invite' }).accounts
        const invite = ok(await a.createInvite({ cohort: 'beta', maxUses: 3 }))
        const before = await counts(suite.db)
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            (i % 2 ? a : b).signUp({ email: email('rush'), password: PASSWORD, inviteCode: invite.code }),
          ),
        )
        expect(results.filter((r) => r.ok)).toHaveLength(3)
        for (const r of results.filter((r) => !r.ok)) expect(refused(r).code).toBe('INVITE_INVALID')
        const after = await counts(suite.db)
        expect(after.users - before.users).toBe(3)
        expect(after.accounts - before.accounts).toBe(3)
        expect((await a.listInvites()).find((i) => i.id === invite.id)?.uses).toBe(3)
        expect(await orphanAccounts(suite.db)).toBe(0)
      } finally {
        await other.close()
      }
    })

    it('refuses malformed invites', async () => {
      const { accounts } = service(suite.db)
      const before = await counts(suite.db)
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ cohort: 'Beta' }, 'cohort'],
        [{ maxUses: 0 }, 'maxUses'],
        [{ maxUses: 1.5 }, 'maxUses'],
        [{ expiresAt: T0 - 1 }, 'expiresAt'],
        [{ createdBy: 'x'.repeat(101) }, 'createdBy'],
      ]
      for (const [input, field] of cases) {
        expect(refused(await accounts.createInvite(input as never)), JSON.stringify(input)).toMatchObject({
          code: 'VALIDATION',
          field,
        })
      }
      expect(await counts(suite.db)).toEqual(before)
    })
  })

  describe('plans and cohorts through the ledger', () => {
    it('sets an account’s plan and cohorts, refusing bad names and unknown accounts', async () => {
      const { ledger } = service(suite.db)
      const { accountId } = unwrapCredit(await ledger.createAccount({ cohorts: ['early'] }))
      expect(unwrapCredit(await ledger.setAccountPlan(accountId, 'pro'))).toEqual({
        accountId,
        plan: 'pro',
        cohorts: ['early'],
        freeGrantsHeld: false,
      })
      expect(unwrapCredit(await ledger.setAccountCohorts(accountId, ['beta', 'beta', 'alpha']))).toEqual({
        accountId,
        plan: 'pro',
        cohorts: ['alpha', 'beta'],
        freeGrantsHeld: false,
      })
      expect((await ledger.accountProfiles([accountId, 'acct_missing'])).get(accountId)).toEqual({
        accountId,
        plan: 'pro',
        cohorts: ['alpha', 'beta'],
        freeGrantsHeld: false,
      })
      expect(await ledger.setAccountPlan(accountId, 'Pro')).toMatchObject({
        ok: false,
        error: { field: 'plan' },
      })
      expect(await ledger.setAccountCohorts(accountId, ['ok', ''])).toMatchObject({
        ok: false,
        error: { field: 'cohorts' },
      })
      expect(await ledger.setAccountPlan('acct_missing', 'pro')).toMatchObject({
        ok: false,
        error: { code: 'ACCOUNT_NOT_FOUND' },
      })
      expect(await ledger.setAccountCohorts('nope', [])).toMatchObject({
        ok: false,
        error: { field: 'accountId' },
      })
    })
  })
})

// The owner is one per installation: each of these tests has a database of its own.
describe.each(BACKENDS)('installation owner on %s', (backend) => {
  async function withFreshDatabase(fn: (db: Database, other: Database) => Promise<void>) {
    const testDb = await createTestDatabase(backend)
    const db = await testDb.open()
    const other = await testDb.open()
    try {
      await fn(db, other)
    } finally {
      await other.close()
      await db.close()
      await testDb.destroy()
    }
  }

  const admins = async (db: Database) =>
    db.kysely.selectFrom('users').select(['id', 'email']).where('role', '=', 'admin').execute()

  it('sets up the owner exactly once, even when two requests race from two processes', async () => {
    await withFreshDatabase(async (db, other) => {
      const a = service(db).accounts
      const b = service(other).accounts
      expect(await a.isSetUp()).toBe(false)
      const results = await Promise.all([
        a.setUpOwner({ email: email('first'), password: PASSWORD }),
        b.setUpOwner({ email: email('second'), password: PASSWORD }),
      ])
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(refused(results.find((r) => !r.ok)!).code).toBe('ALREADY_SET_UP')
      const owner = results.find((r) => r.ok)!
      expect(ok(owner)).toMatchObject({ role: 'admin' })
      expect(await admins(db)).toHaveLength(1)
      expect(await a.isSetUp()).toBe(true)
      expect(await orphanAccounts(db)).toBe(0)
      expect(refused(await a.setUpOwner({ email: email(), password: PASSWORD })).code).toBe('ALREADY_SET_UP')

      // Demoting every admin does not reopen the set-up to whoever comes next.
      ok(await a.updateUser(ok(owner).id, { role: 'user' }))
      expect(await a.isSetUp()).toBe(true)
      expect(refused(await b.setUpOwner({ email: email(), password: PASSWORD })).code).toBe('ALREADY_SET_UP')
    })
  })

  it.runIf(backend === 'postgres')('refuses a set-up that loses the race on the owner claim', async () => {
    await withFreshDatabase(async (db, other) => {
      const b = service(other).accounts
      const lost = await whileUncommitted(
        db,
        {
          id: 'user_first',
          email: email('first'),
          role: 'admin',
          cohorts: [],
          createdAt: T0,
          claimOwner: true,
        },
        () => b.setUpOwner({ email: email('second'), password: PASSWORD }),
      )
      expect(refused(lost).code).toBe('ALREADY_SET_UP')
      expect(await admins(db)).toHaveLength(1)
      expect(await orphanAccounts(db)).toBe(0)
    })
  })

  it('ensureOwner creates the admin once across restarts and processes starting together', async () => {
    await withFreshDatabase(async (db, other) => {
      const address = email('admin')
      const input = { email: address, password: PASSWORD }
      const results = await Promise.all([
        service(db).accounts.ensureOwner(input),
        service(other).accounts.ensureOwner(input),
        service(db).accounts.ensureOwner(input),
      ])
      const ids = results.map((r) => ok(r).id)
      expect(new Set(ids).size).toBe(1)
      expect(await admins(db)).toEqual([{ id: ids[0], email: address }])
      // A restart: nothing new.
      const again = ok(
        await service(db).accounts.ensureOwner({
          email: address.toUpperCase(),
          password: 'another password',
        }),
      )
      expect(again.id).toBe(ids[0])
      expect(await admins(db)).toHaveLength(1)
      expect(await orphanAccounts(db)).toBe(0)
      // The password it was first made with still signs in (the variable seeds it only once).
      expect((await service(db).accounts.signIn(input)).ok).toBe(true)
      // Another email once an owner exists: not made an admin behind the owner's back.
      expect(
        refused(await service(db).accounts.ensureOwner({ email: email(), password: PASSWORD })).code,
      ).toBe('ALREADY_SET_UP')
    })
  })

  it('ensureOwner makes an existing user with that email an admin', async () => {
    await withFreshDatabase(async (db) => {
      const { accounts } = service(db)
      const address = email('existing')
      const user = ok(await accounts.createUser({ email: address, password: PASSWORD }))
      expect(await accounts.isSetUp()).toBe(false)
      const owner = ok(await accounts.ensureOwner({ email: address, password: 'whatever it is' }))
      expect(owner).toEqual({ ...user, role: 'admin' })
      expect(await accounts.isSetUp()).toBe(true)
      expect(refused(await accounts.ensureOwner({ email: 'bad', password: PASSWORD }))).toMatchObject({
        code: 'VALIDATION',
        field: 'email',
      })
    })
  })
})
