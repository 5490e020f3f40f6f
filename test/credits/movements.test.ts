import { describe, expect, it } from 'vitest'
import { type CreditMovement, creditMovements, Ledger } from '../../src/credits/index.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

// What metrics count of the credits moved (`creditMovements` on the database's group commit): the
// movements of transactions that committed, each once, and never those of one that rolled back.

class Refused extends Error {}

describe.each(BACKENDS)('credit movements told after commit (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  it('tells each committed movement once, and none of a rolled-back transaction', async () => {
    const told: CreditMovement[] = []
    const commits: number[] = []
    const movements = creditMovements((moved) => told.push(...moved))
    suite.db.observeCommits({
      begin: movements.begin,
      committed: (tx, operations, ms) => {
        expect(ms).toBeGreaterThanOrEqual(0)
        commits.push(operations)
        movements.committed(tx, operations, ms)
      },
    })
    try {
      const ledger = new Ledger(suite.db)
      const { accountId } = unwrap(await ledger.createAccount({}))
      unwrap(await ledger.grant({ accountId, amount: 10, source: 'promotional' }))
      const { holdId } = unwrap(await ledger.hold({ accountId, amount: 4 }))
      const rolledBack = ledger.capture(
        { holdId, amount: 3 },
        {
          alsoWrite: () => {
            throw new Refused('the caller refuses after the capture was written')
          },
        },
      )
      // Submitted together: on SQLite they share a batch, which rolls back and is run again one by one.
      const granted = ledger.grant({ accountId, amount: 5, source: 'promotional' })
      await expect(rolledBack).rejects.toBeInstanceOf(Refused)
      unwrap(await granted)
      unwrap(await ledger.capture({ holdId, amount: 3 }))

      const sum = (kind: string) => told.filter((m) => m.kind === kind).reduce((a, m) => a + m.amount, 0)
      expect(sum('grant')).toBe(15)
      expect(sum('capture')).toBe(3)
      expect(told.filter((m) => m.kind === 'capture')).toHaveLength(1)
      expect(sum('hold')).toBe(4)
      expect(commits.every((n) => n >= 1)).toBe(true)
    } finally {
      suite.db.observeCommits(undefined)
    }
  })
})
