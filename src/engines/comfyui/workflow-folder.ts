import fs from 'node:fs'
import path from 'node:path'
import { OPERATIONS, type Operation } from '../engine.ts'
import {
  checkWorkflow,
  MAPPED_INPUTS,
  type MappedInput,
  type Mapping,
  type Target,
  type Workflow,
} from './workflow.ts'

/** The file in a workflow folder that says where Easel's values go in each workflow. */
export const MAPPING_FILE = 'mapping.json'

export type FolderWorkflows = Readonly<Partial<Record<Operation, Workflow>>>

/**
 * Reads an operator's workflow folder (`EASEL_COMFYUI_WORKFLOWS`): `generate.json`, `edit.json`,
 * `variation.json` (any of them; ComfyUI's API format) and `mapping.json`, which names for each
 * workflow there the node inputs Easel writes:
 *
 * ```json
 * { "generate": { "prompt": { "node": "6", "input": "text" },
 *                 "seed": [{ "node": "3", "input": "seed" }, { "node": "21", "input": "noise_seed" }],
 *                 "batch": { "node": "5", "input": "batch_size" } } }
 * ```
 *
 * Everything is checked now, at start-up, so that a mistake is a configuration error naming the
 * file and what is wrong, not a failed job later. Returns the workflows, or every problem found.
 */
export function loadWorkflowFolder(
  dir: string,
): { ok: true; workflows: FolderWorkflows } | { ok: false; problems: string[] } {
  const stat = fs.statSync(dir, { throwIfNoEntry: false })
  if (!stat?.isDirectory()) return { ok: false, problems: [`${dir} is not a folder`] }
  const present = OPERATIONS.filter((op) => fs.existsSync(path.join(dir, `${op}.json`)))
  if (present.length === 0) {
    return {
      ok: false,
      problems: [`${dir} holds none of ${OPERATIONS.map((op) => `${op}.json`).join(', ')}`],
    }
  }
  const mappingFile = readJson(dir, MAPPING_FILE)
  if (!mappingFile.ok) return { ok: false, problems: [mappingFile.problem] }
  const problems: string[] = []
  const mappings = mappingFile.value
  if (typeof mappings !== 'object' || mappings === null || Array.isArray(mappings)) {
    return { ok: false, problems: [`${MAPPING_FILE}: must be an object with an entry per workflow`] }
  }
  for (const key of Object.keys(mappings)) {
    if (!OPERATIONS.includes(key as Operation)) {
      problems.push(`${MAPPING_FILE}: "${key}" is not a workflow (${OPERATIONS.join(', ')})`)
    } else if (!present.includes(key as Operation)) {
      problems.push(`${MAPPING_FILE}: maps ${key}, but ${key}.json is not in the folder`)
    }
  }
  const workflows: Partial<Record<Operation, Workflow>> = {}
  for (const op of present) {
    const file = `${op}.json`
    const entry = (mappings as Record<string, unknown>)[op]
    if (entry === undefined) {
      problems.push(`${MAPPING_FILE}: has no entry for ${op} (${file} is in the folder)`)
      continue
    }
    const mapping = parseMapping(entry)
    if (!mapping.ok) {
      problems.push(...mapping.problems.map((p) => `${MAPPING_FILE}: ${op}: ${p}`))
      continue
    }
    const prompt = readJson(dir, file)
    if (!prompt.ok) {
      problems.push(prompt.problem)
      continue
    }
    const wrong = checkWorkflow(op, prompt.value, mapping.value)
    if (wrong.length > 0) {
      problems.push(...wrong.map((p) => `${file} with ${MAPPING_FILE}: ${p}`))
      continue
    }
    workflows[op] = { prompt: prompt.value as Workflow['prompt'], mapping: mapping.value }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, workflows }
}

function readJson(dir: string, file: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  let text: string
  try {
    text = fs.readFileSync(path.join(dir, file), 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    return { ok: false, problem: `${file}: cannot be read (${code === 'ENOENT' ? 'it is not there' : code})` }
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    return { ok: false, problem: `${file}: is not JSON (${(error as Error).message})` }
  }
}

/** One workflow's entry of mapping.json: each value a target or a list of targets. */
function parseMapping(entry: unknown): { ok: true; value: Mapping } | { ok: false; problems: string[] } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return {
      ok: false,
      problems: ['must be an object naming node inputs, e.g. {"prompt": {"node": "6", "input": "text"}}'],
    }
  }
  const problems: string[] = []
  const mapping: Partial<Record<MappedInput, Target[]>> = {}
  for (const [key, value] of Object.entries(entry)) {
    if (!MAPPED_INPUTS.includes(key as MappedInput)) {
      problems.push(`"${key}" is not a value Easel writes (${MAPPED_INPUTS.join(', ')})`)
      continue
    }
    const targets = (Array.isArray(value) ? value : [value]).map(parseTarget)
    if (targets.length === 0 || targets.some((t) => t === null)) {
      problems.push(`${key}: each target must be {"node": "<node id>", "input": "<input name>"}`)
      continue
    }
    mapping[key as MappedInput] = targets as Target[]
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: mapping }
}

function parseTarget(value: unknown): Target | null {
  if (typeof value !== 'object' || value === null) return null
  const { node, input } = value as { node?: unknown; input?: unknown }
  // Node ids are strings in the API format; exports sometimes hold them as numbers elsewhere.
  const id = typeof node === 'number' && Number.isInteger(node) ? String(node) : node
  if (typeof id !== 'string' || id === '' || typeof input !== 'string' || input === '') return null
  return { node: id, input }
}
