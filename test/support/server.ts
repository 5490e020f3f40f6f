import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { User } from '../../src/accounts/index.ts'
import type { Scheduler } from '../../src/app/index.ts'
import { loadConfig } from '../../src/config.ts'
import type { ImageEngine } from '../../src/engines/engine.ts'
import { type RunningServer, startServer } from '../../src/http/server.ts'
import type { MailTransport } from '../../src/notify/index.ts'
import { type Clock, systemClock } from '../../src/util/clock.ts'
import { type Backend, createTestDatabase, type TestDatabase } from './backends.ts'

export interface TestServer {
  readonly server: RunningServer
  readonly testDb: TestDatabase
  readonly dataDir: string
  /** The server's base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string
  /** A new user (unique email) with an API key; `credits` sets the account's balance exactly. */
  user(options?: { cohorts?: string[]; role?: 'user' | 'admin'; credits?: number }): Promise<TestUser>
  close(): Promise<void>
}

export interface TestUser {
  user: User
  apiKey: string
  email: string
  password: string
}

/** The environment a test server runs with (DATABASE_URL and the data directory added). */
export function testEnv(
  testDb: TestDatabase,
  dataDir: string,
  env: Record<string, string> = {},
): Record<string, string> {
  const databaseUrl = testDb.config.kind === 'sqlite' ? `sqlite:${testDb.config.path}` : testDb.config.url
  return {
    DATABASE_URL: databaseUrl,
    EASEL_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    EASEL_LOG_LEVEL: 'silent',
    ...env,
  }
}

let serial = 0

/** Periodic work that never runs: tests that want a sweep pass a scheduler they drive. */
const neverScheduler: Scheduler = { every: () => () => {} }

/**
 * Starts an Easel server on a fresh database of `backend`, listening on a free port: built through
 * the composition root (src/app/) with its lifecycle started, as `easel start` builds it.
 */
export async function startTestServer(
  backend: Backend,
  options: {
    env?: Record<string, string>
    engines?: ImageEngine[]
    clock?: Clock
    /**
     * Drives the server's periodic sweeps and recovery by hand. Default: never, so a test's clock
     * alone decides what is due and no timer can expire a hold in the middle of a test; start-up
     * still recovers and sweeps once, as `easel start` does.
     */
    scheduler?: Scheduler
    /** Where the server's mail goes instead of the log (mail off) or SMTP, e.g. a MailRecorder. */
    mailTransport?: MailTransport
  } = {},
): Promise<TestServer> {
  const testDb = await createTestDatabase(backend)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-data-'))
  const config = loadConfig(testEnv(testDb, dataDir, options.env))
  const server = await startServer(config, {
    clock: options.clock ?? systemClock,
    ...(options.engines ? { engines: options.engines } : {}),
    scheduler: options.scheduler ?? neverScheduler,
    ...(options.mailTransport ? { mailTransport: options.mailTransport } : {}),
  })
  const { accounts } = server.services
  return {
    server,
    testDb,
    dataDir,
    url: server.url,
    async user(o = {}) {
      const email = `user${++serial}-${process.pid}-${Date.now()}@example.test`
      const password = 'correct horse battery'
      const created = await accounts.createUser({
        email,
        password,
        ...(o.role ? { role: o.role } : {}),
        ...(o.cohorts ? { cohorts: o.cohorts } : {}),
      })
      if (!created.ok) throw new Error(created.error.message)
      const user = created.value
      const key = await accounts.createApiKey(user.id, { name: 'test' })
      if (!key.ok) throw new Error(key.error.message)
      if (o.credits !== undefined) await setCredits(server, user.accountId, o.credits)
      return { user, apiKey: key.value.secret, email, password }
    },
    async close() {
      await server.close()
      await testDb.destroy()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Brings an account to exactly `credits` available: its free allowance is granted first (as any
 * first activity would), then spent down by holds captured outright, or topped up by a grant.
 */
export async function setCredits(server: RunningServer, accountId: string, credits: number): Promise<void> {
  const { ledger } = server.services
  const balance = await ledger.balance(accountId)
  if (!balance.ok) throw new Error(balance.error.message)
  const have = balance.value.available
  if (have < credits) {
    const g = await ledger.grant({ accountId, amount: credits - have, source: 'promotional' })
    if (!g.ok) throw new Error(g.error.message)
  } else if (have > credits) {
    const h = await ledger.hold({ accountId, amount: have - credits, reference: 'test: spend down' })
    if (!h.ok) throw new Error(h.error.message)
    const c = await ledger.capture({ holdId: h.value.holdId })
    if (!c.ok) throw new Error(c.error.message)
  }
}

/** A server for the suite: started before its tests, closed after them. */
export function useTestServer(
  backend: Backend,
  options: Parameters<typeof startTestServer>[1] = {},
): { readonly current: TestServer } {
  const holder = {} as { current: TestServer }
  beforeAll(async () => {
    holder.current = await startTestServer(backend, options)
  }, 60_000)
  afterAll(async () => {
    await holder.current?.close()
  })
  return holder
}
