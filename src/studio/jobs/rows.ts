import {
  dimensionsOf,
  type Operation,
  RESOLVED_QUALITIES,
  type ResolvedQuality,
  type SizeName,
  sizeNameOf,
} from '../../contracts/index.ts'
import type { ImagesTable, JobsTable } from '../../db/schema.ts'
import type { SqlTx } from '../../db/writer/index.ts'

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
  /** Taken down by an admin or withheld by moderation: its file is gone; when and why. */
  removed: { at: number; reason: string } | null
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
  /** The size by name (`1536x1024`); every image is `width` × `height`. */
  size: SizeName
  width: number
  height: number
  /** What it was made and priced at, `auto` resolved. */
  quality: ResolvedQuality
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
  /** While running: how far the engine has got, 0 to 1; null when it cannot tell or not running. */
  progress: number | null
  /** While queued in this process: 1 for the next to start; null otherwise. */
  queuePosition: number | null
}

/** What a job's `parameters` column holds, read by {@link readParameters}. */
export interface JobParameters {
  n: number
  size: SizeName
  /** `auto` already resolved by the engine. */
  quality: ResolvedQuality
  seed: number
}

/**
 * A job's `parameters` column, checked. Rows from before sizes had names hold `size` as a square's
 * side (`512`), and no quality: those were made at `standard`. Anything else in it is a bug (or a
 * tampered row): it throws rather than guess.
 */
export function readParameters(json: string): JobParameters {
  const p = JSON.parse(json) as Record<string, unknown>
  const { n, seed } = p
  const named = typeof p.size === 'number' ? `${p.size}x${p.size}` : p.size
  const size = typeof named === 'string' ? sizeNameOf(named) : null
  const quality = RESOLVED_QUALITIES.find((q) => q === (p.quality ?? 'standard'))
  if (typeof n !== 'number' || typeof seed !== 'number' || size === null || quality === undefined) {
    throw new Error(`a job's parameters are not what Easel stores: ${json}`)
  }
  return { n, seed, size, quality }
}

/** The parameters column of a new job. */
export function writeParameters(p: JobParameters): string {
  return JSON.stringify({ n: p.n, size: p.size, quality: p.quality, seed: p.seed })
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
    removed: r.removed_at === null ? null : { at: r.removed_at, reason: r.removed_reason ?? '' },
  }
}

export function toJobView(r: JobsTable, images: ImageView[], procedural: boolean): JobView {
  const p = readParameters(r.parameters)
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
    ...dimensionsOf(p.size),
    quality: p.quality,
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
    progress: null,
    queuePosition: null,
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
