import type { z } from 'zod'
import * as comfyui from './comfyui/index.ts'
import type { EngineDeps, EngineModule, ImageEngine } from './engine.ts'
import * as openai from './openai/index.ts'
import * as sdwebui from './sdwebui/index.ts'
import * as sketch from './sketch/index.ts'

/** An engine module as the registry holds it: the type of its settings no longer spelled out. */
export interface RegisteredEngine {
  readonly name: string
  /** Parses the whole environment into the engine's settings, or null when they leave it off. */
  readonly configSchema: z.ZodType<unknown, unknown>
  create(settings: unknown, deps: EngineDeps): ImageEngine
}

/**
 * Every engine Easel can run, in the order they are listed (sketch, always on, first). Adding one is
 * a folder `engines/<name>/` whose index.ts exports `name`, `configSchema` and `create`, and a line
 * here: `loadConfig` reads its settings and `createEngines` makes it from then on.
 */
export const ENGINES: readonly RegisteredEngine[] = [
  register(sketch), // built in, always on
  register(openai), // EASEL_OPENAI_*
  register(sdwebui), // EASEL_SDWEBUI_*
  register(comfyui), // EASEL_COMFYUI_*
]

/**
 * The engines the settings turn on (`EnginesConfig.settings`, parsed by `loadConfig`), in
 * registry order.
 */
export function createEngines(
  config: { readonly settings: Readonly<Record<string, unknown>> },
  deps: EngineDeps = {},
): ImageEngine[] {
  return ENGINES.flatMap((engine) => {
    const settings = config.settings[engine.name]
    return settings === null || settings === undefined ? [] : [engine.create(settings, deps)]
  })
}

/** Checks a module's schema and `create` agree on its settings, then hides their type. */
function register<Settings>(module: EngineModule<Settings>): RegisteredEngine {
  return {
    name: module.name,
    configSchema: module.configSchema,
    // Settings reach `create` only from this module's own schema (loadConfig → createEngines).
    create: (settings, deps) => module.create(settings as Settings, deps),
  }
}
