import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import OpenAI from 'openai'
import { afterAll, describe, expect, it } from 'vitest'
import { Accounts } from '../../src/accounts/index.ts'
import { run } from '../../src/cli/main.ts'
import { loadConfig } from '../../src/config.ts'
import { ImagesPage } from '../../src/contracts/index.ts'
import { Ledger } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { openDatabase } from '../../src/db/open.ts'
import { startServer } from '../../src/http/server.ts'
import { manifestSchema } from '../../src/ops/backup-manifest.ts'
import { systemClock } from '../../src/util/clock.ts'
import { keyed } from '../support/api-client.ts'
import { setCredits } from '../support/server.ts'
import { spawnEasel } from '../support/spawn-easel.ts'

const dirs: string[] = []
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

async function easel(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, {
    env: { EASEL_LOG_LEVEL: 'silent', ...env },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stopSignal: new Promise<void>(() => {}),
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** An SQLite installation in `dataDir` with one user holding `credits`; returns the user's API key. */
async function install(dataDir: string, credits: number): Promise<{ apiKey: string; accountId: string }> {
  const db = await openDatabase({ kind: 'sqlite', path: path.join(dataDir, 'easel.db') })
  try {
    const pricing = await DatabasePricing.load(db.kysely, systemClock)
    const ledger = new Ledger(db, { pricing })
    const accounts = new Accounts(db, ledger)
    const user = await accounts.createUser({
      email: 'backup@example.test',
      password: 'correct horse battery',
    })
    if (!user.ok) throw new Error(user.error.message)
    const key = await accounts.createApiKey(user.value.id, {})
    if (!key.ok) throw new Error(key.error.message)
    await setCredits({ services: { ledger } } as never, user.value.accountId, credits)
    return { apiKey: key.value.secret, accountId: user.value.accountId }
  } finally {
    await db.close()
  }
}

/** Generations that succeed before the backup starts. */
const WARM_UP = 12

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

describe('easel backup and restore (SQLite)', () => {
  it('a backup taken while a server generates and deletes images restores into a new directory that verifies and serves every image', async () => {
    const source = tempDir('easel-backup-src-')
    const { apiKey } = await install(source, 100_000)
    const server = await spawnEasel({ EASEL_DATA_DIR: source, EASEL_LOG_LEVEL: 'warn' })
    const backupDir = path.join(tempDir('easel-backup-'), 'backup')
    const deleted = new Set<string>()
    let generated = 0
    try {
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 })
      const call = keyed(server.url, apiKey)
      // Load until the backup is done: four clients generating, one of them deleting an image after
      // each generation. The backup starts once WARM_UP generations have succeeded, and the load
      // stops four generations after it is done, so the load runs before, during and after it
      // without any timing guess.
      let stopAt = Number.POSITIVE_INFINITY
      let warmedUp!: () => void
      const warm = new Promise<void>((resolve) => {
        warmedUp = resolve
      })
      const worker = async (w: number) => {
        while (generated < stopAt) {
          const r = await openai.images.generate({ prompt: `a backup, client ${w}`, size: '256x256', n: 2 })
          expect(r.data).toHaveLength(2)
          if (++generated >= WARM_UP) warmedUp()
          if (w === 0) {
            const listed = (await call('GET', '/api/images?limit=5')).as(ImagesPage)
            const victim = listed.images.find((i) => !deleted.has(i.id))
            if (victim) {
              deleted.add(victim.id)
              expect((await call('DELETE', `/api/images/${victim.id}`)).status).toBe(204)
            }
          }
        }
      }
      const load = Promise.all([0, 1, 2, 3].map(worker))
      await warm
      const backup = await easel({ EASEL_DATA_DIR: source }, 'backup', '--to', backupDir)
      // Four more after the backup: jobs the snapshot cannot have seen.
      stopAt = generated + 4
      await load
      expect(backup.err).toBe('')
      expect(backup.code, backup.out).toBe(0)
      expect(backup.out).toContain(`Restore with: easel restore --from ${backupDir}`)
    } finally {
      expect(await server.stop()).toBe(0)
    }

    const manifest = manifestSchema.parse(
      JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')),
    )
    expect(manifest.tables.jobs).toBeGreaterThan(0)
    expect(manifest.images.referenced).toBeGreaterThan(0)
    // Only images the load deleted after the snapshot can be missing from the backup.
    for (const id of manifest.images.missing) expect(deleted.has(id)).toBe(true)
    // A snapshot from the middle of the load: the installation went on recording jobs after it.
    const live = new BetterSqlite3(path.join(source, 'easel.db'), { readonly: true })
    const liveJobs = (live.prepare('select count(*) as n from jobs').get() as { n: number }).n
    live.close()
    expect(manifest.tables.jobs).toBeGreaterThanOrEqual(WARM_UP)
    expect(liveJobs).toBeGreaterThan(manifest.tables.jobs!)

    const target = path.join(tempDir('easel-restore-'), 'data')
    const restored = await easel({ EASEL_DATA_DIR: target }, 'restore', '--from', backupDir)
    expect(restored.err).toBe('')
    expect(restored.code, restored.out).toBe(0)
    expect(restored.out).toContain('OK: every invariant holds.')

    // Every image of every succeeded job in the backup, served by a server started on the restore.
    const snapshot = new BetterSqlite3(path.join(backupDir, 'easel.db'), { readonly: true })
    const images = snapshot
      .prepare(
        `select i.id, i.sha256 from images i join jobs j on j.id = i.job_id
         where j.status = 'succeeded' and j.deleted_at is null and i.removed_at is null`,
      )
      .all() as { id: string; sha256: string }[]
    snapshot.close()
    expect(images.length).toBe(manifest.images.referenced)
    const missing = new Set(manifest.images.missing)
    const restarted = await startServer(
      loadConfig({ EASEL_DATA_DIR: target, PORT: '0', HOST: '127.0.0.1', EASEL_LOG_LEVEL: 'silent' }),
      { clock: systemClock },
    )
    try {
      const call = keyed(restarted.url, apiKey)
      for (const image of images.filter((i) => !missing.has(i.id))) {
        const res = await fetch(`${restarted.url}/api/images/${image.id}/content`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
        expect(res.status, image.id).toBe(200)
        expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(image.sha256)
      }
      expect((await call('GET', '/api/images?limit=1')).status).toBe(200)
    } finally {
      await restarted.close()
    }
    const verify = await easel({ EASEL_DATA_DIR: target }, 'ledger', 'verify')
    expect(verify.code, verify.out).toBe(0)
  }, 120_000)

  it('refuses what it must: a non-empty target, a damaged backup, an occupied backup folder, PostgreSQL', async () => {
    const source = tempDir('easel-backup-src-')
    await install(source, 50)
    const backupDir = path.join(tempDir('easel-backup-'), 'b')
    expect((await easel({ EASEL_DATA_DIR: source }, 'backup', '--to', backupDir)).code).toBe(0)

    // Into the installation itself (not empty): refused, nothing touched.
    const dbBefore = fs.readFileSync(path.join(source, 'easel.db'))
    const over = await easel({ EASEL_DATA_DIR: source }, 'restore', '--from', backupDir)
    expect(over.code).toBe(1)
    expect(over.err).toContain('is not empty: easel restore only restores into an empty data directory')
    expect(fs.readFileSync(path.join(source, 'easel.db')).equals(dbBefore)).toBe(true)

    // A backup folder that is not empty is never written into.
    const again = await easel({ EASEL_DATA_DIR: source }, 'backup', '--to', backupDir)
    expect(again.code).toBe(2)
    expect(again.err).toContain('must be an empty or new directory')

    // A damaged database: refused before anything is written.
    const damaged = path.join(tempDir('easel-damaged-'), 'b')
    fs.cpSync(backupDir, damaged, { recursive: true })
    fs.appendFileSync(path.join(damaged, 'easel.db'), Buffer.from([0]))
    const target = path.join(tempDir('easel-restore-'), 'data')
    const bad = await easel({ EASEL_DATA_DIR: target }, 'restore', '--from', damaged)
    expect(bad.code).toBe(1)
    expect(bad.err).toContain("does not match the manifest's SHA-256")
    expect(fs.existsSync(target)).toBe(false)

    // A folder without a manifest is not a backup.
    fs.rmSync(path.join(damaged, 'manifest.json'))
    const none = await easel({ EASEL_DATA_DIR: target }, 'restore', '--from', damaged)
    expect(none.code).toBe(1)
    expect(none.err).toContain('is not a complete Easel backup')

    // Missing options are usage errors.
    expect((await easel({ EASEL_DATA_DIR: target }, 'restore')).code).toBe(2)
    expect((await easel({ EASEL_DATA_DIR: source }, 'backup')).code).toBe(2)

    // PostgreSQL: an explanation of pg_dump and the object store's tools, and a failing status.
    const pg = await easel(
      { EASEL_DATA_DIR: source, DATABASE_URL: 'postgres://easel@127.0.0.1:1/none' },
      'backup',
      '--to',
      path.join(tempDir('easel-pg-'), 'b'),
    )
    expect(pg.code).toBe(1)
    expect(pg.err).toContain('pg_dump --format=custom')
    expect(pg.err).toContain('pg_restore')
    expect(pg.err).toContain('aws s3 sync')
  }, 60_000)
})
