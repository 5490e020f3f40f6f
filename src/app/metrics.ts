import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { type CreditMovement, creditMovements } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { CommitObserver } from '../db/writer/index.ts'
import { EngineError } from '../engines/engine.ts'
import type { JobObserver } from '../studio/job-observer.ts'
import type { JobStatus } from '../studio/studio.ts'

/** Seconds, for what a person waits on: an API call, a job in line, an engine drawing. */
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
/** Operations sharing one ledger transaction: 1 to group commit's most (256). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
/** Seconds from a ledger transaction's begin to its commit's end (one fsync is a millisecond or so). */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** Methods named as they are; anything else is `OTHER`, so a client cannot invent label values. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** How an engine's run ended, as `easel_engine_run_seconds` labels it. */
export type RunOutcome = 'ok' | 'error' | 'timeout' | 'cancelled'

/**
 * The run's outcome from what the engine threw (null: it answered). A timeout and a cancel (the
 * owner's, or a shutdown) are told apart from the engine's own failures.
 *
 * @example
 * runOutcome(null)                                   // 'ok'
 * runOutcome(new EngineError('TIMEOUT', 'too slow')) // 'timeout'
 * runOutcome(new Error('socket hang up'))            // 'error'
 */
export function runOutcome(error: unknown): RunOutcome {
  if (error === null) return 'ok'
  const code = error instanceof EngineError ? error.code : (error as Error | undefined)?.name
  if (code === 'TIMEOUT' || code === 'TimeoutError') return 'timeout'
  if (code === 'CANCELLED' || code === 'AbortError') return 'cancelled'
  return 'error'
}

/** `404` → `4xx`. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

/** What the scrape-time gauges read: the database (jobs and holds) and this process's engine queues. */
export interface MetricSources {
  readonly db: Pick<Database, 'kysely' | 'observeCommits'>
  readonly studio: { queueSizes(): Record<string, { running: number; waiting: number }> }
}

