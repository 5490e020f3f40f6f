import type { Operation } from '../engine.ts'

/**
 * ComfyUI's API-format workflow ("Save (API Format)" in its menu, or "Export (API)"): node id →
 * `{class_type, inputs}`, where an input is a literal or a link `[node id, output index]`. This is
 * what `POST /prompt` takes as `prompt`. The UI format (`{nodes: [...], links: [...]}`) is not.
 */
export type ApiWorkflow = Readonly<Record<string, ApiNode>>

export interface ApiNode {
  readonly class_type: string
  readonly inputs: Readonly<Record<string, unknown>>
  readonly _meta?: { readonly title?: string }
}

/** What Easel writes into a workflow: each names the node inputs it goes to. */
export const MAPPED_INPUTS = [
  'prompt',
  'negativePrompt',
  'seed',
  'width',
  'height',
  'batch',
  'model',
  'image',
  'mask',
  'denoise',
  'steps',
] as const
export type MappedInput = (typeof MAPPED_INPUTS)[number]

/** One node input: `{ "node": "6", "input": "text" }`. */
export interface Target {
  readonly node: string
  readonly input: string
}

/** Which node inputs each value goes to (a value may go to several, e.g. two samplers' seeds). */
export type Mapping = Readonly<Partial<Record<MappedInput, readonly Target[]>>>

/** A workflow Easel runs for one operation, and where Easel's values go in it. */
export interface Workflow {
  readonly prompt: ApiWorkflow
  readonly mapping: Mapping
}

/** Numbers are written as numbers (ComfyUI's INT/FLOAT inputs), the rest as strings. */
const NUMERIC: ReadonlySet<MappedInput> = new Set(['seed', 'width', 'height', 'batch', 'denoise', 'steps'])

/**
 * The values each operation's workflow must take (required) and may take (the rest of the list).
 * `width`/`height` are optional everywhere: a workflow that fixes its size has its images scaled.
 * `denoise` belongs to variation alone: an edit's inpainting method decides its own.
 */
export const WORKFLOW_INPUTS: Readonly<
  Record<Operation, { required: readonly MappedInput[]; optional: readonly MappedInput[] }>
> = {
  generate: {
    required: ['prompt', 'seed', 'batch'],
    optional: ['negativePrompt', 'width', 'height', 'model', 'steps'],
  },
  edit: {
    required: ['prompt', 'seed', 'batch', 'image', 'mask'],
    optional: ['negativePrompt', 'width', 'height', 'model', 'steps'],
  },
  variation: {
    required: ['prompt', 'seed', 'batch', 'image'],
    optional: ['negativePrompt', 'width', 'height', 'model', 'steps', 'denoise'],
  },
}

/** A link between nodes: `["4", 1]` is output 1 of node 4. */
export function isLink(value: unknown): value is readonly [string, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    Number.isInteger(value[1])
  )
}

/**
 * What is wrong with a workflow and its mapping for `operation`, as sentences (empty when nothing
 * is): every node is `{class_type, inputs}`, every link names a node that exists, every required
 * value has a target, every target is an input the node has with a literal of the right kind (a
 * link replaced by a literal would silently cut the graph).
 *
 * @example
 * checkWorkflow('generate', { '6': { class_type: 'CLIPTextEncode', inputs: { text: '' } } }, {})
 * // → ['the mapping names no node input for prompt', …]
 */
export function checkWorkflow(operation: Operation, prompt: unknown, mapping: Mapping): string[] {
  const problems: string[] = []
  if (typeof prompt !== 'object' || prompt === null || Array.isArray(prompt)) {
    return ['is not a JSON object of nodes']
  }
  const record = prompt as Record<string, unknown>
  if ('nodes' in record && 'links' in record) {
    return ["is ComfyUI's UI format: export it with Save (API Format) instead"]
  }
  const ids = Object.keys(record)
  if (ids.length === 0) return ['has no nodes']
  for (const id of ids) {
    const node = record[id] as Partial<ApiNode> | null
    if (typeof node !== 'object' || node === null || typeof node.class_type !== 'string') {
      problems.push(`node ${id} has no class_type`)
      continue
    }
    if (typeof node.inputs !== 'object' || node.inputs === null) {
      problems.push(`node ${id} (${node.class_type}) has no inputs`)
      continue
    }
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value) && !(String(value[0]) in record)) {
        problems.push(
          `node ${id} (${node.class_type}) input ${name} links to node ${value[0]}, which is not there`,
        )
      }
    }
  }
  if (problems.length > 0) return problems
  const allowed = [...WORKFLOW_INPUTS[operation].required, ...WORKFLOW_INPUTS[operation].optional]
  for (const key of WORKFLOW_INPUTS[operation].required) {
    if (!mapping[key]?.length) problems.push(`the mapping names no node input for ${key}`)
  }
  for (const [key, targets] of Object.entries(mapping) as [MappedInput, readonly Target[]][]) {
    if (!allowed.includes(key)) {
      problems.push(`${key} is not a value of ${operation} (it takes ${allowed.join(', ')})`)
      continue
    }
    for (const target of targets) {
      const problem = targetProblem(record as ApiWorkflow, key, target)
      if (problem) problems.push(`${key}: ${problem}`)
    }
  }
  return problems
}

function targetProblem(prompt: ApiWorkflow, key: MappedInput, target: Target): string | null {
  const node = prompt[target.node]
  if (!node) return `there is no node ${target.node}`
  const where = `node ${target.node} (${node.class_type})`
  if (!(target.input in node.inputs)) return `${where} has no input ${target.input}`
  const current = node.inputs[target.input]
  if (isLink(current)) {
    return `${where} input ${target.input} is linked to node ${current[0]}; map the input that holds the value`
  }
  const numeric = NUMERIC.has(key)
  if (numeric && typeof current !== 'number') return `${where} input ${target.input} is not a number`
  if (!numeric && typeof current !== 'string') return `${where} input ${target.input} is not text`
  return null
}

/** The values one run writes into its workflow; absent ones leave the workflow's own. */
export type WorkflowValues = Partial<Record<MappedInput, string | number>>

/**
 * A copy of `workflow.prompt` with `values` written to the inputs its mapping names. A value the
 * mapping has no target for is left out (the workflow fixes it); a target the values leave out
 * keeps the workflow's own literal.
 *
 * @example
 * fillWorkflow(GENERATE, { prompt: 'a fox', seed: 7, batch: 4 })['6'].inputs.text // → 'a fox'
 */
export function fillWorkflow(workflow: Workflow, values: WorkflowValues): Record<string, ApiNode> {
  const filled = structuredClone(workflow.prompt) as Record<
    string,
    { class_type: string; inputs: Record<string, unknown> }
  >
  for (const [key, value] of Object.entries(values) as [MappedInput, string | number | undefined][]) {
    if (value === undefined) continue
    for (const target of workflow.mapping[key] ?? []) {
      const node = filled[target.node]
      // checkWorkflow vouched for every target of a workflow Easel runs.
      if (!node) throw new Error(`workflow mapping names node ${target.node}, which is not there`)
      node.inputs[target.input] = value
    }
  }
  return filled
}
