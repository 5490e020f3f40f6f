import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/http/server.ts'
import { systemClock } from '../src/util/clock.ts'
import { type Backend, benchDatabase } from './support.ts'

export interface ReadsOptions {
  /** GET /api/credits requests in each of the two throughput runs. */
  requests: number
  /** Callers of GET /api/credits at once. */
  clients: number
  /** Users on the administrators' page, the administrator among them (one full page: at most 200). */
  users: number
  /** Pages of GET /api/admin/users read, one at a time. */
  pages: number
  /**
   * Hold+capture loops at once on other accounts: 50 cycles each alone, then for as long as the
   * second GET /api/credits run goes on.
   */
  writers: number
}

const PASSWORD = 'bench password 1'

/**
 * Balance reads (issue 10, item 6). They used to write: `Ledger.balance` granted the period's
 * allowances in a write transaction first, so every `GET /api/credits` committed one and
 * `GET /api/admin/users` one per user on the page; now a balance counts what is owed and writes
 * nothing, and the admin page reads all its balances at once. Measured in-process through
 * Fastify's `inject()` on a fresh database:
 * - `GET /api/credits` of one signed-in user (session cookie), `clients` at a time: req/s, p50, p99;
 * - `GET /api/admin/users?limit=<users>`, a full page, one at a time: p50, p99 per page;
 * - `GET /api/credits` again while `writers` hold+capture loops run on other accounts: a read that
 *   writes queues behind group commit's batches (on SQLite one writer for everything), and takes
 *   their places: the reads' rate against the first run's, and the writes' against their own alone.
 * Each run is bounded by a count of requests, not by time.
 */
