import { decodePng, type RgbaImage } from '../../src/images/png.ts'

/**
 * The nodes the fake ComfyUI knows, validated as ComfyUI's `execution.validate_prompt` validates
 * them (required inputs, link targets and types, numbers within bounds, choices in their list,
 * `LoadImage` files uploaded), and "run" so that what a workflow asks for is visible in its images:
 * a txt2img latent becomes a pattern coloured by its seed, img2img the input tinted by its denoise,
 * inpainting the input with the masked area (mask ≥ 0.5) painted INPAINT_COLOUR.
 */

type Kind = 'MODEL' | 'CLIP' | 'VAE' | 'CONDITIONING' | 'LATENT' | 'IMAGE' | 'MASK'
type InputSpec =
  | { link: Kind }
  | { int: [number, number]; step?: number }
  | { float: [number, number] }
  | { text: true }
  | { choice: (ctx: NodeContext) => readonly string[] }
  | { file: true }

interface NodeSpec {
  inputs: Record<string, InputSpec>
  outputs: Kind[]
  output?: boolean
}

export interface NodeContext {
  checkpoints: readonly string[]
  files: ReadonlyMap<string, Buffer>
}

const SAMPLERS = ['euler', 'euler_ancestral', 'dpmpp_2m', 'dpmpp_2m_sde', 'ddim']
const SCHEDULERS = ['normal', 'karras', 'exponential', 'simple']
/** ComfyUI's seeds go to 2^64 - 1; a JavaScript number holds that bound only approximately. */
const MAX_SEED = 2 ** 64

export const NODES: Readonly<Record<string, NodeSpec>> = {
  CheckpointLoaderSimple: {
    inputs: { ckpt_name: { choice: (c) => c.checkpoints } },
    outputs: ['MODEL', 'CLIP', 'VAE'],
  },
  CLIPTextEncode: { inputs: { text: { text: true }, clip: { link: 'CLIP' } }, outputs: ['CONDITIONING'] },
  EmptyLatentImage: {
    inputs: {
      width: { int: [16, 16384], step: 8 },
      height: { int: [16, 16384], step: 8 },
      batch_size: { int: [1, 4096] },
    },
    outputs: ['LATENT'],
  },
  KSampler: {
    inputs: {
      model: { link: 'MODEL' },
      seed: { int: [0, MAX_SEED] },
      steps: { int: [1, 10000] },
      cfg: { float: [0, 100] },
      sampler_name: { choice: () => SAMPLERS },
      scheduler: { choice: () => SCHEDULERS },
      positive: { link: 'CONDITIONING' },
      negative: { link: 'CONDITIONING' },
      latent_image: { link: 'LATENT' },
      denoise: { float: [0, 1] },
    },
    outputs: ['LATENT'],
  },
  VAEDecode: { inputs: { samples: { link: 'LATENT' }, vae: { link: 'VAE' } }, outputs: ['IMAGE'] },
  VAEEncode: { inputs: { pixels: { link: 'IMAGE' }, vae: { link: 'VAE' } }, outputs: ['LATENT'] },
  VAEEncodeForInpaint: {
    inputs: {
      pixels: { link: 'IMAGE' },
      vae: { link: 'VAE' },
      mask: { link: 'MASK' },
      grow_mask_by: { int: [0, 64] },
    },
    outputs: ['LATENT'],
  },
  RepeatLatentBatch: {
    inputs: { samples: { link: 'LATENT' }, amount: { int: [1, 64] } },
    outputs: ['LATENT'],
  },
  LoadImage: { inputs: { image: { file: true } }, outputs: ['IMAGE', 'MASK'] },
  LoadImageMask: {
    inputs: { image: { file: true }, channel: { choice: () => ['alpha', 'red', 'green', 'blue'] } },
    outputs: ['MASK'],
  },
  SaveImage: {
    inputs: { images: { link: 'IMAGE' }, filename_prefix: { text: true } },
    outputs: [],
    output: true,
  },
  PreviewImage: { inputs: { images: { link: 'IMAGE' } }, outputs: [], output: true },
}

export interface PromptNode {
  class_type: string
  inputs: Record<string, unknown>
}
export type Prompt = Record<string, PromptNode>

interface Reason {
  type: string
  message: string
  details: string
  extra_info: Record<string, unknown>
}

