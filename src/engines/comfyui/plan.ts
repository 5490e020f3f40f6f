import type { EngineRequest, Operation, ResolvedQuality } from '../engine.ts'
import type { Checkpoint } from './checkpoints.ts'
import { UNMASKED_EDIT_DENOISE } from './default-workflows.ts'
import { comfyMaskFromAlpha, comfyMaskFromOpenAi, inputImage } from './mask.ts'
import type { WorkflowValues } from './workflow.ts'

/**
 * Sampling steps for each quality a request may ask for, written to a workflow that maps `steps`
 * (a workflow that does not keeps its own). `auto` is resolved (to `standard`) before an engine
 * sees it.
 */
export const STEPS: Readonly<Record<ResolvedQuality, number>> = {
  low: 12,
  medium: 20,
  standard: 20,
  high: 30,
  hd: 30,
}

/** What one run sends: which workflow, the values written into it, and the files to upload. */
export interface RunPlan {
  /** The workflow run: an edit without any mask is run as a variation that follows its prompt. */
  readonly workflow: Operation
  /** Everything but the uploaded files' names, which ComfyUI gives on upload. */
  readonly values: WorkflowValues
  /** The PNG for `image`, at the size asked for. */
  readonly image: Buffer | null
  /** The PNG for `mask` (white = change), at the size asked for. */
  readonly mask: Buffer | null
  readonly width: number
  readonly height: number
}

export interface PlanSettings {
  readonly checkpoints: readonly Checkpoint[]
  readonly negativePrompt: string
}

/**
 * The run for a request. Inputs are scaled to the size asked for before upload, so that the
 * latent (and so the images) comes out that size whatever the workflow. An edit's mask becomes
 * ComfyUI's polarity (see mask.ts); an edit without a mask takes its image's transparency as the
 * mask, as OpenAI does, and an opaque image without one is changed as a whole: img2img.
 *
 * @example
 * planRun({ operation: 'generate', prompt: 'a fox', n: 4, size: '512x512', width: 512, height: 512,
 *   quality: 'standard', seed: 7, model: 'sdxl' },
 *   { checkpoints: [{ name: 'sdxl', file: 'sd_xl_base_1.0.safetensors' }], negativePrompt: '' })
 * // → { workflow: 'generate', values: { prompt: 'a fox', seed: 7, batch: 4, width: 512, height: 512,
 * //     steps: 20, model: 'sd_xl_base_1.0.safetensors', negativePrompt: '' }, image: null, mask: null, … }
 */
export function planRun(request: EngineRequest, settings: PlanSettings): RunPlan {
  const { width, height } = request
  const checkpoint = settings.checkpoints.find((c) => c.name === request.model) ?? settings.checkpoints[0]
  const values: WorkflowValues = {
    prompt: request.prompt ?? '',
    negativePrompt: settings.negativePrompt,
    // ComfyUI's seeds are 0 to 2^64 - 1; a request's seed is a safe integer.
    seed: Math.abs(Math.trunc(request.seed)),
    batch: request.n,
    width,
    height,
    steps: STEPS[request.quality],
    ...(checkpoint ? { model: checkpoint.file } : {}),
  }
  const base = { values, width, height, image: null, mask: null }
  if (request.operation === 'generate') return { ...base, workflow: 'generate' }
  const image = inputImage(request.image, width, height)
  if (request.operation === 'variation') return { ...base, workflow: 'variation', image }
  const mask = request.mask
    ? comfyMaskFromOpenAi(request.mask, width, height)
    : comfyMaskFromAlpha(request.image, width, height)
  if (mask) return { ...base, workflow: 'edit', image, mask }
  return { ...base, workflow: 'variation', image, values: { ...values, denoise: UNMASKED_EDIT_DENOISE } }
}
