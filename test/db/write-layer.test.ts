import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type AccountCreated, Ledger } from '../../src/credits/index.ts'
import { type Database, openDatabase } from '../../src/db/open.ts'
import type { WriteOp } from '../../src/db/writer/index.ts'
import type { Clock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, PG_ADMIN_URL, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

/** The database with every `write` recorded by the name of its operation. */
function recordingWrites(db: Database): { db: Database; names: string[] } {
  const names: string[] = []
  const write = <T>(op: WriteOp<T>, clock?: Clock) => {
    names.push(op.name)
    return db.write(op, clock)
  }
  return { db: { ...db, write } as Database, names }
}

class Refused extends Error {}

const accountsWithReference = async (db: Database, reference: string) =>
  (await db.kysely.selectFrom('accounts').select('id').where('reference', '=', reference).execute()).length

describe.each(BACKENDS)('the write layer (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  it("the ledger writes through the database's one group committer, unless given one of its own", async () => {
    const shared = recordingWrites(suite.db)
    const ledger = new Ledger(shared.db)
    const acct = unwrap(await ledger.createAccount({}))
    unwrap(await ledger.grant({ accountId: acct.accountId, amount: 3, source: 'promotional' }))
    expect(shared.names).toEqual(['createAccount', 'grant'])

    const own = recordingWrites(suite.db)
    const baseline = new Ledger(own.db, { groupCommit: { maxBatch: 1 } })
    unwrap(await baseline.grant({ accountId: acct.accountId, amount: 1, source: 'promotional' }))
    expect(own.names).toEqual([])
    expect(unwrap(await ledger.balance(acct.accountId)).available).toBe(4)
  })

  it.runIf(backend === 'sqlite')(
    'operations of the ledger and of other writers submitted together share one transaction',
    async () => {
      // Proved by a failure: the batch is rolled back and each operation rerun alone, so the
      // neighbour of a failing ledger write runs twice exactly when they shared the transaction.
      const ledger = new Ledger(suite.db)
      let runs = 0
      const neighbour = suite.db.write({
        name: 'neighbour',
        locks: {},
        run: async () => {
          runs++
        },
      })
      const failing = ledger.createAccount(
        { reference: 'shared-batch' },
        {
          alsoWrite: () => {
            throw new Refused('no')
          },
        },
      )
      await expect(failing).rejects.toBeInstanceOf(Refused)
      await neighbour
      expect(runs).toBe(2)
    },
  )

  it("createAccount composes the caller's write: both commit, or a throw rolls both back", async () => {
    const ledger = new Ledger(suite.db)
    let seen: AccountCreated | undefined
    const created = unwrap(
      await ledger.createAccount(
        { reference: 'hook-ok', cohorts: ['beta'] },
        {
          alsoWrite: async (tx, account, now) => {
            seen = account
            await tx.run('insert into settings (key, value) values (?, ?)', [
              `hook:${account.accountId}`,
              String(now),
            ])
          },
        },
      ),
    )
    expect(seen).toEqual(created)
    const setting = await suite.db.kysely
      .selectFrom('settings')
      .select('value')
      .where('key', '=', `hook:${created.accountId}`)
      .executeTakeFirst()
    expect(setting?.value).toBe(String(created.createdAt))

    const refused = ledger.createAccount(
      { reference: 'hook-refused' },
      {
        alsoWrite: async (tx, account) => {
          await tx.run('insert into settings (key, value) values (?, ?)', [`hook:${account.accountId}`, 'x'])
          throw new Refused('the caller changed its mind')
        },
      },
    )
    await expect(refused).rejects.toBeInstanceOf(Refused)
    expect(await accountsWithReference(suite.db, 'hook-refused')).toBe(0)
    expect(await accountsWithReference(suite.db, 'hook-ok')).toBe(1)
  })

  it('refuses alsoWrite with an idempotency key (a replay has no effect to attach it to)', async () => {
    const ledger = new Ledger(suite.db)
    await expect(ledger.createAccount({ idempotencyKey: 'k1' }, { alsoWrite: () => {} })).rejects.toThrow(
      'alsoWrite cannot be combined with an idempotency key',
    )
  })
})

describe.runIf(BACKENDS.includes('postgres'))('PostgreSQL idle connection errors', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** Opens a database, leaves a connection idle in its pool, and kills it from the server side. */
  async function killIdleConnection(onError?: (error: Error) => void) {
    const testDb = await createTestDatabase('postgres', { poolSize: 3 })
    if (testDb.config.kind !== 'postgres') throw new Error('expected PostgreSQL')
    const db = await openDatabase(testDb.config, { migrate: false, ...(onError ? { onError } : {}) })
    if (db.dialect !== 'postgres') throw new Error('expected PostgreSQL')
    const client = await db.pool.connect()
    const [{ pid }] = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [
      { pid: number },
    ]
    client.release()
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    await admin.query('select pg_terminate_backend($1)', [pid])
    await admin.end()
    return { db, testDb }
  }

  it('reports an idle connection lost to onError, and the next query reconnects', async () => {
    let resolve: (e: Error) => void = () => {}
    const reported = new Promise<Error>((r) => {
      resolve = r
    })
    const { db, testDb } = await killIdleConnection((error) => resolve(error))
    try {
      expect((await reported).message).toMatch(/terminat/i)
      const [row] = (await db.kysely.selectNoFrom((eb) => eb.val(1).as('one')).execute()) as [{ one: number }]
      expect(Number(row.one)).toBe(1)
    } finally {
      await db.close()
      await testDb.destroy()
    }
  })

  it('warns on stderr in one line by default, and does not crash the process', async () => {
    let resolve: () => void = () => {}
    const warned = new Promise<void>((r) => {
      resolve = r
    })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => resolve())
    const { db, testDb } = await killIdleConnection()
    try {
      await warned
      expect(warn).toHaveBeenCalledTimes(1)
      const line = String(warn.mock.calls[0]![0])
      expect(line).toMatch(/^easel: an idle PostgreSQL connection failed .*terminat/i)
      expect(line).not.toContain('\n')
    } finally {
      await db.close()
      await testDb.destroy()
    }
  })
})
