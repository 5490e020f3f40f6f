import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { Accounts } from '../../src/accounts/index.ts'
import { run } from '../../src/cli/main.ts'
import { Ledger } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { systemClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase } from '../support/backends.ts'
import { setCredits, startTestServer, testEnv } from '../support/server.ts'
import { spawnEasel } from '../support/spawn-easel.ts'

async function fireThirty(urls: string[], apiKey: string) {
  const clients = urls.map((url) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }))
  return Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      clients[i % clients.length]!.images.generate({
        prompt: `a lighthouse, take ${i}`,
        size: '256x256',
        response_format: 'b64_json',
      }).then(
        (r) => ({ ok: true as const, images: r.data?.length ?? 0 }),
        (e: InstanceType<typeof OpenAI.APIError>) => ({ ok: false as const, status: e.status, code: e.code }),
      ),
    ),
  )
}

async function verify(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const out: string[] = []
  const code = await run(['ledger', 'verify'], { env, out: (l) => out.push(l), err: (l) => out.push(l) })
  return { code, out: out.join('\n') }
}

describe.each(BACKENDS)('30 generations at once on an account with 10 credits (%s)', (backend) => {
  it('exactly 10 succeed, the rest are refused for credits, the balance is 0 and the ledger verifies', async () => {
    const t = await startTestServer(backend)
    try {
      const { user, apiKey } = await t.user({ credits: 10 })
      const results = await fireThirty([t.url], apiKey)
      const ok = results.filter((r) => r.ok)
      expect(ok).toHaveLength(10)
      expect(ok.every((r) => r.ok && r.images === 4)).toBe(true)
      expect(
        results.filter((r) => !r.ok && r.status === 429 && r.code === 'insufficient_quota'),
      ).toHaveLength(20)
      const b = await t.server.services.ledger.balance(user.accountId)
      expect(b.ok && b.value).toMatchObject({ available: 0, held: 0 })
      expect(await verify(testEnv(t.testDb, t.dataDir))).toMatchObject({ code: 0 })
    } finally {
      await t.close()
    }
  }, 60_000)
})

describe.runIf(BACKENDS.includes('postgres'))('two Easel processes sharing one PostgreSQL database', () => {
  it('serve 30 generations on a 10-credit account between them: exactly 10 succeed', async () => {
    const testDb = await createTestDatabase('postgres')
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-two-'))
    const env = testEnv(testDb, dataDir, { EASEL_LOG_LEVEL: 'warn' })
    const processes = await Promise.all([spawnEasel(env), spawnEasel(env)])
    try {
      // The test makes the user and key on the shared database, as `easel users create` would.
      const db = await testDb.open()
      try {
        const pricing = await DatabasePricing.load(db.kysely, systemClock)
        const ledger = new Ledger(db, { pricing })
        const accounts = new Accounts(db, ledger)
        const user = await accounts.createUser({
          email: 'two@example.test',
          password: 'correct horse battery',
        })
        if (!user.ok) throw new Error(user.error.message)
        const key = await accounts.createApiKey(user.value.id, {})
        if (!key.ok) throw new Error(key.error.message)
        await setCredits({ services: { ledger } } as never, user.value.accountId, 10)

        const results = await fireThirty(
          processes.map((p) => p.url),
          key.value.secret,
        )
        expect(results.filter((r) => r.ok)).toHaveLength(10)
        expect(results.filter((r) => !r.ok && r.status === 429)).toHaveLength(20)
        const b = await ledger.balance(user.value.accountId)
        expect(b.ok && b.value).toMatchObject({ available: 0, held: 0 })
        const jobs = await db.kysely.selectFrom('jobs').select(['status', 'credits_charged']).execute()
        expect(jobs).toHaveLength(10)
        expect(jobs.every((j) => j.status === 'succeeded' && Number(j.credits_charged) === 1)).toBe(true)
      } finally {
        await db.close()
      }
      expect(await verify(env)).toMatchObject({ code: 0 })
    } finally {
      await Promise.all(processes.map((p) => p.stop()))
      await testDb.destroy()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
