import {
  type AliasedEngine,
  aliasNameProblem,
  aliasShadowProblem,
  type ModelAlias,
  resolveAliasTarget,
} from '../config-aliases.ts'
import {
  type ImageEngine,
  OPERATIONS,
  type Operation,
  qualitiesOf,
  qualityNamesOf,
  type ResolvedQuality,
  type SizeName,
  sizesOf,
} from '../engines/engine.ts'
import type { AliasSource, StoredAlias } from './model-aliases.ts'

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

export interface ModelDetails {
  name: string
  sizes: SizeName[]
  qualities: (ResolvedQuality | 'auto')[]
  autoQuality: ResolvedQuality
}

export interface EngineSummary {
  name: string
  models: string[]
  procedural: boolean
  sizes: SizeName[]
  modelDetails: ModelDetails[]
  operations: Operation[]
  default: boolean
}

/** An alias as the admin page shows it. */
export interface AliasView {
  alias: string
  target: string
  /** What it reaches now; null when the target names nothing this installation runs. */
  engine: string | null
  model: string | null
  /** Set by EASEL_MODEL_ALIASES: only the environment changes it. */
  fixed: boolean
  updatedAt: number | null
  updatedBy: string | null
}

export interface RegistryOptions {
  /** EASEL_MODEL_ALIASES, already checked by `loadConfig` (checked again here against the engines). */
  aliases?: readonly ModelAlias[]
  /** The aliases administrators set (`ModelAliasStore`); none when left out. */
  store?: AliasSource
  /**
   * Milliseconds on a clock that only goes forward, for the alias cache: it is about time really
   * passing, not the business clock (which tests freeze). `performance.now` when left out.
   */
  monotonic?: () => number
}

/**
 * How long a process goes on with the aliases it read before reading them again: an alias an
 * administrator sets reaches every process within this (and the one that set it at once).
 */
export const ALIAS_CACHE_MS = 2000

interface Alias extends AliasView {
  choice: EngineChoice | null
}

/**
 * The engines an installation offers. A request names a model (one of an engine's models, the
 * engine's own name for its default model, or an alias); a request without one goes to the
 * default engine. The engines' own names and models come first: an alias never hides one.
 * Aliases of the environment are fixed; those an administrator sets are read from the store and
 * cached for {@link ALIAS_CACHE_MS}.
 */
export class EngineRegistry {
  private readonly byModel = new Map<string, EngineChoice>()
  private readonly fixed = new Map<string, Alias>()
  private stored = new Map<string, Alias>()
  private readonly store: AliasSource | null
  private readonly monotonic: () => number
  private loadedAt = Number.NEGATIVE_INFINITY
  private loading: Promise<void> | null = null

  constructor(
    readonly engines: readonly ImageEngine[],
    readonly defaultName: string,
    options: RegistryOptions = {},
  ) {
    for (const engine of engines) {
      this.byModel.set(engine.name, { engine, model: engine.models[0]! })
      for (const model of engine.models) this.byModel.set(model, { engine, model })
    }
    if (!engines.some((e) => e.name === defaultName)) throw new Error(`no engine named ${defaultName}`)
    this.store = options.store ?? null
    this.monotonic = options.monotonic ?? (() => performance.now())
    const problems: string[] = []
    for (const { alias, target } of options.aliases ?? []) {
      const problem = this.aliasProblem(alias, target)
      if (problem) problems.push(`EASEL_MODEL_ALIASES: "${alias}=${target}": ${problem.message}`)
      else this.fixed.set(alias, this.aliasOf({ alias, target }, true))
    }
    // loadConfig checked what it could; only engines made differently (tests) get here.
    if (problems.length > 0) throw new Error(problems.join('\n'))
  }

  /** The engine and model for a request's `model`, or null for a model no engine offers. */
  resolve(model: string | undefined | null): EngineChoice | null {
    const name = model ?? this.defaultName
    const own = this.byModel.get(name)
    if (own) return own
    if (this.store && this.monotonic() - this.loadedAt > ALIAS_CACHE_MS) void this.fresh().catch(() => {})
    return this.fixed.get(name)?.choice ?? this.stored.get(name)?.choice ?? null
  }

