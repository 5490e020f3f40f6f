import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../../src/cli/main.ts'
import { loadConfig } from '../../src/config.ts'
import { JobBody, PurchaseBody } from '../../src/contracts/index.ts'
import { startServer } from '../../src/http/server.ts'
import { systemClock } from '../../src/util/clock.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS, PG_ADMIN_URL } from '../support/backends.ts'
import { startS3 } from '../support/s3.ts'
import { startTestServer, type TestUser, testEnv } from '../support/server.ts'

async function easel(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stopSignal: new Promise<void>(() => {}),
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** An account's balance as the ledger reports it, without the time it was read at. */
function balanceOf(result: { ok: boolean; value?: unknown }): unknown {
  if (!result.ok) throw new Error('no balance')
  const { at: _at, ...rest } = result.value as Record<string, unknown>
  return rest
}

const databases: string[] = []

/** A new PostgreSQL database of the test's own (dropped after the suite); its URL. */
async function createDatabase(setup?: string): Promise<string> {
  const name = `easel_migrate_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  databases.push(name)
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  if (setup) {
    const c = new pg.Client({ connectionString: url.toString() })
    await c.connect()
    await c.query(setup)
    await c.end()
  }
  return url.toString()
}

afterAll(async () => {
  if (databases.length === 0) return
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`)
  await admin.end()
})

