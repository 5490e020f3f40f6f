import { z } from 'zod'
import type { EngineDeps, ImageEngine, Operation } from '../engine.ts'
import { type Checkpoint, parseCheckpoints } from './checkpoints.ts'
import { ComfyUiEngine } from './engine.ts'
import { type FolderWorkflows, loadWorkflowFolder } from './workflow-folder.ts'

/**
 * ComfyUI, configured by:
 * - `EASEL_COMFYUI_URLS`: its servers' base URLs, comma-separated (`http://gpu1:8188,http://gpu2:8188`;
 *   `http://user:pass@host` for HTTP basic behind a proxy). The engine is on when it is set.
 * - `EASEL_COMFYUI_MODELS`: the checkpoint files requests may ask for, the first the default. A
 *   request names one by model name: `sdxl=sd_xl_base_1.0.safetensors` names it `sdxl`; a bare file
 *   name is named by itself without folder and extension (`sd_xl_base_1.0`). Required unless the
 *   workflow folder replaces all three workflows and none of them maps `model`: then the one model
 *   is `comfyui`, the checkpoints the workflows load.
 * - `EASEL_COMFYUI_WORKFLOWS` (optional): a folder of API-format workflows (generate.json,
 *   edit.json, variation.json — any of them, each replacing Easel's default) and mapping.json
 *   naming where Easel's values go (see workflow-folder.ts). Checked at start-up.
 * - `EASEL_COMFYUI_NEGATIVE_PROMPT` (optional): written to each workflow's negative prompt.
 * - `EASEL_COMFYUI_POLL_MS` (optional, default 1000): how often a run whose websocket dropped asks
 *   `/history` whether it is done.
 *
 * Quality becomes sampling steps (low 12, medium and standard 20, high and hd 30) where a workflow
 * maps `steps`; a workflow that does not keeps its own.
 */
export const name = 'comfyui'

export interface ComfyUiSettings {
  readonly urls: readonly string[]
  readonly checkpoints: readonly Checkpoint[]
  readonly workflows: FolderWorkflows
  readonly negativePrompt: string
  readonly pollMs: number
}

const issue = (ctx: z.RefinementCtx, variable: string, message: string) =>
  ctx.addIssue({ code: 'custom', path: [variable], message })

export const configSchema = z
  .object({
    EASEL_COMFYUI_URLS: z.string().optional(),
    EASEL_COMFYUI_MODELS: z.string().optional(),
    EASEL_COMFYUI_WORKFLOWS: z.string().optional(),
    EASEL_COMFYUI_NEGATIVE_PROMPT: z.string().default(''),
    EASEL_COMFYUI_POLL_MS: z.coerce
      .number()
      .int('must be a whole number of milliseconds')
      .min(10, 'must be at least 10')
      .max(60_000, 'must be at most 60000')
      .default(1000),
  })
  .transform((e, ctx): ComfyUiSettings | null => {
    const urls = (e.EASEL_COMFYUI_URLS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    if (urls.length === 0) return null
    urls.forEach((url, i) => {
      const problem = urlProblem(url)
      // The entry itself is not repeated: it may carry a password.
      if (problem) issue(ctx, 'EASEL_COMFYUI_URLS', `entry ${i + 1} ${problem}`)
    })
    if (new Set(urls).size !== urls.length) issue(ctx, 'EASEL_COMFYUI_URLS', 'lists a server twice')

    let workflows: FolderWorkflows = {}
    let folderOk = true
    if (e.EASEL_COMFYUI_WORKFLOWS) {
      const folder = loadWorkflowFolder(e.EASEL_COMFYUI_WORKFLOWS)
      if (folder.ok) workflows = folder.workflows
      else for (const problem of folder.problems) issue(ctx, 'EASEL_COMFYUI_WORKFLOWS', problem)
      folderOk = folder.ok
    }
    const parsed = parseCheckpoints(e.EASEL_COMFYUI_MODELS ?? '')
    if (!parsed.ok) for (const problem of parsed.problems) issue(ctx, 'EASEL_COMFYUI_MODELS', problem)
    const checkpoints = parsed.ok ? parsed.checkpoints : []
    const needing = needCheckpoint(workflows)
    // Which workflows need a checkpoint is known only once the folder is right.
    if (folderOk && parsed.ok && checkpoints.length === 0 && needing.length > 0) {
      issue(
        ctx,
        'EASEL_COMFYUI_MODELS',
        `name at least one checkpoint file ComfyUI has (e.g. sdxl=sd_xl_base_1.0.safetensors): ${needing.join(', ')} load${needing.length === 1 ? 's' : ''} the one a request asks for`,
      )
    }
    return {
      urls,
      checkpoints,
      workflows,
      negativePrompt: e.EASEL_COMFYUI_NEGATIVE_PROMPT,
      pollMs: e.EASEL_COMFYUI_POLL_MS,
    }
  })

export function create(settings: ComfyUiSettings, deps: EngineDeps): ImageEngine {
  return new ComfyUiEngine({
    urls: settings.urls,
    checkpoints: settings.checkpoints,
    workflows: settings.workflows,
    negativePrompt: settings.negativePrompt,
    pollMs: settings.pollMs,
    ...(deps.log ? { log: deps.log } : {}),
  })
}

function urlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'is not an http:// or https:// URL'
  return null
}

/** The workflows that load the checkpoint a request asks for: Easel's own, and those mapping `model`. */
function needCheckpoint(workflows: FolderWorkflows): string[] {
  const operations: Operation[] = ['generate', 'edit', 'variation']
  return operations.flatMap((op) => {
    const own = workflows[op]
    if (!own) return [`Easel's ${op} workflow`]
    return own.mapping.model?.length ? [`${op}.json`] : []
  })
}