/** ComfyUI's 400 answer to `POST /prompt`, or null when the prompt may be queued. */
export function validatePrompt(
  prompt: unknown,
  ctx: NodeContext,
): { error: Reason; node_errors: unknown } | null {
  if (typeof prompt !== 'object' || prompt === null) {
    return { error: reason('invalid_prompt', 'Invalid prompt', 'not an object'), node_errors: {} }
  }
  const nodes = prompt as Record<string, PromptNode>
  for (const [id, node] of Object.entries(nodes)) {
    if (!node || typeof node.class_type !== 'string' || !(node.class_type in NODES)) {
      const type = node?.class_type ?? 'undefined'
      return {
        error: reason(
          'invalid_prompt',
          `Cannot execute because node ${type} does not exist.`,
          `Node ID '#${id}'`,
        ),
        node_errors: {},
      }
    }
  }
  if (!Object.values(nodes).some((node) => NODES[node.class_type]!.output)) {
    return { error: reason('prompt_no_outputs', 'Prompt has no outputs', ''), node_errors: [] }
  }
  const nodeErrors: Record<string, { errors: Reason[]; dependent_outputs: string[]; class_type: string }> = {}
  for (const [id, node] of Object.entries(nodes)) {
    const errors = validateNode(nodes, node, ctx)
    if (errors.length > 0) nodeErrors[id] = { errors, dependent_outputs: [], class_type: node.class_type }
  }
  if (Object.keys(nodeErrors).length === 0) return null
  const details = Object.values(nodeErrors)
    .flatMap((n) => n.errors.map((e) => `${e.message}: ${e.details}`))
    .join('\n')
  return {
    error: reason('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details),
    node_errors: nodeErrors,
  }
}

export function reason(type: string, message: string, details: string): Reason {
  return { type, message, details, extra_info: {} }
}

function validateNode(nodes: Prompt, node: PromptNode, ctx: NodeContext): Reason[] {
  const errors: Reason[] = []
  const inputs = node.inputs ?? {}
  for (const [name, spec] of Object.entries(NODES[node.class_type]!.inputs)) {
    const value = inputs[name]
    if (value === undefined) {
      errors.push(reason('required_input_missing', 'Required input is missing', name))
      continue
    }
    if ('link' in spec) {
      const [from, index] = Array.isArray(value) ? value : []
      const source = nodes[String(from)]
      const kind = source ? NODES[source.class_type]?.outputs[Number(index)] : undefined
      if (kind !== spec.link) {
        errors.push(
          reason(
            'return_type_mismatch',
            'Return type mismatch between linked nodes',
            `${name}, ${kind ?? 'nothing'} != ${spec.link}`,
          ),
        )
      }
    } else if ('int' in spec || 'float' in spec) {
      const [min, max] = 'int' in spec ? spec.int : spec.float
      if (typeof value !== 'number' || ('int' in spec && !Number.isInteger(value))) {
        errors.push(
          reason(
            'invalid_input_type',
            `Failed to convert an input value to a ${'int' in spec ? 'INT' : 'FLOAT'} value`,
            `${name}, ${value}`,
          ),
        )
      } else if (value < min) {
        errors.push(reason('value_smaller_than_min', `Value ${value} smaller than min of ${min}`, name))
      } else if (value > max) {
        errors.push(reason('value_bigger_than_max', `Value ${value} bigger than max of ${max}`, name))
      } else if ('step' in spec && spec.step && value % spec.step !== 0) {
        errors.push(
          reason(
            'custom_validation_failed',
            'Custom validation failed for node',
            `${name} - not a multiple of ${spec.step}`,
          ),
        )
      }
    } else if ('text' in spec) {
      if (typeof value !== 'string')
        errors.push(reason('invalid_input_type', 'Failed to convert an input value to a STRING value', name))
    } else if ('choice' in spec) {
      const list = spec.choice(ctx)
      if (!list.includes(value as string)) {
        errors.push(
          reason(
            'value_not_in_list',
            'Value not in list',
            `${name}: '${String(value)}' not in ${JSON.stringify(list)}`,
          ),
        )
      }
    } else if (typeof value !== 'string' || !ctx.files.has(value)) {
      errors.push(
        reason(
          'custom_validation_failed',
          'Custom validation failed for node',
          `${name} - Invalid image file: ${String(value)}`,
        ),
      )
    }
  }
  return errors
}

/** The colour the fake paints where an inpainting mask says to change. */
export const INPAINT_COLOUR = [255, 0, 255] as const

interface Latent {
  width: number
  height: number
  batch: number
  base: RgbaImage | null
  mask: Float32Array | null
}

/** Nodes in the order ComfyUI would run them (each after those it links to). */
export function executionOrder(nodes: Prompt): string[] {
  const order: string[] = []
  const visit = (id: string) => {
    if (order.includes(id)) return
    for (const value of Object.values(nodes[id]!.inputs)) if (Array.isArray(value)) visit(String(value[0]))
    order.push(id)
  }
  for (const id of Object.keys(nodes)) visit(id)
  return order
}

/** Runs a validated prompt: each output node's images. */
export function evaluate(nodes: Prompt, files: ReadonlyMap<string, Buffer>): Map<string, RgbaImage[]> {
  const memo = new Map<string, unknown[]>()
  const get = (link: unknown): unknown => {
    const [from, index] = link as [string, number]
    return outputsOf(String(from))[index]
  }
  const outputsOf = (id: string): unknown[] => {
    const cached = memo.get(id)
    if (cached) return cached
    const { class_type: type, inputs } = nodes[id]!
    let out: unknown[] = []
    if (type === 'CLIPTextEncode') out = [inputs.text]
    else if (type === 'EmptyLatentImage') {
      out = [
        {
          width: inputs.width as number,
          height: inputs.height as number,
          batch: inputs.batch_size as number,
          base: null,
          mask: null,
        } satisfies Latent,
      ]
    } else if (type === 'LoadImage') {
      const image = decodePng(files.get(inputs.image as string)!)
      const mask = new Float32Array(image.width * image.height).map(
        (_, i) => 1 - image.data[i * 4 + 3]! / 255,
      )
      out = [image, mask]
    } else if (type === 'LoadImageMask') {
      const image = decodePng(files.get(inputs.image as string)!)
      const channel = ['red', 'green', 'blue', 'alpha'].indexOf(inputs.channel as string)
      const mask = new Float32Array(image.width * image.height).map((_, i) => {
        const value = image.data[i * 4 + channel]! / 255
        return channel === 3 ? 1 - value : value
      })
      out = [mask]
    } else if (type === 'VAEEncode' || type === 'VAEEncodeForInpaint') {
      const base = get(inputs.pixels) as RgbaImage
      const mask = type === 'VAEEncodeForInpaint' ? (get(inputs.mask) as Float32Array) : null
      out = [{ width: base.width, height: base.height, batch: 1, base, mask } satisfies Latent]
    } else if (type === 'RepeatLatentBatch') {
      const latent = get(inputs.samples) as Latent
      out = [{ ...latent, batch: latent.batch * (inputs.amount as number) }]
    } else if (type === 'KSampler') {
      // A second sampler (a refiner) takes the first one's samples: drawn as the first drew them.
      const input = get(inputs.latent_image) as Latent | { latent: Latent }
      const latent = 'latent' in input ? input.latent : input
      out = [{ latent, seed: inputs.seed, denoise: inputs.denoise }]
    } else if (type === 'VAEDecode') {
      const sampled = get(inputs.samples) as { latent: Latent; seed: number; denoise: number }
      out = [draw(sampled.latent, sampled.seed, sampled.denoise)]
    } else if (type === 'SaveImage' || type === 'PreviewImage') {
      out = [get(inputs.images)]
    }
    memo.set(id, out)
    return out
  }
  const images = new Map<string, RgbaImage[]>()
  for (const [id, node] of Object.entries(nodes)) {
    if (NODES[node.class_type]!.output) images.set(id, outputsOf(id)[0] as RgbaImage[])
  }
  return images
}

function draw(latent: Latent, seed: number, denoise: number): RgbaImage[] {
  // Written pixel by pixel without allocating: the benchmark runs this fake at full speed.
  return Array.from({ length: latent.batch }, (_, index) => {
    const { width, height, base, mask } = latent
    const data = new Uint8Array(width * height * 4)
    const hue = [(seed * 37 + index * 60) % 256, (seed * 91) % 256, (index * 45 + 100) % 256]
    for (let i = 0; i < width * height; i++) {
      const o = i * 4
      for (let k = 0; k < 3; k++) {
        const h = hue[k]!
        if (!base) data[o + k] = i % width < width / 2 ? h : 255 - h
        else if (mask) data[o + k] = mask[i]! >= 0.5 ? INPAINT_COLOUR[k]! : base.data[o + k]!
        else data[o + k] = Math.round(base.data[o + k]! * (1 - denoise) + h * denoise)
      }
      data[o + 3] = 255
    }
    return { width, height, data }
  })
}
