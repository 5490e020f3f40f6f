import { z } from 'zod'
import { IMAGE_SIZES, OPERATIONS } from './limits.ts'

// The installation itself: /healthz and /api/engines.

export const HealthBody = z.object({
  status: z.literal('ok'),
  database: z.enum(['sqlite', 'postgres']),
  queues: z.record(z.string(), z.object({ running: z.number(), waiting: z.number() })),
})
export type HealthBody = z.output<typeof HealthBody>

export const UnavailableBody = z.object({ status: z.literal('unavailable'), error: z.string() })

export const EngineSummary = z.object({
  name: z.string(),
  models: z.array(z.string()),
  procedural: z.boolean(),
  sizes: z.array(z.literal(IMAGE_SIZES)),
  operations: z.array(z.enum(OPERATIONS)),
  default: z.boolean(),
})
export type EngineSummary = z.output<typeof EngineSummary>

export const EnginesBody = z.object({ engines: z.array(EngineSummary) })
export type EnginesBody = z.output<typeof EnginesBody>
