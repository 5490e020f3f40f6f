import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { createCore } from '../src/app/index.ts'
import { type DatabaseConfig, loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/open.ts'
import { systemClock } from '../src/util/clock.ts'

export type Backend = 'sqlite' | 'postgres'

export const PG_ADMIN_URL = process.env.EASEL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
  try {
    await c.connect()
    return true
  } catch {
    return false
  } finally {
    await c.end().catch(() => {})
  }
}

/** A fresh, empty database for one benchmark run; `drop` removes it. */
export async function benchDatabase(
  backend: Backend,
  poolSize: number,
): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const suffix = randomBytes(5).toString('hex')
  if (backend === 'sqlite') {
    const dir = path.resolve('.bench-data', suffix)
    fs.mkdirSync(dir, { recursive: true })
    return {
      config: { kind: 'sqlite', path: path.join(dir, 'easel.db') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  const name = `easel_bench_${suffix}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize },
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/**
 * Runs `callers` loops of `step` concurrently until `seconds` have passed; returns operations per
 * second and the latency percentiles of what `step` reports (ms).
 */
export async function drive(
  callers: number,
  seconds: number,
  step: (caller: number) => Promise<number | undefined>,
): Promise<{ opsPerSecond: number; ops: number; p50: number; p99: number }> {
  const latencies: number[] = []
  let ops = 0
  const start = performance.now()
  const end = start + seconds * 1000
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < end) {
        const latency = await step(caller)
        if (latency !== undefined) latencies.push(latency)
        ops++
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0
  return { opsPerSecond: ops / elapsed, ops, p50: pct(0.5), p99: pct(0.99) }
}

/**
 * Makes the benchmark's user on a migrated database, before the server under test starts, and
 * returns its API key; `credits` are granted as promotional credits when given.
 */
export async function benchApiKey(database: DatabaseConfig, credits?: number): Promise<string> {
  const db = await openDatabase(database)
  try {
    const url = database.kind === 'sqlite' ? `sqlite:${database.path}` : database.url
    const config = loadConfig({ DATABASE_URL: url })
    const { ledger, accounts } = await createCore(config, db, { clock: systemClock })
    const user = await accounts.createUser({ email: 'bench@example.test', password: 'bench password 1' })
    if (!user.ok) throw new Error(user.error.message)
    if (credits !== undefined) {
      const granted = await ledger.grant({
        accountId: user.value.accountId,
        amount: credits,
        source: 'promotional',
      })
      if (!granted.ok) throw new Error(granted.error.message)
    }
    const key = await accounts.createApiKey(user.value.id, { name: 'bench' })
    if (!key.ok) throw new Error(key.error.message)
    return key.value.secret
  } finally {
    await db.close()
  }
}
