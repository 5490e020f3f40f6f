import type { JobsTable } from '../../db/schema.ts'
import { dimensionsOf, type EngineRequest } from '../../engines/engine.ts'
import type { Inputs } from './request.ts'
import { readParameters } from './rows.ts'

/** What the engine is asked for: the job's row and parameters, and its uploads. */
export function engineRequest(row: JobsTable, inputs: Inputs): EngineRequest {
  const { n, size, quality, seed } = readParameters(row.parameters)
  const common = { n, size, ...dimensionsOf(size), quality, seed, model: row.model }
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
