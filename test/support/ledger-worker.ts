// A separate OS process driving a Ledger, for the multi-process tests (spawned by
// `spawn-ledger-worker.ts`, which also defines the protocol). It opens the database as an Easel
// process would, prints `ready`, waits for a `go` line on stdin, then does its work and prints JSON
// lines. Every line about an operation is printed only after that operation's promise resolved, so a
// line the parent read is an acknowledged operation. (A line still in this process's buffers when it
// is killed is never read: that makes a crash check see fewer promises, never wrong ones.)

import readline from 'node:readline'
import type { PoolClient } from 'pg'
import { Ledger } from '../../src/credits/ledger.ts'
import { type Database, openDatabase } from '../../src/db/open.ts'
import type { WorkerEvent, WorkerFailure, WorkerOp, WorkerSpec } from './spawn-ledger-worker.ts'

const emit = (event: WorkerEvent): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

const failure = (error: unknown): WorkerFailure => {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null
  return {
    thrown: true,
    name: String(e?.name ?? 'Error'),
    code: typeof e?.code === 'string' ? e.code : null,
    message: String(e?.message ?? error),
  }
}

function runOp(ledger: Ledger, op: WorkerOp) {
  switch (op.op) {
    case 'hold':
      return ledger.hold({ accountId: op.accountId, amount: op.amount })
    case 'capture':
      return ledger.capture({ holdId: op.holdId, amount: op.amount })
    case 'release':
      return ledger.release({ holdId: op.holdId })
  }
}

/** The PostgreSQL server connections (backend pids) really handed out from now on. */
function trackConnections(db: Database): Set<number> {
  const backendPids = new Set<number>()
  if (db.dialect === 'postgres') {
    db.pool.on('acquire', (client: PoolClient) => {
      // `processID` (the server's backend pid) is set by pg but missing from its type definitions.
      backendPids.add((client as PoolClient & { processID: number }).processID)
    })
  }
  return backendPids
}

async function burst(db: Database, ledger: Ledger, ops: readonly WorkerOp[]): Promise<void> {
  const backendPids = trackConnections(db)
  // All in one tick: the ledger sees every operation before its first transaction starts.
  const pending = ops.map((op) => runOp(ledger, op).catch(failure))
  const outcomes = await Promise.all(pending)
  emit({
    event: 'done',
    pid: process.pid,
    outcomes,
    backendPids: [...backendPids],
  })
}

/** Hold, then capture all, capture part, release, or leave pending; over and over until killed. */
async function churn(ledger: Ledger, accountId: string, concurrency: number): Promise<never> {
  let next = 0
  const loop = async (): Promise<void> => {
    for (;;) {
      const i = next++
      const amount = 1 + (i % 3)
      const hold = await ledger.hold({ accountId, amount, reference: `churn ${process.pid} ${i}` })
      if (!hold.ok) {
        emit({ event: 'refused', op: 'hold', code: hold.error.code })
        continue
      }
      const { holdId } = hold.value
      emit({ event: 'held', holdId, amount })
      switch (i % 4) {
        case 0:
        case 1: {
          const part = i % 4 === 0 ? amount : Math.max(1, amount - 1)
          const captured = await ledger.capture({ holdId, amount: part })
          if (captured.ok) emit({ event: 'captured', holdId, amount: captured.value.captured })
          else emit({ event: 'refused', op: 'capture', code: captured.error.code })
          break
        }
        case 2: {
          const released = await ledger.release({ holdId })
          if (released.ok) emit({ event: 'released', holdId })
          else emit({ event: 'refused', op: 'release', code: released.error.code })
          break
        }
        default:
        // Left pending: after the crash, the expiry sweep must release it.
      }
    }
  }
  const guarded = async (): Promise<void> => {
    try {
      await loop()
    } catch (error) {
      // An exception is a bug the parent must see, not something to spin on: report it and stop.
      emit({ event: 'failed', op: 'churn', failure: failure(error) })
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
      process.exit(2)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, guarded))
  throw new Error('unreachable')
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as WorkerSpec
  const db = await openDatabase(spec.database)
  const ledger = new Ledger(
    db,
    spec.maxBatch === undefined ? {} : { groupCommit: { maxBatch: spec.maxBatch } },
  )
  const input = readline.createInterface({ input: process.stdin })
  // The parent gone (its end of our stdin closed): stop, whatever we are doing.
  input.on('close', () => process.exit(3))
  const go = new Promise<void>((resolve) => {
    input.on('line', (line) => {
      if (line === 'go') resolve()
    })
  })
  emit({ event: 'ready', pid: process.pid })
  await go
  if (spec.mode === 'churn') await churn(ledger, spec.accountId, spec.concurrency)
  else await burst(db, ledger, spec.ops)
  await db.close()
  process.exit(0)
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