export async function benchReads(backend: Backend, o: ReadsOptions, print: (line: string) => void) {
  const database = await benchDatabase(backend, 8)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-bench-reads-'))
  const url = database.config.kind === 'sqlite' ? `sqlite:${database.config.path}` : database.config.url
  let server: RunningServer | undefined
  try {
    server = await startServer(
      loadConfig({
        DATABASE_URL: url,
        EASEL_DATA_DIR: dataDir,
        EASEL_DB_POOL_SIZE: '8',
        PORT: '0',
        HOST: '127.0.0.1',
        EASEL_LOG_LEVEL: 'silent',
        EASEL_RATE_LIMIT_PER_KEY: '10000000',
        EASEL_RATE_LIMIT_PER_IP: '10000000',
      }),
      { clock: systemClock },
    )
    const { app, services } = server
    const { accounts, ledger } = services

    // The page's users, the administrator and the reader among them. Hashing passwords is the slow
    // part of this set-up, so a few at a time (the hashes run on worker threads).
    const made: string[] = []
    for (let start = 0; start < o.users; start += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, o.users - start) }, async (_, k) => {
          const i = start + k
          const email = i === 0 ? 'admin@bench.test' : i === 1 ? 'reader@bench.test' : `user${i}@bench.test`
          const user = await accounts.createUser({
            email,
            password: PASSWORD,
            ...(i === 0 ? { role: 'admin' as const } : {}),
          })
          if (!user.ok) throw new Error(user.error.message)
          made.push(user.value.id)
        }),
      )
    }
    const signIn = async (email: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { email, password: PASSWORD },
      })
      const cookie = res.cookies.find((c) => c.name === 'easel_session')
      if (res.statusCode !== 200 || !cookie) throw new Error(`sign-in answered ${res.statusCode}`)
      return `easel_session=${cookie.value}`
    }
    const admin = await signIn('admin@bench.test')
    const reader = await signIn('reader@bench.test')

    // The writers' accounts: funded so that they never run out.
    const others: string[] = []
    for (let i = 0; i < Math.max(1, o.writers * 4); i++) {
      const a = await ledger.createAccount({})
      if (!a.ok) throw new Error(a.error.message)
      const g = await ledger.grant({
        accountId: a.value.accountId,
        amount: 1_000_000_000,
        source: 'purchase',
      })
      if (!g.ok) throw new Error(g.error.message)
      others.push(a.value.accountId)
    }

    const credits = async () => {
      // Requests arrive from the network, so the event loop turns between them (and group commit's
      // batch, scheduled with setImmediate, gets its turn). inject() alone chains everything in
      // microtasks: reads that never wait on a write would starve the writers, here only.
      await new Promise((resolve) => setImmediate(resolve))
      const t0 = performance.now()
      const res = await app.inject({ method: 'GET', url: '/api/credits', headers: { cookie: reader } })
      if (res.statusCode !== 200) throw new Error(`GET /api/credits answered ${res.statusCode}`)
      return performance.now() - t0
    }
    const adminPage = async () => {
      const t0 = performance.now()
      const res = await app.inject({
        method: 'GET',
        url: `/api/admin/users?limit=${o.users}`,
        headers: { cookie: admin },
      })
      if (res.statusCode !== 200) throw new Error(`GET /api/admin/users answered ${res.statusCode}`)
      const n = (res.json() as { users: unknown[] }).users.length
      if (n !== made.length) throw new Error(`the admin page listed ${n} users, not ${made.length}`)
      return performance.now() - t0
    }

    // Warm-up: JIT, statement caches, and every account's first allowance (granted once, for real).
    await byCount(o.clients, Math.min(200, o.requests), credits)
    await byCount(1, 2, adminPage)

    const alone = await byCount(o.clients, o.requests, credits)
    const page = await byCount(1, o.pages, adminPage)

    // Holds and captures on other accounts: alone first, then while the same reads run again.
    const cycle = async () => {
      const t = performance.now()
      const accountId = others[Math.floor(Math.random() * others.length)]!
      const hold = await ledger.hold({ accountId, amount: 1, ttlMs: 60_000 })
      if (!hold.ok) throw new Error(hold.error.message)
      const capture = await ledger.capture({ holdId: hold.value.holdId })
      if (!capture.ok) throw new Error(capture.error.message)
      return performance.now() - t
    }
    const writesAlone = await byCount(o.writers, o.writers * 50, cycle)
    let writing = true
    let cycles = 0
    const writers = Promise.all(
      Array.from({ length: o.writers }, async () => {
        // Bounded by count too, should the reads never finish.
        for (let n = 0; writing && n < 100_000; n++) {
          await cycle()
          cycles++
        }
      }),
    )
    const t0 = performance.now()
    let loaded: Awaited<ReturnType<typeof byCount>>
    try {
      loaded = await byCount(o.clients, o.requests, credits)
    } finally {
      writing = false
    }
    const writesUnderReads = cycles / ((performance.now() - t0) / 1000)
    await writers

    const f = (n: number) => n.toFixed(1)
    print(
      `bench reads backend=${backend} credits_rps=${alone.perSecond.toFixed(0)} credits_p50_ms=${f(alone.p50)} credits_p99_ms=${f(alone.p99)} ` +
        `admin_page_p50_ms=${f(page.p50)} admin_page_p99_ms=${f(page.p99)} ` +
        `credits_under_writes_rps=${loaded.perSecond.toFixed(0)} credits_under_writes_p50_ms=${f(loaded.p50)} credits_under_writes_p99_ms=${f(loaded.p99)} ` +
        `under_writes_ratio=${(loaded.perSecond / alone.perSecond).toFixed(2)} ` +
        `write_cycles_alone_per_s=${writesAlone.perSecond.toFixed(0)} write_cycles_under_reads_per_s=${writesUnderReads.toFixed(0)} ` +
        `write_cycles_ratio=${(writesUnderReads / writesAlone.perSecond).toFixed(2)} ` +
        `requests=${o.requests} clients=${o.clients} page_users=${made.length} pages=${o.pages} writers=${o.writers}`,
    )
  } finally {
    await server?.close()
    await database.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * Makes `total` calls of `step`, `callers` at a time; returns calls per second and the percentiles
 * of the latencies `step` reports (ms).
 */
async function byCount(
  callers: number,
  total: number,
  step: () => Promise<number>,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = []
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(callers, total) }, async () => {
      while (next < total) {
        next++
        latencies.push(await step())
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0
  return { perSecond: total / seconds, p50: pct(0.5), p99: pct(0.99) }
}
