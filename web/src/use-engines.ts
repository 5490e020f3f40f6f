import { useEffect, useState } from 'react'
import type { EngineSummary, ModelSummary, Operation } from '../../src/contracts/index.ts'
import { api } from './api.ts'

let cached: Promise<EngineSummary[]> | null = null

/** The installation's engines (read once per page load). */
export function useEngines(): EngineSummary[] | null {
  const [engines, setEngines] = useState<EngineSummary[] | null>(null)
  useEffect(() => {
    cached ??= api.engines().then(
      (b) => b.engines,
      (error) => {
        cached = null
        throw error
      },
    )
    let live = true
    cached.then((e) => live && setEngines(e)).catch(() => live && setEngines([]))
    return () => {
      live = false
    }
  }, [])
  return engines
}

export interface ModelChoice {
  model: string
  engine: EngineSummary
  label: string
  /** What the model makes: its sizes (names, `1536x1024`), the qualities it takes, what `auto` is. */
  details: ModelSummary
}

/** What `model` of `engine` makes (the engine's sizes and `auto` alone for a model it does not detail). */
export function modelDetails(engine: EngineSummary, model: string): ModelSummary {
  return (
    engine.modelDetails.find((d) => d.name === model) ?? {
      name: model,
      sizes: engine.sizes,
      qualities: ['auto'],
      autoQuality: 'standard',
    }
  )
}

/** The models a person may pick for an operation, the default engine's default model first. */
export function modelChoices(engines: EngineSummary[], operation: Operation): ModelChoice[] {
  const ordered = [...engines].sort((a, b) => Number(b.default) - Number(a.default))
  return ordered
    .filter((e) => e.operations.includes(operation))
    .flatMap((engine) =>
      engine.models.map((model) => ({
        model,
        engine,
        details: modelDetails(engine, model),
        label: `${model === engine.name ? model : `${engine.name}: ${model}`}${engine.procedural ? ' (procedural preview)' : ''}`,
      })),
    )
}
