import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Accounts, listAudit } from '../../src/accounts/index.ts'
import { run } from '../../src/cli/main.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'

/** Runs the CLI in-process against `env`; collects what it prints. */
async function easel(env: Record<string, string>, clock: ManualClock, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const stopSignal = new Promise<void>(() => {})
  const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l), stopSignal })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe.each(BACKENDS)(
  'easel records its administrative actions in the audit log, as cli (%s)',
  (backend) => {
    let testDb: TestDatabase
    let db: Database
    let accounts: Accounts
    let env: Record<string, string>
    let dataDir: string
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 12))

    beforeAll(async () => {
      testDb = await createTestDatabase(backend)
      db = await testDb.open()
      accounts = new Accounts(db, new Ledger(db, { clock, pricing: staticPricing(LABS_2022) }), { clock })
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-cli-audit-'))
      const c = testDb.config
      env = { EASEL_DATA_DIR: dataDir, DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}` }
    })
    afterAll(async () => {
      await db.close()
      await testDb.destroy()
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    it('credits grant, users set and keys revoke each write one row with actor cli; a refused grant none', async () => {
      const email = `audit-${randomBytes(5).toString('hex')}@example.com`
      const created = await accounts.createUser({ email, password: 'correct horse battery' })
      expect(created.ok).toBe(true)
      const user = created.ok ? created.value : undefined
      const granted = await easel(
        env,
        clock,
        'credits',
        'grant',
        '--email',
        email,
        '--amount',
        '40',
        '--source',
        'bonus',
        '--reference',
        'launch gift',
      )
      expect(granted.code).toBe(0)
      const refused = await easel(
        env,
        clock,
        'credits',
        'grant',
        '--account',
        'acct_nobody',
        '--amount',
        '40',
        '--source',
        'bonus',
      )
      expect(refused.code).not.toBe(0)
      const grants = await listAudit(db, { action: 'credits.grant' })
      expect(grants.entries).toEqual([
        expect.objectContaining({
          actorUserId: null,
          actorLabel: 'cli',
          subject: user!.accountId,
          reason: 'launch gift',
          details: expect.objectContaining({ amount: 40, source: 'bonus' }),
        }),
      ])

      clock.advance(1000)
      const set = await easel(
        env,
        clock,
        'users',
        'set',
        '--email',
        email,
        '--plan',
        'pro',
        '--reason',
        'upgrade',
      )
      expect(set.code).toBe(0)
      const key = await accounts.createApiKey(user!.id, { name: 'k' })
      expect(key.ok).toBe(true)
      const keyId = key.ok ? key.value.key.id : ''
      clock.advance(1000)
      expect((await easel(env, clock, 'keys', 'revoke', '--id', keyId, '--reason', 'leaked')).code).toBe(0)

      const listed = await easel(env, clock, 'audit', '--json')
      expect(listed.code).toBe(0)
      const page = JSON.parse(listed.out) as {
        entries: Array<{ action: string; actorLabel: string; reason: string }>
      }
      expect(page.entries.map((e) => [e.action, e.actorLabel, e.reason])).toEqual([
        ['apikey.revoke', 'cli', 'leaked'],
        ['user.update', 'cli', 'upgrade'],
        ['credits.grant', 'cli', 'launch gift'],
      ])
      const human = await easel(env, clock, 'audit', '--action', 'user.update')
      expect(human.out).toMatch(/user\.update .*upgrade/)
      expect(human.out).toContain('"plan":{"before":"free","after":"pro"}')
      expect((await easel(env, clock, 'audit', '--action', 'nope')).code).toBe(2)
    })
  },
)
