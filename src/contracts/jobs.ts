import { z } from 'zod'
import {
  FavouritesFlag,
  idOf,
  JobSizeField,
  JobSizeText,
  ModelField,
  OperationField,
  QualityField,
} from './fields.ts'
import { ImageBody } from './images.ts'
import { MAX_IMAGES_PER_JOB, MAX_SEED, OPERATIONS, RESOLVED_QUALITIES } from './limits.ts'

// Jobs: /api/jobs (start one, follow it, list them).

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

const WHOLE = 'must be a whole number'

/** A job as JSON. */
export const JobRequest = z.object({
  kind: OperationField,
  prompt: z.string().optional(),
  model: ModelField.optional(),
  n: z.number({ error: WHOLE }).int(WHOLE).min(1).max(MAX_IMAGES_PER_JOB).optional(),
  /** `1536x1024`, or a square's side in pixels (`512`); 1024x1024 when left out. */
  size: JobSizeField.optional(),
  /** `auto` (the default) is resolved by the model's engine, and the job records what it became. */
  quality: QualityField.optional(),
  seed: z.number({ error: WHOLE }).int().min(0).max(MAX_SEED).optional(),
  /** An image of the account's own to edit or vary, instead of uploading one. */
  imageId: idOf('img', 'must be an img_… id').optional(),
})
export type JobRequest = z.input<typeof JobRequest>

/**
 * The text fields of a job sent as multipart/form-data (with an `image` and `mask` file): the
 * same, but numbers come as text, so they are coerced here and only here.
 */
export const JobRequestFields = JobRequest.extend({
  n: z.coerce.number({ error: WHOLE }).int(WHOLE).min(1).max(MAX_IMAGES_PER_JOB).optional(),
  size: JobSizeText.optional(),
  seed: z.coerce.number({ error: WHOLE }).int().min(0).max(MAX_SEED).optional(),
})

/**
 * What a job really cost once it succeeded: its credits and the money those credits were bought for
 * (free credits cost nothing), in minor units, in total and per image kept (its favourites, or all
 * its images when none is a favourite yet).
 */
export const JobCostLine = z.object({
  currency: z.string(),
  priceMinor: z.string(),
  perImageKeptMinor: z.string().nullable(),
})
export type JobCostLine = z.output<typeof JobCostLine>

/**
 * `byCurrency` has one line per currency the job's credits were bought in (free credits: the book's
 * currency at zero). `currency`, `priceMinor` and `perImageKeptMinor` repeat the line when there is
 * exactly one, and are null when the credits were paid for in several currencies.
 */
export const JobCost = z.object({
  credits: z.number().int(),
  currency: z.string().nullable(),
  priceMinor: z.string().nullable(),
  perImageKeptMinor: z.string().nullable(),
  imagesKept: z.number().int(),
  byCurrency: z.array(JobCostLine),
})
export type JobCost = z.output<typeof JobCost>

export const JobBody = z.object({
  id: z.string(),
  kind: z.enum(OPERATIONS),
  status: z.enum(JOB_STATUSES),
  engine: z.string(),
  model: z.string(),
  prompt: z.string().nullable(),
  n: z.number().int(),
  /** The size by name (`1536x1024`): every image of the job is `width` × `height` pixels. */
  size: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** What the job was made at: `auto` already resolved (jobs from before qualities: standard). */
  quality: z.enum(RESOLVED_QUALITIES),
  seed: z.number().int(),
  creditsQuoted: z.number().int(),
  creditsCharged: z.number().int(),
  bookVersion: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  procedural: z.boolean(),
  createdAt: z.number().int(),
  startedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
  images: z.array(ImageBody),
  /** While running: how far the engine has got, 0 to 1; null when it cannot tell. */
  progress: z.number().min(0).max(1).nullable(),
  /** While waiting: its place in line (1 = next); null once running or when not known. */
  queuePosition: z.number().int().min(1).nullable(),
  /** Null until the job succeeded (and in the 202 that starts it). */
  cost: JobCost.nullable(),
})
export type JobBody = z.output<typeof JobBody>

export const JobsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: idOf('job', 'must be a job_… id (the nextBefore of a page)').optional(),
  favourites: FavouritesFlag.optional(),
  /** Only jobs whose prompt contains this text (any case). */
  q: z.string().trim().max(200, 'must be at most 200 characters').optional(),
})

export const JobsPage = z.object({ jobs: z.array(JobBody), nextBefore: z.string().nullable() })
export type JobsPage = z.output<typeof JobsPage>
