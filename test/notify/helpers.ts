import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import {
  type AppLog,
  type EaselApp,
  type OpenAppOptions,
  openApp,
  type Scheduler,
} from '../../src/app/index.ts'
import { loadConfig } from '../../src/config.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { type Backend, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import { testEnv } from '../support/server.ts'

// What the mail suites share: a database per test, apps opened on it as separate processes would
// open them, a clock and a scheduler the test drives, and a log it reads.

/** A scheduler the test drives: `fire(ms)` runs, and waits for, every task scheduled every `ms`. */
export class ManualScheduler implements Scheduler {
  readonly tasks = new Set<{ ms: number; task: () => Promise<void> }>()
  every(ms: number, task: () => Promise<void>): () => void {
    const entry = { ms, task }
    this.tasks.add(entry)
    return () => this.tasks.delete(entry)
  }
  async fire(ms: number): Promise<void> {
    await Promise.all([...this.tasks].filter((t) => t.ms === ms).map((t) => t.task()))
  }
}

export interface LogLine {
  level: string
  obj: Record<string, unknown>
  msg: string
}

export function spyLog(): AppLog & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg })
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

export interface MailSuite {
  testDb: TestDatabase
  /** Another connection to the same database: the test's own eyes. */
  peer: Database
  clock: ManualClock
  scheduler: ManualScheduler
  log: ReturnType<typeof spyLog>
  /** Opens an app on the suite's database (not started); it is stopped after the test. */
  open(env?: Record<string, string>, options?: Partial<OpenAppOptions>): Promise<EaselApp>
  /** The outbox row of a mail. */
  row(id: string): Promise<OutboxRow>
  /** The outbox row's bodies (erased once a mail is sent or given up on). */
  bodies(id: string): Promise<{ text_body: string; html_body: string }>
}

export interface OutboxRow {
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  sent_at: number | null
  failed_at: number | null
  last_error: string | null
}

/** A fresh database (on `backend`), clock, scheduler and log for each test of the calling suite. */
export function useMailSuite(
  backend: Backend,
  baseEnv: () => Record<string, string> = () => ({}),
): MailSuite {
  const suite = {} as MailSuite
  let dataDir: string
  let apps: EaselApp[] = []
  beforeEach(async () => {
    suite.testDb = await createTestDatabase(backend)
    suite.peer = await suite.testDb.open()
    suite.clock = new ManualClock()
    suite.scheduler = new ManualScheduler()
    suite.log = spyLog()
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-mail-'))
    apps = []
  })
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.lifecycle.stop(0)))
    await suite.peer.close()
    await suite.testDb.destroy()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  suite.open = async (env = {}, options = {}) => {
    const config = loadConfig(testEnv(suite.testDb, dataDir, { ...baseEnv(), ...env }))
    const app = await openApp(config, {
      clock: suite.clock,
      log: suite.log,
      scheduler: suite.scheduler,
      ...options,
    })
    apps.push(app)
    return app
  }
  suite.row = (id) =>
    suite.peer.kysely
      .selectFrom('mail_outbox')
      .select(['attempts', 'next_attempt_at', 'locked_until', 'sent_at', 'failed_at', 'last_error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  suite.bodies = (id) =>
    suite.peer.kysely
      .selectFrom('mail_outbox')
      .select(['text_body', 'html_body'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  return suite
}