/**
 * The Prometheus metrics of one Easel app, in a registry of its own (never prom-client's global
 * one: a process — a test run — may hold many apps). Counters and histograms are this process's;
 * the gauges read at scrape time from the database (`easel_jobs`, `easel_holds_open`) are the
 * whole installation's, the same on every node. README's "Metrics" section lists them all.
 *
 * @example
 * const metrics = new Metrics()
 * const studio = new Studio(db, ledger, { …, observer: metrics.jobs })
 * metrics.watch({ db, studio })
 * await metrics.text() // the exposition, for GET /metrics
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly httpSeconds: Histogram<'method' | 'route' | 'status_class'>
  private readonly finished: Counter<'engine' | 'state'>
  private readonly queueWait: Histogram<'engine'>
  private readonly runSeconds: Histogram<'engine' | 'outcome'>
  private readonly batchSize: Histogram
  private readonly commitSeconds: Histogram
  private readonly granted: Counter
  private readonly consumed: Counter
  private watching = false

  constructor() {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.httpSeconds = new Histogram({
      name: 'easel_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern (unmatched: no route) and status class, from arrival to the end of the answer',
      labelNames: ['method', 'route', 'status_class'],
      buckets: WAIT_BUCKETS,
      registers,
    })
    this.finished = new Counter({
      name: 'easel_jobs_finished_total',
      help: 'Jobs this process settled, by engine and final state (succeeded, failed, cancelled)',
      labelNames: ['engine', 'state'],
      registers,
    })
    this.queueWait = new Histogram({
      name: 'easel_engine_queue_wait_seconds',
      help: 'How long jobs waited, from accepted to their turn in their engine queue, by engine',
      labelNames: ['engine'],
      buckets: WAIT_BUCKETS,
      registers,
    })
    this.runSeconds = new Histogram({
      name: 'easel_engine_run_seconds',
      help: 'Engine runs by engine and outcome (ok, error, timeout, cancelled)',
      labelNames: ['engine', 'outcome'],
      buckets: WAIT_BUCKETS,
      registers,
    })
    this.batchSize = new Histogram({
      name: 'easel_ledger_batch_operations',
      help: 'Write operations sharing each committed group-commit transaction',
      buckets: BATCH_BUCKETS,
      registers,
    })
    this.commitSeconds = new Histogram({
      name: 'easel_ledger_commit_seconds',
      help: 'Committed group-commit transactions, from begin to the end of the commit',
      buckets: COMMIT_BUCKETS,
      registers,
    })
    this.granted = new Counter({
      name: 'easel_credits_granted_total',
      help: 'Credits granted in transactions this process committed (allowances, bonuses, purchases, grants)',
      registers,
    })
    this.consumed = new Counter({
      name: 'easel_credits_consumed_total',
      help: 'Credits consumed (holds captured) in transactions this process committed',
      registers,
    })
  }

  /** The studio's observer: queue waits, engine runs and settled jobs. */
  readonly jobs: JobObserver = {
    dequeued: (engine, waitedMs) => this.queueWait.observe({ engine }, Math.max(0, waitedMs) / 1000),
    ran: (engine, ms, error) => this.runSeconds.observe({ engine, outcome: runOutcome(error) }, ms / 1000),
    settled: (engine, status: JobStatus) => this.finished.inc({ engine, state: status }),
  }

  /** One HTTP request answered: `route` is the matched pattern, null when no route matched. */
  request(method: string, route: string | null, status: number, seconds: number): void {
    this.httpSeconds.observe(
      {
        method: METHODS.has(method) ? method : 'OTHER',
        route: route ?? 'unmatched',
        status_class: statusClass(status),
      },
      seconds,
    )
  }

  /**
   * Starts the gauges read at scrape time (jobs unfinished and holds open from the database, this
   * process's engine queues) and observes the database's group commit (batch sizes, commit times,
   * credits moved). Once per app.
   */
  watch(sources: MetricSources): void {
    if (this.watching) throw new Error('Metrics.watch called twice')
    this.watching = true
    const registers = [this.registry]
    const { db, studio } = sources
    new Gauge({
      name: 'easel_jobs',
      help: 'Unfinished jobs of the whole installation by engine and state (queued, running), read from the database',
      labelNames: ['engine', 'state'],
      registers,
      async collect() {
        const rows = await db.kysely
          .selectFrom('jobs')
          .select(['engine', 'status', (eb) => eb.fn.countAll().as('n')])
          .where('status', 'in', ['queued', 'running'])
          .groupBy(['engine', 'status'])
          .execute()
        this.reset()
        // Every engine of this process shows both states, 0 included, so a series never vanishes.
        for (const engine of Object.keys(studio.queueSizes())) {
          this.set({ engine, state: 'queued' }, 0)
          this.set({ engine, state: 'running' }, 0)
        }
        for (const row of rows) this.set({ engine: row.engine, state: row.status }, Number(row.n))
      },
    })
    new Gauge({
      name: 'easel_holds_open',
      help: 'Credit holds of the whole installation not yet captured, released or expired, read from the database',
      registers,
      async collect() {
        const row = await db.kysely
          .selectFrom('holds')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow()
        this.set(Number(row.n))
      },
    })
    new Gauge({
      name: 'easel_engine_queue_jobs',
      help: "Jobs in this process's engine queues by engine and state (waiting, running)",
      labelNames: ['engine', 'state'],
      registers,
      collect() {
        for (const [engine, size] of Object.entries(studio.queueSizes())) {
          this.set({ engine, state: 'waiting' }, size.waiting)
          this.set({ engine, state: 'running' }, size.running)
        }
      },
    })
    db.observeCommits(this.commits())
  }

  /** The exposition in Prometheus's text format, and its content type. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }

  private commits(): CommitObserver {
    const credits = creditMovements((moved) => this.moved(moved))
    return {
      begin: credits.begin,
      committed: (tx, operations, ms) => {
        this.batchSize.observe(operations)
        this.commitSeconds.observe(ms / 1000)
        credits.committed(tx, operations, ms)
      },
    }
  }

  private moved(movements: readonly CreditMovement[]): void {
    for (const m of movements) {
      if (m.kind === 'grant') this.granted.inc(m.amount)
      else if (m.kind === 'capture' && m.amount > 0) this.consumed.inc(m.amount)
    }
  }
}
