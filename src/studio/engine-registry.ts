import type { EnginesConfig } from '../config.ts'
import type { ImageEngine, Operation } from '../engines/engine.ts'
import { OPERATIONS } from '../engines/engine.ts'
import { OpenAiEngine } from '../engines/openai/engine.ts'
import { SdWebUiEngine } from '../engines/sdwebui/engine.ts'
import { SketchEngine } from '../engines/sketch/engine.ts'

export interface EngineChoice {
  engine: ImageEngine
  /** The model the engine is asked for. */
  model: string
}

export interface EngineSummary {
  name: string
  models: readonly string[]
  procedural: boolean
  sizes: readonly number[]
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

/** The engines the configuration asks for: sketch always, the upstream ones when configured. */
export function enginesFromConfig(config: EnginesConfig): ImageEngine[] {
  const engines: ImageEngine[] = [new SketchEngine()]
  if (config.openai) {
    engines.push(
      new OpenAiEngine({
        baseURL: config.openai.baseURL,
        apiKey: config.openai.apiKey,
        models: [...config.openai.models],
        timeoutMs: config.timeoutMs,
      }),
    )
  }
  if (config.sdwebui) {
    engines.push(
      new SdWebUiEngine({
        baseURL: config.sdwebui.baseURL,
        models: [...config.sdwebui.models],
        timeoutMs: config.timeoutMs,
        ...(config.sdwebui.auth ? { auth: config.sdwebui.auth } : {}),
      }),
    )
  }
  return engines
}
