import { z } from 'zod'
import { MODEL_NAME_MAX, OPERATIONS, QUALITIES, RESOLVED_QUALITIES, SIZE_NAMES } from './limits.ts'

// The installation itself: /healthz and /api/engines.

export const HealthBody = z.object({
  status: z.literal('ok'),
  database: z.enum(['sqlite', 'postgres']),
  queues: z.record(z.string(), z.object({ running: z.number(), waiting: z.number() })),
})
export type HealthBody = z.output<typeof HealthBody>

export const UnavailableBody = z.object({ status: z.literal('unavailable'), error: z.string() })

/** What one model of an engine takes: its sizes and qualities differ by model (OpenAI's do). */
export const ModelSummary = z.object({
  name: z.string(),
  sizes: z.array(z.enum(SIZE_NAMES)),
  /** The qualities a request may ask for, `auto` among them. */
  qualities: z.array(z.enum(QUALITIES)),
  /** What `auto` (and a request that names no quality) becomes for this model. */
  autoQuality: z.enum(RESOLVED_QUALITIES),
})
export type ModelSummary = z.output<typeof ModelSummary>

export const EngineSummary = z.object({
  name: z.string(),
  models: z.array(z.string()),
  procedural: z.boolean(),
  /** Every size the engine makes for one model or another, by name (`1536x1024`). */
  sizes: z.array(z.enum(SIZE_NAMES)),
  /** Each of `models` with what it takes, in the same order. */
  modelDetails: z.array(ModelSummary),
  operations: z.array(z.enum(OPERATIONS)),
  default: z.boolean(),
})
export type EngineSummary = z.output<typeof EngineSummary>

export const EnginesBody = z.object({ engines: z.array(EngineSummary) })
export type EnginesBody = z.output<typeof EnginesBody>

/**
 * A model alias: another name a request may give as `model` (`dall-e-3`), and what it reaches.
 * `fixed` ones come from EASEL_MODEL_ALIASES and only the environment changes them.
 */
export const ModelAliasBody = z.object({
  alias: z.string(),
  /** As set: `engine:model`, an engine (its default model) or a model. */
  target: z.string(),
  /** What it reaches now; null when the target names nothing this installation runs. */
  engine: z.string().nullable(),
  model: z.string().nullable(),
  fixed: z.boolean(),
  updatedAt: z.number().int().nullable(),
  /** The administrator's user id; null for a fixed alias. */
  updatedBy: z.string().nullable(),
})
export type ModelAliasBody = z.output<typeof ModelAliasBody>

export const ModelAliasesBody = z.object({
  aliases: z.array(ModelAliasBody),
  /** Every `engine:model` of this installation: what an alias may point at. */
  targets: z.array(z.string()),
})
export type ModelAliasesBody = z.output<typeof ModelAliasesBody>

export const ModelAliasParams = z.object({
  alias: z
    .string()
    .min(1, 'must not be empty')
    .max(MODEL_NAME_MAX, `must be at most ${MODEL_NAME_MAX} characters`),
})

export const ModelAliasRequest = z.object({
  target: z
    .string({ error: 'is required (engine:model, an engine or a model)' })
    .trim()
    .min(1, 'must not be empty')
    .max(2 * MODEL_NAME_MAX, `must be at most ${2 * MODEL_NAME_MAX} characters`),
})
export type ModelAliasRequest = z.input<typeof ModelAliasRequest>