// BACKENDS includes postgres whenever a server answers, and under CI=true its absence fails the run.
describe.runIf(BACKENDS.includes('postgres'))('easel migrate-to-postgres', () => {
  it('copies an SQLite installation with purchases, grants, holds and jobs into PostgreSQL, which then starts with equal balances and verifies', async () => {
    const t = await startTestServer('sqlite', { env: { EASEL_TEST_CHECKOUT: 'on' } })
    const env = testEnv(t.testDb, t.dataDir)
    try {
      const { services } = t.server
      const buyer = await t.user()
      const granted = await t.user({ credits: 40 })
      const holder = await t.user({ credits: 25 })
      const bought = await keyed(t.url, buyer.apiKey)(
        'POST',
        '/api/purchases',
        {
          packId: 'pack-115',
          card: {
            number: '4242 4242 4242 4242',
            expMonth: 12,
            expYear: new Date().getUTCFullYear() + 2,
            cvc: '123',
          },
        },
        { 'idempotency-key': 'migrate-buy' },
      )
      expect(bought.status, bought.text).toBe(201)
      expect(bought.as(PurchaseBody).credits).toBe(115)

      const generate = async (user: TestUser, n: number) => {
        const r = await keyed(t.url, user.apiKey)('POST', '/api/jobs', {
          kind: 'generate',
          prompt: 'a lighthouse moving house',
          n,
          size: '256x256',
        })
        expect(r.status, r.text).toBe(202)
        await services.studio.waitForJob(user.user.accountId, r.as(JobBody).id)
      }
      for (const user of [buyer, granted, buyer, granted, holder]) await generate(user, 2)
      // An open hold: credits held, not yet captured, carried over as such.
      const hold = await services.ledger.hold({
        accountId: holder.user.accountId,
        amount: 5,
        reference: 'open',
      })
      expect(hold.ok).toBe(true)

      const users = [buyer, granted, holder]
      const balances = (await Promise.all(users.map((u) => services.ledger.balance(u.user.accountId)))).map(
        balanceOf,
      )
      const images = await services.db.kysely
        .selectFrom('images')
        .innerJoin('jobs', 'jobs.id', 'images.job_id')
        .where('jobs.status', '=', 'succeeded')
        .select(['images.id', 'images.account_id', 'images.sha256'])
        .execute()
      expect(images.length).toBeGreaterThan(0)
      await t.server.close()

      const url = await createDatabase()
      const migrated = await easel(env, 'migrate-to-postgres', '--to', url)
      expect(migrated.err).toBe('')
      expect(migrated.code, migrated.out).toBe(0)
      expect(migrated.out).toContain('Both sides agree')
      expect(migrated.out).toContain('ledger verify on PostgreSQL: OK')
      expect(migrated.out).toMatch(/DATABASE_URL=postgres:\/\//)
      expect(migrated.out).toContain(`EASEL_DATA_DIR=${t.dataDir}`)

      // Start on PostgreSQL with the same data directory: every balance as it was, every image there.
      const pgEnv = { ...env, DATABASE_URL: url }
      const server = await startServer(loadConfig(pgEnv), { clock: systemClock })
      try {
        const after = (
          await Promise.all(users.map((u) => server.services.ledger.balance(u.user.accountId)))
        ).map(balanceOf)
        expect(after).toEqual(balances)
        expect(after[2]).toMatchObject({ held: 5 })
        for (const image of images) {
          const png = await server.services.studio.readImage(image.account_id, image.id)
          expect(png.length).toBeGreaterThan(0)
        }
        // The same API keys work, and the installation carries on: a generation on PostgreSQL.
        const r = await keyed(server.url, granted.apiKey)('POST', '/api/jobs', {
          kind: 'generate',
          prompt: 'after the move',
          n: 1,
          size: '256x256',
        })
        expect(r.status, r.text).toBe(202)
        await server.services.studio.waitForJob(granted.user.accountId, r.as(JobBody).id)
      } finally {
        await server.close()
      }
      const verify = await easel(pgEnv, 'ledger', 'verify')
      expect(verify.code, verify.out).toBe(0)

      // A database with data is refused, and left as it was.
      const again = await easel(env, 'migrate-to-postgres', '--to', url)
      expect(again.code).toBe(1)
      expect(again.err).toContain('the PostgreSQL database is not empty')
      expect((await easel(pgEnv, 'ledger', 'verify')).code).toBe(0)
    } finally {
      await t.testDb.destroy()
      fs.rmSync(t.dataDir, { recursive: true, force: true })
    }
  }, 120_000)

  it('with EASEL_S3_* set, uploads every image to the bucket, where a PostgreSQL installation on S3 serves them', async () => {
    const s3 = await startS3()
    const t = await startTestServer('sqlite')
    const env = testEnv(t.testDb, t.dataDir)
    try {
      const user = await t.user({ credits: 20 })
      const r = await keyed(t.url, user.apiKey)('POST', '/api/jobs', {
        kind: 'generate',
        prompt: 'a harbour in a bucket',
        n: 3,
        size: '256x256',
      })
      expect(r.status, r.text).toBe(202)
      await t.server.services.studio.waitForJob(user.user.accountId, r.as(JobBody).id)
      const images = await t.server.services.db.kysely
        .selectFrom('images')
        .select(['id', 'account_id'])
        .execute()
      expect(images).toHaveLength(3)
      await t.server.close()

      const url = await createDatabase()
      const migrated = await easel({ ...env, ...s3.env }, 'migrate-to-postgres', '--to', url)
      expect(migrated.code, migrated.err).toBe(0)
      expect(migrated.out).toContain(`Uploaded 3 images to s3://${s3.bucket}`)
      expect(await s3.keys()).toEqual(images.map((i) => `${i.account_id}/${i.id}.png`).sort())

      // On PostgreSQL and S3, with a data directory of its own: the images come from the bucket.
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-node-'))
      const server = await startServer(
        loadConfig({ ...env, ...s3.env, DATABASE_URL: url, EASEL_DATA_DIR: elsewhere }),
        {
          clock: systemClock,
        },
      )
      try {
        for (const image of images) {
          const res = await fetch(`${server.url}/api/images/${image.id}/content`, {
            headers: { authorization: `Bearer ${user.apiKey}` },
          })
          expect(res.status).toBe(200)
          expect(Buffer.from(await res.arrayBuffer())).toEqual(
            await s3.object(`${image.account_id}/${image.id}.png`),
          )
        }
      } finally {
        await server.close()
        fs.rmSync(elsewhere, { recursive: true, force: true })
      }
    } finally {
      await t.testDb.destroy()
      fs.rmSync(t.dataDir, { recursive: true, force: true })
      await s3.close()
    }
  }, 60_000)

  it("refuses a database holding someone else's tables, a target that alters rows (nothing committed), a non-PostgreSQL URL, an installation already on PostgreSQL", async () => {
    const t = await startTestServer('sqlite')
    const env = testEnv(t.testDb, t.dataDir)
    try {
      await t.user({ credits: 7 })
      await t.server.close()
      const foreign = await createDatabase('create table orders (id int primary key)')
      const refused = await easel(env, 'migrate-to-postgres', '--to', foreign)
      expect(refused.code).toBe(1)
      expect(refused.err).toContain("holds tables that are not Easel's (orders)")
      const c = new pg.Client({ connectionString: foreign })
      await c.connect()
      const tables = await c.query(
        `select table_name from information_schema.tables where table_schema = 'public'`,
      )
      await c.end()
      expect(tables.rows).toEqual([{ table_name: 'orders' }])

      // A target that changes what it is given (a trigger rewriting a column): the digests differ,
      // nothing is committed, and the database stays empty.
      const altered = await createDatabase()
      expect((await easel({ ...env, DATABASE_URL: altered }, 'migrate')).code).toBe(0)
      const a = new pg.Client({ connectionString: altered })
      await a.connect()
      await a.query(`create function easel_test_alter() returns trigger language plpgsql as $$
        begin new.reference := 'altered'; return new; end $$`)
      await a.query(
        `create trigger alter_accounts before insert on accounts for each row execute function easel_test_alter()`,
      )
      const mismatch = await easel(env, 'migrate-to-postgres', '--to', altered)
      expect(mismatch.code).toBe(1)
      expect(mismatch.err).toContain('the copy does not match its source, so nothing was committed')
      expect(mismatch.err).toContain('accounts: SQLite 1 rows')
      expect((await a.query('select count(*)::int as n from accounts')).rows).toEqual([{ n: 0 }])
      expect((await a.query('select count(*)::int as n from journal_postings')).rows).toEqual([{ n: 0 }])
      await a.end()

      expect((await easel(env, 'migrate-to-postgres', '--to', 'mysql://x/y')).code).toBe(2)
      expect((await easel(env, 'migrate-to-postgres')).code).toBe(2)
      const onPg = await easel({ ...env, DATABASE_URL: foreign }, 'migrate-to-postgres', '--to', foreign)
      expect(onPg.code).toBe(2)
      expect(onPg.err).toContain('already runs on PostgreSQL')
    } finally {
      await t.testDb.destroy()
      fs.rmSync(t.dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
