import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const T0 = Date.UTC(2026, 10, 25, 12)

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 2000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} waited ${ms} ms for the writer`)), ms).unref(),
    ),
  ])
}

describe.each(BACKENDS)('snapshot reads never wait for group commit (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  it('balances, reports and verify answer while a group-commit transaction is open, from its last commit', async () => {
    const ledger = new Ledger(suite.db, { clock: new ManualClock(T0), pricing: staticPricing(LABS_2022) })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(await ledger.grant({ accountId, amount: 10, source: 'promotional' }))

    // A write operation that holds its transaction open (on SQLite: the one writer) until let go,
    // after granting 5 more credits the snapshot reads must not see.
    let letGo!: () => void
    const gate = new Promise<void>((resolve) => {
      letGo = resolve
    })
    let opened!: () => void
    const open = new Promise<void>((resolve) => {
      opened = resolve
    })
    const writing = suite.db.write({
      name: 'slow-grant',
      locks: {},
      run: async (tx) => {
        await tx.run('update accounts set available = available + 5 where id = ?', [accountId])
        opened()
        await gate
      },
    })
    await open
    try {
      const balance = unwrap(await within(ledger.balance(accountId), 'balance'))
      expect(balance.available).toBe(10 + 15) // the promotional lot and the owed allowance
      expect(unwrap(await within(ledger.balances([accountId]), 'balances')).get(accountId)).toEqual(balance)
      unwrap(await within(ledger.report({ from: T0, to: T0 + 1, accountId }), 'report'))
      const report = await within(ledger.verify(), 'verify')
      expect(report.violations.filter((v) => v.subject === accountId)).toEqual([])
    } finally {
      letGo()
      await writing
    }
    // The write committed afterwards: the stored projection moved (verify would now say so).
    const row = await suite.db.kysely
      .selectFrom('accounts')
      .select('available')
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow()
    expect(row.available).toBe(15)
  })

  it('a read-only snapshot refuses to write', async () => {
    const attempt = suite.db.kysely
      .transaction()
      .setAccessMode('read only')
      .execute((trx) => sql`update accounts set plan = plan where id = 'acct_none'`.execute(trx))
    await expect(attempt).rejects.toThrow(backend === 'sqlite' ? /read-only transaction/ : /read-only/)
  })
})
