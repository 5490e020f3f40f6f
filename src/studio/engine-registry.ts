import type { ImageEngine, ImageSize, Operation } from '../engines/engine.ts'
import { OPERATIONS } from '../engines/engine.ts'

/**
 * The engines the configuration turns on, made by `engines/registry.ts` (sketch always, each other
 * engine when its settings are there); kept under this name for the composition root.
 */
export { createEngines as enginesFromConfig } from '../engines/registry.ts'

export interface EngineChoice {
  engine: ImageEngine
  /** The model the engine is asked for. */
  model: string
}

export interface EngineSummary {
  name: string
  models: readonly string[]
  procedural: boolean
  sizes: readonly ImageSize[]
  operations: Operation[]
  default: boolean
}

/**
 * The engines an installation offers. A request names a model (one of an engine's models, or the
 * engine's own name for its default model); a request without one goes to the default engine.
 */
export class EngineRegistry {
  private readonly byModel = new Map<string, EngineChoice>()

  constructor(
    readonly engines: readonly ImageEngine[],
    readonly defaultName: string,
  ) {
    for (const engine of engines) {
      this.byModel.set(engine.name, { engine, model: engine.models[0]! })
      for (const model of engine.models) this.byModel.set(model, { engine, model })
    }
    if (!engines.some((e) => e.name === defaultName)) throw new Error(`no engine named ${defaultName}`)
  }

  /** The engine and model for a request's `model`, or null for a model no engine offers. */
  resolve(model: string | undefined | null): EngineChoice | null {
    return this.byModel.get(model ?? this.defaultName) ?? null
  }

  /** Every model a request may name, for error messages and `/v1/models`. */
  modelNames(): string[] {
    return [...this.byModel.keys()]
  }

  summaries(): EngineSummary[] {
    return this.engines.map((e) => ({
      name: e.name,
      models: e.models,
      procedural: e.procedural,
      sizes: e.sizes,
      operations: OPERATIONS.filter((op) => e.supports(op)),
      default: e.name === this.defaultName,
    }))
  }
}
