import type { ImagesTable, JobsTable } from '../../db/schema.ts'
import type { SqlTx } from '../../db/writer/index.ts'
import type { Operation } from '../../engines/engine.ts'

export interface ImageView {
  id: string
  jobId: string
  position: number
  width: number
  height: number
  bytes: number
  sha256: string
  procedural: boolean
  favourite: boolean
  favouritedAt: number | null
  createdAt: number
}

export type JobStatus = JobsTable['status']

export interface JobView {
  id: string
  accountId: string
  kind: Operation
  status: JobStatus
  engine: string
  model: string
  prompt: string | null
  n: number
  size: number
  seed: number
  creditsQuoted: number
  creditsCharged: number
  bookVersion: string | null
  holdId: string | null
  error: { code: string; message: string } | null
  procedural: boolean
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  images: ImageView[]
}

/** What a job's `parameters` column holds. */
export interface JobParameters {
  n: number
  size: number
  seed: number
}

export function toImageView(r: ImagesTable): ImageView {
  return {
    id: r.id,
    jobId: r.job_id,
    position: r.position,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    sha256: r.sha256,
    procedural: Number(r.procedural) === 1,
    favourite: r.favourited_at !== null,
    favouritedAt: r.favourited_at,
    createdAt: r.created_at,
  }
}

export function toJobView(r: JobsTable, images: ImageView[], procedural: boolean): JobView {
  const p = JSON.parse(r.parameters) as JobParameters
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind,
    status: r.status,
    engine: r.engine,
    model: r.model,
    prompt: r.prompt,
    n: p.n,
    size: p.size,
    seed: p.seed,
    creditsQuoted: r.credits_quoted,
    creditsCharged: Number(r.credits_charged ?? 0),
    bookVersion: r.book_version,
    holdId: r.hold_id,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    procedural,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    images,
  }
}

/** Queues `insert into table (…) values (…)` of one row, which must insert exactly that row. */
export function insertRow(
  tx: SqlTx,
  table: 'jobs' | 'images',
  row: Record<string, string | number | null>,
): void {
  const columns = Object.keys(row)
  tx.write(
    `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    columns.map((c) => row[c] ?? null),
    1,
  )
}
