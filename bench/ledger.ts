import type { DatabaseConfig } from '../src/config.ts'
import { Ledger } from '../src/credits/index.ts'
import { type Database, openDatabase } from '../src/db/open.ts'
import { baseline } from './baseline.ts'
import { seedHistory } from './seed.ts'
import { type Backend, benchDatabase, drive } from './support.ts'

export interface LedgerBenchOptions {
  callers: number
  accounts: number
  seconds: number
  /** Lots of history to add before (d); journal rows are 10 per lot. */
  seedLots: number
  poolSize: number
}

/** Creates `n` accounts, each with a lot large enough never to run out during the run. */
async function fundAccounts(ledger: Ledger, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let start = 0; start < n; start += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, n - start) }, async () => {
        const a = await ledger.createAccount({})
        if (!a.ok) throw new Error(a.error.message)
        const g = await ledger.grant({
          accountId: a.value.accountId,
          amount: 1_000_000_000,
          source: 'purchase',
        })
        if (!g.ok) throw new Error(g.error.message)
        return a.value.accountId
      }),
    )
    ids.push(...batch)
  }
  return ids
}

/** Hold+capture cycles by `callers` concurrent callers over `accounts`; latency is the hold's. */
async function cycles(ledger: Ledger, accounts: readonly string[], callers: number, seconds: number) {
  return drive(callers, seconds, async () => {
    const accountId = accounts[Math.floor(Math.random() * accounts.length)]!
    const t = performance.now()
    const hold = await ledger.hold({ accountId, amount: 1, ttlMs: 60_000 })
    const latency = performance.now() - t
    if (!hold.ok) throw new Error(hold.error.message)
    const capture = await ledger.capture({ holdId: hold.value.holdId })
    if (!capture.ok) throw new Error(capture.error.message)
    return latency
  })
}

function line(backend: Backend, shape: string, ops: number, base: number, p99: number, extra = ''): string {
  return `bench ledger ${backend} ${shape} ops_per_s=${ops.toFixed(0)} baseline_per_s=${base.toFixed(0)} ratio=${(ops / base).toFixed(2)} p99_ms=${p99.toFixed(1)}${extra}`
}

export async function benchLedger(backend: Backend, o: LedgerBenchOptions, print: (line: string) => void) {
  const bench = await benchDatabase(backend, o.poolSize)
  const config: DatabaseConfig = bench.config
  let db: Database | undefined
  try {
    db = await openDatabase(config)
    const ledger = new Ledger(db)
    const spreadBase = await baseline(config, o.callers, o.accounts, o.seconds)
    const hotBase = await baseline(config, o.callers, 1, o.seconds)
    print(
      `bench ledger ${backend} baseline spread_per_s=${spreadBase.opsPerSecond.toFixed(0)} hot_per_s=${hotBase.opsPerSecond.toFixed(0)} p99_ms=${spreadBase.p99.toFixed(1)}`,
    )

    const accounts = await fundAccounts(ledger, o.accounts)
    await cycles(ledger, accounts, o.callers, Math.min(2, o.seconds)) // warm-up: statement caches, JIT
    const spread = await cycles(ledger, accounts, o.callers, o.seconds)
    print(line(backend, 'spread', spread.opsPerSecond, spreadBase.opsPerSecond, spread.p99))

    const hot = await cycles(ledger, accounts.slice(0, 1), o.callers, o.seconds)
    print(line(backend, 'hot', hot.opsPerSecond, hotBase.opsPerSecond, hot.p99))

    // The same work with group commit switched off (one transaction per operation): what batching
    // itself buys on this machine.
    const unbatched = await cycles(
      new Ledger(db, { groupCommit: { maxBatch: 1 } }),
      accounts,
      o.callers,
      o.seconds,
    )
    print(
      line(backend, 'spread_unbatched', unbatched.opsPerSecond, spreadBase.opsPerSecond, unbatched.p99) +
        ` group_commit_gain=${(spread.opsPerSecond / unbatched.opsPerSecond).toFixed(2)}`,
    )

    const seedStart = performance.now()
    await seedHistory(db, accounts, Math.ceil(o.seedLots / accounts.length), Date.UTC(2024, 0, 1))
    const seedSeconds = (performance.now() - seedStart) / 1000
    const verifyCounts = await db.kysely
      .selectFrom('journal_postings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const lots = await db.kysely
      .selectFrom('lots')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const large = await cycles(ledger, accounts, o.callers, o.seconds)
    print(
      line(
        backend,
        'spread_large',
        large.opsPerSecond,
        spreadBase.opsPerSecond,
        large.p99,
        ` lots=${Number(lots.n)} journal_rows=${Number(verifyCounts.n)} vs_spread=${(large.opsPerSecond / spread.opsPerSecond).toFixed(2)} seed_s=${seedSeconds.toFixed(0)}`,
      ),
    )
  } finally {
    await db?.close()
    await bench.drop()
  }
}
