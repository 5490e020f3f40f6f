import { randomBytes } from 'node:crypto'
import { dictionary } from '@zxcvbn-ts/language-common'
import { describe, expect, it } from 'vitest'
import { Accounts, type AccountsError } from '../../src/accounts/index.ts'
import { commonPasswords, hashPassword, passwordProblem } from '../../src/accounts/passwords.ts'
import { insertUser } from '../../src/accounts/sign-up.ts'
import type { Result } from '../../src/credits/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { newId } from '../../src/util/ids.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'

/*
 * Issue 9: passwords of eight characters, "password" and "12345678" included, were accepted, and a
 * 201-character one was told it "is required". New passwords now need 10 characters, not one
 * repeated, and not one of the 10,000 most common; sign-in still takes passwords set before.
 */

const T0 = Date.UTC(2026, 10, 25, 12)
const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.com`

describe('the password rule (pure)', async () => {
  const common = await commonPasswords()

  it.each([
    ['correct horse battery', null],
    ['kq7-vz2-pm', null],
    ['éà'.repeat(100), null],
    ['password', 'must be at least 10 characters'],
    ['123456789', 'must be at least 10 characters'],
    ['password12', 'is one of the 10,000 most common passwords; choose another'],
    ['PassWord12', 'is one of the 10,000 most common passwords; choose another'],
    ['1234567890', 'is one of the 10,000 most common passwords; choose another'],
    ['qwertyuiop', 'is one of the 10,000 most common passwords; choose another'],
    ['          ', 'must not be one character repeated'],
    ['aaaaaaaaaa', 'must not be one character repeated'],
    ['AaAaAaAaAaAa', 'must not be one character repeated'],
    ['p'.repeat(201), 'must be at most 200 characters'],
    ['😀'.repeat(201), 'must be at most 200 characters'],
    [12345678901, 'is required'],
    [undefined, 'is required'],
  ])('%j → %s', (password, problem) => {
    expect(passwordProblem(password, common)).toBe(problem)
  })

  it('refuses the first 10,000 of the ranked list only, loaded once', async () => {
    const ranked = dictionary['passwords-common']
    expect(common.size).toBeGreaterThan(9000) // case-folding merges a few
    expect(common.has(ranked[9_999]!.toLowerCase())).toBe(true)
    // A long entry further down the list is not refused for being common.
    const later = ranked
      .slice(10_000)
      .find((p) => p.length >= 10 && new Set(p).size > 1 && !common.has(p.toLowerCase()))!
    expect(passwordProblem(later, common)).toBeNull()
    expect(await commonPasswords()).toBe(common)
  })
})

describe.each(BACKENDS)('where the password rule applies (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  function service() {
    const clock = new ManualClock(T0)
    const ledger = new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) })
    return { ledger, accounts: new Accounts(suite.db, ledger, { clock }) }
  }

  const refusal = (r: Result<unknown, AccountsError>) => (r.ok ? null : r.error)

  it('refuses a weak password at sign-up, owner set-up and when an administrator or the CLI makes a user', async () => {
    const { accounts } = service()
    const common = {
      code: 'VALIDATION',
      field: 'password',
      message: 'password: is one of the 10,000 most common passwords; choose another',
    }
    expect(refusal(await accounts.signUp({ email: email(), password: 'password12' }))).toEqual(common)
    expect(refusal(await accounts.setUpOwner({ email: email(), password: '1234567890' }))).toEqual(common)
    expect(refusal(await accounts.createUser({ email: email(), password: 'Password12' }))).toEqual(common)
    expect(refusal(await accounts.ensureOwner({ email: email(), password: 'qwertyuiop' }))).toEqual(common)
    expect(refusal(await accounts.createUser({ email: email(), password: 'aaaaaaaaaa' }))).toMatchObject({
      message: 'password: must not be one character repeated',
    })
    expect(refusal(await accounts.signUp({ email: email(), password: 'password' }))).toMatchObject({
      message: 'password: must be at least 10 characters',
    })
    expect(refusal(await accounts.signUp({ email: email(), password: 'x1'.repeat(101) }))).toMatchObject({
      message: 'password: must be at most 200 characters',
    })
    expect((await accounts.signUp({ email: email(), password: 'correct horse battery' })).ok).toBe(true)
  })

  it('still signs in a user whose password was set under the old rule', async () => {
    const { accounts, ledger } = service()
    const address = email('old')
    const user = {
      id: newId('user', T0),
      email: address,
      passwordHash: await hashPassword('password'),
      role: 'user' as const,
      cohorts: [],
      createdAt: T0,
    }
    // Written as sign-up writes a user, without its password check.
    const created = await ledger.createAccount(
      { reference: user.id },
      { alsoWrite: (tx, account) => insertUser(tx, user, account, null).then(() => {}) },
    )
    expect(created.ok).toBe(true)
    expect((await accounts.signIn({ email: address, password: 'password' })).ok).toBe(true)
  })
})
