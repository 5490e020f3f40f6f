import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from '../schema.ts'
import {
  type CommitObserver,
  GroupCommitter,
  PostgresWritePool,
  type WritePool,
  type Writes,
} from '../writer/index.ts'

const INT8_OID = 20

/**
 * `bigint` columns (credits, money, times) arrive from `pg` as strings. We read them as numbers and
 * refuse any that a JS number cannot hold exactly, rather than silently rounding money.
 */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`bigint value ${text} is outside the safe integer range`)
  return n
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export interface PostgresBackend extends Writes {
  readonly dialect: 'postgres'
  readonly kysely: Kysely<DB>
  /** Connections of `pool` for write transactions: all but two of it, so reads are never starved. */
  readonly writePool: WritePool
  readonly pool: pg.Pool
  /** Tells `observer` of each transaction of the database's group committer (metrics); undefined stops. */
  observeCommits(observer: CommitObserver | undefined): void
  close(): Promise<void>
}

export interface PostgresOptions {
  /**
   * Told of an error on an idle pooled connection (the server restarted, the network dropped it).
   * The pool drops that connection and the next query opens another; default: one line on stderr.
   */
  onError?: (error: Error) => void
}

/** The default for {@link PostgresOptions.onError}: one line on stderr, and carry on. */
export function warnIdleClientError(error: Error): void {
  console.warn(`easel: an idle PostgreSQL connection failed (it will be replaced): ${error.message}`)
}

export function connectPostgres(
  url: string,
  poolSize: number,
  options: PostgresOptions = {},
): PostgresBackend {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    // Durability is not negotiable: an acknowledged operation survives a crash.
    options: '-c synchronous_commit=on',
  })
  // An idle client that loses its connection must not crash the process (an 'error' event nobody
  // listens to would): it is reported, and the next query reconnects.
  const onError = options.onError ?? warnIdleClientError
  pool.on('error', (error) => onError(error))
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  // Leave a couple of connections for reads so that a burst of writes cannot starve them.
  const writePool = new PostgresWritePool(pool, Math.max(1, poolSize - 2))
  const committer = new GroupCommitter(writePool)
  return {
    dialect: 'postgres',
    kysely,
    writePool,
    write: (op, clock) => committer.write(op, clock),
    pool,
    observeCommits: (observer) => {
      committer.observer = observer
    },
    async close() {
      await kysely.destroy() // ends the pool
    },
  }
}
