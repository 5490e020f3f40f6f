import { z } from 'zod'
import { EngineSummary } from './service.ts'

// The administrators' view of the engines: GET /api/admin/engines.

/** One upstream server of an engine (`EASEL_SDWEBUI_URLS`, `EASEL_COMFYUI_URLS`) and how it fares. */
export const BackendStateBody = z.object({
  /** Its address, without credentials. */
  url: z.string(),
  /** False while it is taken out of rotation (failed health checks or repeated errors). */
  healthy: z.boolean(),
  /** Jobs it runs for this process now. */
  running: z.number().int(),
  /** Why it was last taken out or last failed; null when it never failed. */
  lastError: z.string().nullable(),
  /** When it was last checked or used (ms since the epoch); null before the first. */
  checkedAt: z.number().int().nullable(),
  /** While taken out: when it will be checked again (ms since the epoch). */
  retryAt: z.number().int().nullable(),
})
export type BackendStateBody = z.output<typeof BackendStateBody>

/** An engine as `/api/engines` shows it, plus its queue here and its backends. */
export const AdminEngineBody = EngineSummary.extend({
  /** This process's queue for the engine: jobs running and jobs waiting. */
  queue: z.object({ running: z.number().int(), waiting: z.number().int() }),
  /** Its upstream servers, for an engine that has them (sdwebui, comfyui); null for the others. */
  backends: z.array(BackendStateBody).nullable(),
})
export type AdminEngineBody = z.output<typeof AdminEngineBody>

export const AdminEnginesBody = z.object({ engines: z.array(AdminEngineBody) })
export type AdminEnginesBody = z.output<typeof AdminEnginesBody>
