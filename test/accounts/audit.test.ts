import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit } from '../../src/accounts/audit.ts'
import { Accounts, CLI_ACTOR, listAudit } from '../../src/accounts/index.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'

describe.each(BACKENDS)('audit rows commit with their action, or not at all (%s)', (backend) => {
  let testDb: TestDatabase
  let db: Database
  let accounts: Accounts
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 12))

  beforeAll(async () => {
    testDb = await createTestDatabase(backend)
    db = await testDb.open()
    accounts = new Accounts(db, new Ledger(db, { clock, pricing: staticPricing(LABS_2022) }), { clock })
  })
  afterAll(async () => {
    await db.close()
    await testDb.destroy()
  })

  it('a write that fails after queueing its audit row leaves no row', async () => {
    const failing = db.write(
      {
        name: 'failingAdminAction',
        locks: {},
        run: async (tx, now) => {
          recordAudit(
            tx,
            { actor: CLI_ACTOR, action: 'user.update', subject: 'user_rolledback', details: {} },
            now,
          )
          throw new Error('the action failed')
        },
      },
      clock,
    )
    await expect(failing).rejects.toThrow('the action failed')
    expect((await listAudit(db, { subject: 'user_rolledback' })).entries).toEqual([])
  })

  it('a plan change (through the ledger) and a role change (through group commit) record once each', async () => {
    const made = await accounts.createUser({
      email: `audit-${backend}@example.com`,
      password: 'correct horse battery',
    })
    if (!made.ok) throw new Error(made.error.message)
    const id = made.value.id
    const stamp = { actor: { userId: 'user_admin', label: 'admin@example.com' }, reason: 'why not' }
    expect((await accounts.updateUser(id, { plan: 'pro', cohorts: ['beta'] }, stamp)).ok).toBe(true)
    clock.advance(1)
    expect((await accounts.updateUser(id, { disabled: true }, stamp)).ok).toBe(true)
    clock.advance(1)
    // Refused (not a role): nothing recorded.
    expect((await accounts.updateUser(id, { role: 'owner' as 'admin' }, stamp)).ok).toBe(false)
    // Without a stamp (a user's own action, a test): nothing recorded.
    expect((await accounts.updateUser(id, { disabled: false })).ok).toBe(true)
    const { entries } = await listAudit(db, { subject: id })
    expect(entries.map((e) => e.details)).toEqual([
      { disabled: { before: false, after: true } },
      { plan: { before: 'free', after: 'pro' }, cohorts: { before: [], after: ['beta'] } },
    ])
    expect(entries.every((e) => e.actorLabel === 'admin@example.com' && e.reason === 'why not')).toBe(true)
  })
})
