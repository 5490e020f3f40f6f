// Row types of the jobs, their images, reports of images and the processes that run jobs (see `schema.ts`).

export type JobKind = 'generate' | 'edit' | 'variation'
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface JobsTable {
  id: string
  account_id: string
  user_id: string
  api_key_id: string | null
  kind: JobKind
  engine: string
  model: string
  prompt: string | null
  /** JSON: n, size, seed, response format… */
  parameters: string
  status: JobStatus
  hold_id: string | null
  credits_quoted: number
  credits_charged: number
  book_version: string | null
  error_code: string | null
  error_message: string | null
  idempotency_key: string | null
  request_hash: string | null
  runner_id: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
  /** When its owner deleted it: hidden and its files removed, the row kept for the ledger's record. */
  deleted_at: number | null
}

export interface ImagesTable {
  id: string
  job_id: string
  account_id: string
  position: number
  width: number
  height: number
  bytes: number
  sha256: string
  /** 1 when a procedural engine (sketch) made it: shown labelled as such. */
  procedural: number
  favourited_at: number | null
  created_at: number
  /** Taken down (by an admin, or withheld by moderation): its file is gone, its owner told why. */
  removed_at: number | null
  removed_reason: string | null
  /** The admin's user id, or 'moderation'. */
  removed_by: string | null
}

/** A user's report of an image, for an admin to remove it or dismiss the report. */
export interface ImageReportsTable {
  id: string
  image_id: string
  reporter_account_id: string
  reason: string
  created_at: number
  resolved_at: number | null
  resolution: 'removed' | 'dismissed' | null
  resolved_by: string | null
}

export interface RunnersTable {
  id: string
  hostname: string
  pid: number
  started_at: number
  heartbeat_at: number
  stopped_at: number | null
}
