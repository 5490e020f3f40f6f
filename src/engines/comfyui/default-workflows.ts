import type { Operation } from '../engine.ts'
import type { ApiWorkflow, Mapping, Workflow } from './workflow.ts'

/**
 * The workflows Easel runs when the operator gives none (`EASEL_COMFYUI_WORKFLOWS`), for a standard
 * checkpoint (SD 1.5, SDXL base, …) loaded by `CheckpointLoaderSimple`. Literals here are the
 * defaults ComfyUI's own example workflow uses; Easel writes prompt, seed, size, batch, checkpoint,
 * steps, denoise and the uploaded file names into the inputs each mapping names.
 */

/** Where each built-in workflow writes its images (ComfyUI's output folder, `easel_00001_.png`). */
export const FILENAME_PREFIX = 'easel'

const CHECKPOINT = { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: '' } } as const
const text = (value: string) => ({ class_type: 'CLIPTextEncode', inputs: { text: value, clip: ['4', 1] } })
const sampler = (latent: string, denoise: number) => ({
  class_type: 'KSampler',
  inputs: {
    seed: 0,
    steps: 20,
    cfg: 7,
    sampler_name: 'euler',
    scheduler: 'normal',
    denoise,
    model: ['4', 0],
    positive: ['6', 0],
    negative: ['7', 0],
    latent_image: [latent, 0],
  },
})
const decodeAndSave = {
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: FILENAME_PREFIX, images: ['8', 0] } },
}

/** txt2img: an empty latent of n images, sampled from noise. */
const GENERATE: ApiWorkflow = {
  '4': CHECKPOINT,
  '6': text(''),
  '7': text(''),
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '3': sampler('5', 1),
  ...decodeAndSave,
}

/**
 * Inpainting: the masked area (white in the mask file, read from its red channel) is re-drawn
 * from noise, so the sampler runs at full denoise; the rest of the image is kept.
 */
const EDIT: ApiWorkflow = {
  '4': CHECKPOINT,
  '6': text(''),
  '7': text(''),
  '10': { class_type: 'LoadImage', inputs: { image: '' } },
  '11': { class_type: 'LoadImageMask', inputs: { image: '', channel: 'red' } },
  '12': {
    class_type: 'VAEEncodeForInpaint',
    inputs: { pixels: ['10', 0], vae: ['4', 2], mask: ['11', 0], grow_mask_by: 6 },
  },
  '13': { class_type: 'RepeatLatentBatch', inputs: { samples: ['12', 0], amount: 1 } },
  '3': sampler('13', 1),
  ...decodeAndSave,
}

/** How far a variation moves from its image: recognisably the same picture, drawn anew. */
export const VARIATION_DENOISE = 0.6
/** An edit without a mask changes the whole image, following its prompt more than a variation. */
export const UNMASKED_EDIT_DENOISE = 0.75

/** img2img: the image encoded, repeated n times, and sampled at partial denoise. */
const VARIATION: ApiWorkflow = {
  '4': CHECKPOINT,
  '6': text(''),
  '7': text(''),
  '10': { class_type: 'LoadImage', inputs: { image: '' } },
  '12': { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } },
  '13': { class_type: 'RepeatLatentBatch', inputs: { samples: ['12', 0], amount: 1 } },
  '3': sampler('13', VARIATION_DENOISE),
  ...decodeAndSave,
}

const at = (node: string, input: string) => [{ node, input }] as const

const COMMON: Mapping = {
  prompt: at('6', 'text'),
  negativePrompt: at('7', 'text'),
  seed: at('3', 'seed'),
  steps: at('3', 'steps'),
  model: at('4', 'ckpt_name'),
}

export const DEFAULT_WORKFLOWS: Readonly<Record<Operation, Workflow>> = {
  generate: {
    prompt: GENERATE,
    mapping: { ...COMMON, width: at('5', 'width'), height: at('5', 'height'), batch: at('5', 'batch_size') },
  },
  edit: {
    prompt: EDIT,
    mapping: { ...COMMON, image: at('10', 'image'), mask: at('11', 'image'), batch: at('13', 'amount') },
  },
  variation: {
    prompt: VARIATION,
    mapping: { ...COMMON, image: at('10', 'image'), batch: at('13', 'amount'), denoise: at('3', 'denoise') },
  },
}
