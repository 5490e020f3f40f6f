import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { Accounts } from '../../src/accounts/index.ts'
import { run } from '../../src/cli/main.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import type { ManualClock } from '../../src/util/clock.ts'
import { type Backend, useTestDatabase } from '../support/backends.ts'

/** Runs the CLI in-process against `env`; collects what it prints. */
export async function easel(env: Record<string, string>, clock: ManualClock, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  // A stop signal of our own: none of these commands runs until stopped, and without one every run
  // would add SIGINT/SIGTERM listeners to the process.
  const stopSignal = new Promise<void>(() => {})
  const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l), stopSignal })
  return { code, out: out.join('\n'), err: err.join('\n'), lines: out }
}

/**
 * A database of its own for a CLI suite on `backend`: `accounts` on it (to set up and check what a
 * command did, on `clock`), and the `env` the CLI is run with to reach it (and a data directory).
 * Made before the suite's tests, removed after them; read the fields inside tests and hooks.
 */
export function useCliDatabase(
  backend: Backend,
  clock: ManualClock,
): { readonly db: Database; readonly accounts: Accounts; readonly env: Record<string, string> } {
  const database = useTestDatabase(backend)
  const suite = {} as { db: Database; accounts: Accounts; env: Record<string, string>; dataDir: string }
  beforeAll(() => {
    suite.db = database.db
    suite.accounts = new Accounts(
      suite.db,
      new Ledger(suite.db, { clock, pricing: staticPricing(LABS_2022) }),
      {
        clock,
      },
    )
    suite.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-cli-'))
    const c = database.testDb.config
    suite.env = {
      EASEL_DATA_DIR: suite.dataDir,
      DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}`,
    }
  })
  afterAll(() => {
    if (suite.dataDir) fs.rmSync(suite.dataDir, { recursive: true, force: true })
  })
  return suite
}
