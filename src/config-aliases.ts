import { MODEL_NAME_MAX } from './contracts/limits.ts'

/**
 * Model aliases: other names for the models of this installation, so that clients which hard-code
 * OpenAI's model names (`dall-e-3`, `gpt-image-1`) reach whatever the operator maps them to.
 *
 * `EASEL_MODEL_ALIASES=dall-e-3=comfyui:sdxl,gpt-image-1=openai:gpt-image-1,dall-e-2=sketch`: each
 * entry is `alias=target`, the target being `engine:model`, an engine (its default model), or a
 * model any engine offers. An administrator may add more at run time (stored in `model_aliases`);
 * those set here are fixed: the page shows them, and only the environment changes them.
 */
export interface ModelAlias {
  readonly alias: string
  readonly target: string
}

/** An engine as aliases see it: its name and the models it offers (null when not known yet). */
export interface AliasedEngine {
  readonly name: string
  /** The first is its default. Null when its settings do not list them (checked at start-up). */
  readonly models: readonly string[] | null
}

/** What a target names: an engine and one of its models (null: its default model). */
export interface AliasTarget {
  readonly engine: string
  readonly model: string | null
}

/** Alias names: what a request's `model` may be, without the separators of the variable. */
const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/

/** Why `alias` cannot be an alias name, or null when it can. */
export function aliasNameProblem(alias: string): string | null {
  if (alias.length === 0) return 'is empty'
  if (alias.length > MODEL_NAME_MAX) return `is longer than ${MODEL_NAME_MAX} characters`
  if (!ALIAS_NAME.test(alias)) {
    return 'must start with a letter or digit and hold only letters, digits and . _ : / @ + -'
  }
  return null
}

/**
 * What `target` names among `engines`, or why it names nothing. `engine:model` is split at the
 * first `:` only when what comes before is an engine's name, so that a model named with a colon
 * (`llava:7b`) can still be given alone.
 *
 * @example
 * resolveAliasTarget('comfyui:sdxl', [{ name: 'comfyui', models: ['sdxl'] }]) // → { engine: 'comfyui', model: 'sdxl' }
 * resolveAliasTarget('sketch', [{ name: 'sketch', models: ['sketch'] }]) // → { engine: 'sketch', model: null }
 */
export function resolveAliasTarget(
  target: string,
  engines: readonly AliasedEngine[],
): { ok: true; value: AliasTarget } | { ok: false; problem: string } {
  const names = engines.map((e) => e.name)
  const colon = target.indexOf(':')
  const named = colon > 0 ? engines.find((e) => e.name === target.slice(0, colon)) : undefined
  if (named) {
    const model = target.slice(colon + 1)
    if (model === '') return { ok: false, problem: `names no model of ${named.name}` }
    if (named.models !== null && !named.models.includes(model)) {
      return { ok: false, problem: `${named.name} has no model "${model}" (${named.models.join(', ')})` }
    }
    return { ok: true, value: { engine: named.name, model } }
  }
  const engine = engines.find((e) => e.name === target)
  if (engine) return { ok: true, value: { engine: engine.name, model: null } }
  const offering = engines.find((e) => e.models?.includes(target))
  if (offering) return { ok: true, value: { engine: offering.name, model: target } }
  if (colon > 0) {
    return {
      ok: false,
      problem: `"${target.slice(0, colon)}" is not a configured engine (${names.join(', ')})`,
    }
  }
  return {
    ok: false,
    problem: `"${target}" is neither a configured engine (${names.join(', ')}) nor one of their models`,
  }
}

/**
 * Why `alias` may not be used at all: it would hide an engine or one of its models, which a
 * request naming it must keep reaching.
 */
export function aliasShadowProblem(alias: string, engines: readonly AliasedEngine[]): string | null {
  const hidden = engines.find((e) => e.name === alias || e.models?.includes(alias))
  if (!hidden) return null
  return hidden.name === alias
    ? `is the name of the ${alias} engine`
    : `is a model of the ${hidden.name} engine already`
}

/**
 * Reads EASEL_MODEL_ALIASES against the configured engines: the aliases, and every problem found,
 * each naming its entry (`EASEL_MODEL_ALIASES: "dall-e-3=comfyui:sdxl": …`).
 *
 * @example
 * parseModelAliases('dall-e-2=sketch', [{ name: 'sketch', models: ['sketch'] }])
 * // → { aliases: [{ alias: 'dall-e-2', target: 'sketch' }], problems: [] }
 */
export function parseModelAliases(
  text: string | undefined,
  engines: readonly AliasedEngine[],
): { aliases: ModelAlias[]; problems: string[] } {
  const aliases: ModelAlias[] = []
  const problems: string[] = []
  const entries = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  for (const entry of entries) {
    const problem = (message: string) => problems.push(`EASEL_MODEL_ALIASES: "${entry}": ${message}`)
    const equals = entry.indexOf('=')
    if (equals < 0) {
      problem('must be alias=engine:model, alias=engine or alias=model')
      continue
    }
    const alias = entry.slice(0, equals).trim()
    const target = entry.slice(equals + 1).trim()
    const nameProblem = aliasNameProblem(alias) ?? aliasShadowProblem(alias, engines)
    if (nameProblem) {
      problem(`the alias ${nameProblem}`)
      continue
    }
    if (aliases.some((a) => a.alias === alias)) {
      problem(`${alias} is given more than once`)
      continue
    }
    const resolved = resolveAliasTarget(target, engines)
    if (!resolved.ok) {
      problem(target === '' ? 'names no target' : resolved.problem)
      continue
    }
    aliases.push({ alias, target })
  }
  return { aliases, problems }
}

/**
 * The engines of a configuration as aliases see them: each configured engine's settings list its
 * models when they have a `models` list (`EASEL_<NAME>_MODELS`); an engine whose settings list
 * none (sketch) is checked by name only until it is made: the registry checks every target
 * against the engines themselves at start-up.
 */
export function aliasedEngines(settings: Readonly<Record<string, unknown>>): AliasedEngine[] {
  return Object.entries(settings).flatMap(([name, own]) => {
    if (own === null || own === undefined) return []
    const models = (own as { models?: unknown }).models
    const listed =
      Array.isArray(models) && models.length > 0 && models.every((m) => typeof m === 'string')
        ? (models as string[])
        : null
    return [{ name, models: listed }]
  })
}
