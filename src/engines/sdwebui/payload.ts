import type { EngineRequest } from '../engine.ts'
import { openAiMaskToWebUi } from './mask.ts'

/** The model name that means "whichever checkpoint the WebUI has loaded". */
export const LOADED_CHECKPOINT = 'stable-diffusion'

export interface PayloadSettings {
  steps: number
  cfgScale: number
  /** A sampler the WebUI lists (`GET /sdapi/v1/samplers`); omitted, the WebUI uses its default. */
  sampler: string | null
}

/** How far img2img may move from the input: enough to follow an edit prompt, less for a variation. */
export const EDIT_DENOISING = 0.75
export const VARIATION_DENOISING = 0.55

/** `inpainting_fill` 1: the masked area starts from the original pixels, not noise or a flat fill. */
const FILL_ORIGINAL = 1

export interface WebUiCall {
  path: 'sdapi/v1/txt2img' | 'sdapi/v1/img2img'
  body: Record<string, unknown>
}

/**
 * The `/sdapi/v1/txt2img` or `/sdapi/v1/img2img` call for a request (field names as the WebUI's
 * `StableDiffusionProcessing*` API models spell them).
 *
 * @example
 * webUiCall({ operation: 'generate', prompt: 'a fox', n: 2, size: 512, seed: 7, model: 'stable-diffusion' },
 *   { steps: 20, cfgScale: 7, sampler: null })
 * // → { path: 'sdapi/v1/txt2img', body: { prompt: 'a fox', batch_size: 2, n_iter: 1, width: 512, … } }
 */
export function webUiCall(request: EngineRequest, settings: PayloadSettings): WebUiCall {
  const common: Record<string, unknown> = {
    prompt: request.prompt ?? '',
    negative_prompt: '',
    // The WebUI seeds numpy, which takes 0 to 2^32 - 1; it adds 1 per image of a batch itself.
    seed: Math.abs(Math.trunc(request.seed)) % 2 ** 32,
    batch_size: request.n,
    n_iter: 1,
    steps: settings.steps,
    cfg_scale: settings.cfgScale,
    width: request.size,
    height: request.size,
    send_images: true,
    save_images: false,
    ...(settings.sampler ? { sampler_name: settings.sampler } : {}),
    ...(request.model === LOADED_CHECKPOINT
      ? {}
      : { override_settings: { sd_model_checkpoint: request.model } }),
  }
  if (request.operation === 'generate') return { path: 'sdapi/v1/txt2img', body: common }
  const img2img: Record<string, unknown> = {
    ...common,
    init_images: [request.image.toString('base64')],
    // 0: stretch the input to width × height (inputs are square already, so this only scales).
    resize_mode: 0,
    denoising_strength: request.operation === 'edit' ? EDIT_DENOISING : VARIATION_DENOISING,
  }
  if (request.operation === 'edit' && request.mask) {
    Object.assign(img2img, {
      mask: openAiMaskToWebUi(request.mask).toString('base64'),
      inpainting_mask_invert: 0,
      inpainting_fill: FILL_ORIGINAL,
      mask_blur: 4,
      // Whole picture, as OpenAI's edits are: the model sees everything around the masked area.
      inpaint_full_res: false,
    })
  }
  return { path: 'sdapi/v1/img2img', body: img2img }
}