  /**
   * Reads the administrators' aliases again when the cache ran out (at most one read at a time);
   * a failed read keeps the aliases read before and is tried again on the next call.
   */
  async fresh(): Promise<void> {
    if (!this.store || this.monotonic() - this.loadedAt <= ALIAS_CACHE_MS) return
    await this.reloadAliases()
  }

  /** Reads the administrators' aliases now (after a change this process made). */
  reloadAliases(): Promise<void> {
    if (!this.store) return Promise.resolve()
    this.loading ??= this.store
      .list()
      .then((rows) => {
        this.stored = new Map(rows.map((row) => [row.alias, this.aliasOf(row, false)]))
        this.loadedAt = this.monotonic()
      })
      .finally(() => {
        this.loading = null
      })
    return this.loading
  }

  /**
   * Why `alias` cannot be set to `target`, or null when it can: a bad name, one that would hide a
   * model (the field `alias`), or a target that names nothing this installation runs (`target`).
   */
  aliasProblem(alias: string, target: string): { field: 'alias' | 'target'; message: string } | null {
    const engines = this.aliasedEngines()
    const nameProblem = aliasNameProblem(alias) ?? aliasShadowProblem(alias, engines)
    if (nameProblem) return { field: 'alias', message: `the alias ${nameProblem}` }
    const resolved = resolveAliasTarget(target, engines)
    return resolved.ok ? null : { field: 'target', message: resolved.problem }
  }

  /** Every `engine:model` of the installation: what an alias may point at. */
  targets(): string[] {
    return this.engines.flatMap((e) => e.models.map((m) => `${e.name}:${m}`))
  }

  /** Whether `alias` is set by the environment (and so cannot be changed at run time). */
  isFixed(alias: string): boolean {
    return this.fixed.has(alias)
  }

  /** Every alias: the environment's first, then the administrators', each by name. */
  aliases(): AliasView[] {
    const view = ({ choice: _choice, ...rest }: Alias): AliasView => rest
    const stored = [...this.stored.values()].filter((a) => !this.fixed.has(a.alias))
    return [...this.fixed.values(), ...stored].map(view)
  }

  /** Every model a request may name, aliases included, for error messages and `/v1/models`. */
  modelNames(): string[] {
    return [...this.byModel.keys(), ...this.aliases().flatMap((a) => (a.engine ? [a.alias] : []))]
  }

  summaries(): EngineSummary[] {
    return this.engines.map((e) => ({
      name: e.name,
      models: [...e.models],
      procedural: e.procedural,
      sizes: [...e.sizes],
      modelDetails: e.models.map((model) => ({
        name: model,
        sizes: [...sizesOf(e, model)],
        qualities: qualityNamesOf(e, model),
        autoQuality: qualitiesOf(e, model).auto,
      })),
      operations: OPERATIONS.filter((op) => e.supports(op)),
      default: e.name === this.defaultName,
    }))
  }

  private aliasedEngines(): AliasedEngine[] {
    return this.engines.map((e) => ({ name: e.name, models: e.models }))
  }

  private aliasOf(row: Pick<StoredAlias, 'alias' | 'target'> & Partial<StoredAlias>, fixed: boolean): Alias {
    const resolved = resolveAliasTarget(row.target, this.aliasedEngines())
    const engine = resolved.ok ? this.engines.find((e) => e.name === resolved.value.engine)! : null
    const choice = resolved.ok && engine ? { engine, model: resolved.value.model ?? engine.models[0]! } : null
    return {
      alias: row.alias,
      target: row.target,
      engine: choice?.engine.name ?? null,
      model: choice?.model ?? null,
      fixed,
      updatedAt: row.updatedAt ?? null,
      updatedBy: row.updatedBy ?? null,
      choice,
    }
  }
}
