import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Accounts } from '../../src/accounts/index.ts'
import { JobBody, OpenAiErrorBody } from '../../src/contracts/index.ts'
import { Ledger } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { systemClock } from '../../src/util/clock.ts'
import { keyed } from '../support/api-client.ts'
import { BACKENDS, createTestDatabase } from '../support/backends.ts'
import { readJson } from '../support/contracts.ts'
import { startFakeSdWebUi } from '../support/fake-sdwebui.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser, testEnv } from '../support/server.ts'
import { spawnEasel } from '../support/spawn-easel.ts'

describe.each(BACKENDS)('every failure path of a job releases its hold (%s)', (backend) => {
  const engine = new ScriptedEngine('scripted')
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer(backend, { engines: [engine], env: { EASEL_ENGINE_TIMEOUT: '300ms' } })
  }, 60_000)
  afterAll(() => t?.close())

  const api = (user: TestUser, method: string, url: string, body?: unknown) =>
    keyed(t.url, user.apiKey)(method, url, body)

  /** Starts a job through the native API and waits for it to finish. */
  async function runJob(user: TestUser) {
    const started = await api(user, 'POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a harbour at dawn',
      size: '256x256',
    })
    expect(started.status).toBe(202)
    expect(started.as(JobBody).status).toBe('queued')
    const job = await t.server.services.studio.waitForJob(user.user.accountId, started.as(JobBody).id)
    return { job, fetched: (await api(user, 'GET', `/api/jobs/${job.id}`)).as(JobBody) }
  }

  async function expectReleased(user: TestUser, holdId: string | null) {
    const { ledger, db } = t.server.services
    const b = await ledger.balance(user.user.accountId)
    expect(b.ok && b.value).toMatchObject({ available: 15, held: 0 })
    const hold = await db.kysely
      .selectFrom('holds')
      .select('status')
      .where('id', '=', holdId!)
      .executeTakeFirstOrThrow()
    expect(hold.status).toBe('released')
  }

  it.each([
    ['fail', 'UPSTREAM_ERROR', /CUDA out of memory/],
    ['content_policy', 'CONTENT_POLICY', /safety/],
    ['hang', 'TIMEOUT', /did not finish within 0 s|did not finish/],
    ['empty', 'NO_IMAGES', /no images/],
    ['throw', 'ENGINE_ERROR', /failed unexpectedly/],
  ] as const)('engine behaviour %s → failed with %s, nothing charged', async (behaviour, code, message) => {
    engine.behaviour = behaviour
    const user = await t.user()
    const { job, fetched } = await runJob(user)
    expect(job.status).toBe('failed')
    expect(fetched).toMatchObject({ status: 'failed', creditsCharged: 0, images: [], error: { code } })
    expect(fetched.error?.message).toMatch(message)
    await expectReleased(user, job.holdId)
  })

  it('through /v1 a failed job answers in OpenAI’s shape with x-credits-charged: 0', async () => {
    engine.behaviour = 'content_policy'
    const user = await t.user()
    const res = await fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'something the upstream dislikes' }),
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('x-credits-charged')).toBe('0')
    expect(res.headers.get('x-credits-remaining')).toBe('15')
    expect((await readJson(res, OpenAiErrorBody)).error).toMatchObject({ code: 'content_policy_violation' })
    engine.behaviour = 'fail'
    const failed = await fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a boat' }),
    })
    expect(failed.status).toBe(502)
    expect((await readJson(failed, OpenAiErrorBody)).error).toMatchObject({
      type: 'server_error',
      code: 'engine_error',
    })
    const b = await t.server.services.ledger.balance(user.user.accountId)
    expect(b.ok && b.value.available).toBe(15)
  })

  it('a job that succeeds is charged once, and the ledger verifies after all of this', async () => {
    engine.behaviour = 'ok'
    const user = await t.user()
    const { job } = await runJob(user)
    expect(job).toMatchObject({ status: 'succeeded', creditsCharged: 1 })
    expect(job.images).toHaveLength(4)
    const report = await t.server.services.ledger.verify()
    expect(report.violations).toEqual([])
  })
})

describe.each(BACKENDS)('jobs running when Easel stops (%s)', (backend) => {
  it('a graceful shutdown stops running jobs after the grace period and releases their holds', async () => {
    const engine = new ScriptedEngine('scripted')
    const t = await startTestServer(backend, { engines: [engine] })
    let closed = false
    try {
      engine.behaviour = 'hang'
      const user = await t.user()
      const { studio, ledger } = t.server.services
      const submitted = await studio.submit({
        kind: 'generate',
        prompt: 'a long job',
        size: 256,
        accountId: user.user.accountId,
        userId: user.user.id,
      })
      if (!submitted.ok) throw new Error(submitted.error.message)
      const stillOpen = await ledger.balance(user.user.accountId)
      expect(stillOpen.ok && stillOpen.value.held).toBe(1)
      await t.server.close(0)
      closed = true
      const job = await submitted.value.done
      expect(job).toMatchObject({ status: 'failed', error: { code: 'CANCELLED' } })
      // Reopen the database to look at what was settled.
      const db = await t.testDb.open()
      try {
        const hold = await db.kysely
          .selectFrom('holds')
          .select('status')
          .where('id', '=', job.holdId!)
          .executeTakeFirstOrThrow()
        expect(hold.status).toBe('released')
      } finally {
        await db.close()
      }
    } finally {
      if (closed) {
        await t.testDb.destroy()
        fs.rmSync(t.dataDir, { recursive: true, force: true })
      } else await t.close()
    }
  }, 60_000)

  it('a crash mid-job: the restarted process fails the job and releases its hold', async () => {
    const upstream = await startFakeSdWebUi()
    upstream.behaviour = 'hang'
    const testDb = await createTestDatabase(backend)
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-crash-'))
    const env = testEnv(testDb, dataDir, {
      EASEL_LOG_LEVEL: 'warn',
      EASEL_SDWEBUI_URL: upstream.url,
      EASEL_DEFAULT_ENGINE: 'sdwebui',
    })
    const db = await testDb.open()
    try {
      const ledger = new Ledger(db, { pricing: await DatabasePricing.load(db.kysely, systemClock) })
      const accounts = new Accounts(db, ledger)
      const user = await accounts.createUser({
        email: 'crash@example.test',
        password: 'correct horse battery',
      })
      if (!user.ok) throw new Error(user.error.message)
      const key = await accounts.createApiKey(user.value.id, {})
      if (!key.ok) throw new Error(key.error.message)

      const first = await spawnEasel(env)
      const res = await fetch(`${first.url}/api/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.value.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'generate', prompt: 'a slow painting', size: '512x512' }),
      })
      expect(res.status).toBe(202)
      const jobId = (await readJson(res, JobBody)).id
      // The upstream has the request: the job is running when the process dies.
      await upstream.received(1)
      await first.kill()
      const during = await ledger.balance(user.value.accountId)
      expect(during.ok && during.value).toMatchObject({ available: 14, held: 1 })

      const second = await spawnEasel(env)
      try {
        const job = await db.kysely
          .selectFrom('jobs')
          .selectAll()
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow()
        expect(job).toMatchObject({ status: 'failed', error_code: 'INTERRUPTED' })
        const after = await ledger.balance(user.value.accountId)
        expect(after.ok && after.value).toMatchObject({ available: 15, held: 0 })
        expect((await ledger.verify()).violations).toEqual([])
      } finally {
        await second.stop()
      }
    } finally {
      await db.close()
      await upstream.close()
      await testDb.destroy()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
