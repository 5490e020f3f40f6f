import type { JobsTable } from '../../db/schema.ts'
import type { EngineRequest, ImageSize } from '../../engines/engine.ts'
import type { Inputs } from './request.ts'
import type { JobParameters } from './rows.ts'

/** What the engine is asked for: the job's row and parameters, and its uploads. */
export function engineRequest(row: JobsTable, inputs: Inputs): EngineRequest {
  const { n, size, seed } = JSON.parse(row.parameters) as JobParameters
  // Square, and at the engine's standard quality, until requests can ask otherwise.
  const common = {
    n,
    size: size as ImageSize,
    width: size,
    height: size,
    quality: 'standard' as const,
    seed,
    model: row.model,
  }
  switch (row.kind) {
    case 'generate':
      return { ...common, operation: 'generate', prompt: row.prompt ?? '' }
    case 'edit':
      return {
        ...common,
        operation: 'edit',
        prompt: row.prompt ?? '',
        image: inputs.image!,
        mask: inputs.mask,
      }
    case 'variation':
      return { ...common, operation: 'variation', image: inputs.image!, prompt: row.prompt }
  }
}
