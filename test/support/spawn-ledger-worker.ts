import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { DatabaseConfig } from '../../src/config.ts'
import type { Result } from '../../src/credits/errors.ts'

/** One ledger call a worker makes. */
export type WorkerOp =
  | { op: 'hold'; accountId: string; amount: number }
  | { op: 'capture'; holdId: string; amount?: number }
  | { op: 'release'; holdId: string }

/**
 * What a worker process does once told to go:
 * - `burst`: fires all `ops` in the same tick, then reports every outcome at once;
 * - `churn`: runs `concurrency` loops of hold → capture (whole or part) / release / leave pending on
 *   one account, forever, reporting each acknowledged step on its own line. Made to be killed.
 */
export type WorkerSpec = (
  | { mode: 'burst'; ops: WorkerOp[] }
  | { mode: 'churn'; accountId: string; concurrency: number }
) & {
  database: DatabaseConfig
  /** Group commit's batch limit in the worker's Ledger; 1 gives every operation its own transaction. */
  maxBatch?: number
}

/** What a rejected promise (an exception, not a refused operation) looked like. */
export interface WorkerFailure {
  thrown: true
  name: string
  code: string | null
  message: string
}

/** The lines a worker prints, one JSON object each. */
export type WorkerEvent =
  | { event: 'ready'; pid: number }
  | {
      event: 'done'
      pid: number
      outcomes: Array<Result<unknown> | WorkerFailure>
      /** PostgreSQL backend pids of the connections handed out during the burst. */
      backendPids: number[]
    }
  // churn: printed only after the operation's promise resolved, i.e. after its commit returned.
  | { event: 'held'; holdId: string; amount: number }
  | { event: 'captured'; holdId: string; amount: number }
  | { event: 'released'; holdId: string }
  | { event: 'refused'; op: string; code: string }
  | { event: 'failed'; op: string; failure: WorkerFailure }

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WORKER_SCRIPT = 'test/support/ledger-worker.ts'

const live = new Set<LedgerWorker>()

/** Kills every worker still running (for `afterEach`: a failed test must not leave processes behind). */
export async function killStrayWorkers(): Promise<void> {
  const stray = [...live]
  for (const w of stray) w.kill('SIGKILL')
  await Promise.all(stray.map((w) => w.exited))
}

/**
 * A `ledger-worker.ts` child process and the JSON lines it has printed. Tests synchronise on those
 * lines, never on time: `waitFor` resolves when a matching line has arrived (or fails as soon as the
 * child exits without printing it).
 */
export class LedgerWorker {
  readonly events: WorkerEvent[] = []
  /** Resolves once the process has exited and its stdout is fully read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly child: ChildProcessWithoutNullStreams
  private stderr = ''
  private closed = false
  private readonly waiters = new Set<() => void>()

  constructor(spec: WorkerSpec) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, JSON.stringify(spec)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    live.add(this)
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk
    })
    // A killed child's stdin may be closed under our feet; that is expected, not an error.
    this.child.stdin.on('error', () => {})
    const lines = readline.createInterface({ input: this.child.stdout })
    lines.on('line', (line) => {
      this.events.push(JSON.parse(line) as WorkerEvent)
      this.notify()
    })
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        live.delete(this)
        this.closed = true
        this.notify()
        resolve({ code, signal })
      })
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  /** Sends one line to the worker's stdin. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`)
  }

  /** Resolves once `reached` is true of the lines printed so far; rejects if the worker exits first. */
  waitFor(what: string, reached: (events: readonly WorkerEvent[]) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (reached(this.events)) {
          this.waiters.delete(check)
          resolve()
        } else if (this.closed) {
          this.waiters.delete(check)
          const last = this.events.slice(-3).map((e) => JSON.stringify(e))
          reject(
            new Error(
              `worker ${this.pid} exited before ${what}; last lines:\n${last.join('\n')}\nstderr:\n${this.stderr}`,
            ),
          )
        }
      }
      this.waiters.add(check)
      check()
    })
  }

  async ready(): Promise<void> {
    await this.waitFor('ready', (events) => events.some((e) => e.event === 'ready'))
  }

  async done(): Promise<Extract<WorkerEvent, { event: 'done' }>> {
    await this.waitFor('done', (events) => events.some((e) => e.event === 'done'))
    return this.events.find((e) => e.event === 'done') as Extract<WorkerEvent, { event: 'done' }>
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  private notify(): void {
    for (const check of [...this.waiters]) check()
  }
}

/**
 * Starts workers, waits until every one has opened the database, then tells them all to go with one
 * line each, so that their work starts together without any sleeping.
 */
export async function startTogether(specs: readonly WorkerSpec[]): Promise<LedgerWorker[]> {
  const workers = specs.map((spec) => new LedgerWorker(spec))
  try {
    await Promise.all(workers.map((w) => w.ready()))
  } catch (error) {
    for (const w of workers) w.kill('SIGKILL')
    throw error
  }
  for (const w of workers) w.send('go')
  return workers
}
