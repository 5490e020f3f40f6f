import { createHash, randomInt } from 'node:crypto'
import {
  DEFAULT_SIZE,
  dimensionsOf,
  listOr,
  MAX_IMAGES_PER_JOB,
  MAX_SEED,
  OPERATIONS,
  type Operation,
  QUALITIES,
  type Quality,
  type ResolvedQuality,
  SIZE_NAMES,
  type SizeName,
  sizeNameOf,
} from '../../contracts/index.ts'
import type { PricingCatalog, Result } from '../../credits/index.ts'
import { type ImageEngine, qualityNamesOf, resolveQuality, sizesOf } from '../../engines/engine.ts'
import { checkUploadHeader, DEFAULT_MAX_UPLOAD_PIXELS, normaliseUpload } from '../../images/upload.ts'
import type { Clock } from '../../util/clock.ts'
import type { EngineRegistry } from '../engine-registry.ts'
import { refuse, type StudioError, studioValidation } from '../errors.ts'

/** What a caller asks the studio to do; checked here as well as at the HTTP edge. */
export interface JobInput {
  accountId: string
  userId: string
  apiKeyId?: string | null
  kind: Operation
  prompt?: string | null
  /** A model one of the engines offers; the default engine's when left out. */
  model?: string | null
  /** Images wanted; the price book's count for the operation when left out (4 for a generation). */
  n?: number
  /** A size by name (`1536x1024`), or a square's side in pixels (`512`); 1024x1024 when left out. */
  size?: string | number | null
  /** `auto` (or none) is what the model's engine makes of it (`resolveQuality`). */
  quality?: string | null
  seed?: number
  /** The image to edit or vary as uploaded (PNG, JPEG or WebP); engines get it as a square PNG. */
  image?: Buffer
  /** PNG bytes, OpenAI's convention (transparent = change); cut and scaled like the image. */
  mask?: Buffer | null
  idempotencyKey?: string
}

/** The uploads of a job as the engines take them (square PNGs); null for a generation. */
export interface Inputs {
  image: Buffer | null
  mask: Buffer | null
}

export interface RequestLimits {
  maxPromptChars: number
  maxUploadBytes: number
  /** Largest upload in pixels, read from its header before decoding; 4096×4096 when left out. */
  maxUploadPixels?: number
}

export interface RequestChecks {
  registry: EngineRegistry
  /** The price book gives the image count of a request that names none. */
  pricing: PricingCatalog | undefined
  clock: Clock
  limits: RequestLimits
}

/** A request found sound: what the job will be, and the hash its idempotency key is matched by. */
export interface CheckedRequest {
  engine: ImageEngine
  model: string
  n: number
  size: SizeName
  quality: ResolvedQuality
  seed: number
  prompt: string | null
  inputs: Inputs
  requestHash: string
}

/**
 * What the price book is asked to price: the parameters a rule may match on. `quality` is always
 * a resolved one, so a book prices `auto` as what it becomes (and a rule for `high` catches it).
 *
 * @example
 * pricingOf({ n: 1, size: '1536x1024', quality: 'high', model: 'gpt-image-1' })
 * // → { n: 1, size: '1536x1024', quality: 'high', model: 'gpt-image-1' }
 */
export function pricingOf(job: {
  /** Left out (a quote that names no count): the book's own count applies. */
  n?: number | undefined
  size: SizeName
  quality: ResolvedQuality
  model: string
}): Record<string, string | number> {
  const look = { size: job.size, quality: job.quality, model: job.model }
  return job.n === undefined ? look : { n: job.n, ...look }
}

/** Checks a request in full, uploads decoded and normalised; a refusal names the field. */
export async function checkRequest(
  input: JobInput,
  checks: RequestChecks,
): Promise<Result<CheckedRequest, StudioError>> {
  const { kind } = input
  if (!OPERATIONS.includes(kind)) {
    return refuse(studioValidation('kind', `must be ${listOr(OPERATIONS)}`))
  }
  // Aliases an administrator set in another process reach this one within seconds.
  await checks.registry.fresh()
  const choice = chooseEngine(kind, input.model, checks.registry)
  if (!choice.ok) return choice
  const { engine, model } = choice.value

  const prompt = checkPrompt(kind, input.prompt, checks.limits.maxPromptChars)
  if (!prompt.ok) return prompt

  const counts = checkCounts(input, () => defaultCount(kind, checks.pricing, checks.clock.now()))
  if (!counts.ok) return counts
  const { n, seed } = counts.value
  const look = checkLook(input, engine, model)
  if (!look.ok) return look
  const { size, quality } = look.value

  let inputs: Inputs = { image: null, mask: null }
  if (kind === 'edit' || kind === 'variation') {
    const mask = kind === 'edit' ? (input.mask ?? null) : null
    const checkedUploads = await checkUploads(input.image, mask, checks.limits)
    if (!checkedUploads.ok) return checkedUploads
    inputs = checkedUploads.value
  } else if (input.image !== undefined) {
    return refuse(studioValidation('image', 'is only for edits and variations'))
  }

  const requestHash = hashRequest(input, { model, n, size, quality, prompt: prompt.value }, inputs)
  return {
    ok: true,
    value: { engine, model, n, size, quality, seed, prompt: prompt.value, inputs, requestHash },
  }
}

function chooseEngine(
  kind: Operation,
  wanted: string | null | undefined,
  registry: EngineRegistry,
): Result<{ engine: ImageEngine; model: string }, StudioError> {
  const choice = registry.resolve(wanted)
  if (!choice) {
    return refuse(
      studioValidation(
        'model',
        `"${wanted}" is not a model of this installation (${registry.modelNames().join(', ')})`,
      ),
    )
  }
  const { engine, model } = choice
  if (!engine.supports(kind)) {
    return refuse(studioValidation('model', `${model} cannot do ${kind === 'edit' ? 'edits' : `${kind}s`}`))
  }
  return { ok: true, value: { engine, model } }
}

/** The prompt trimmed, null when empty (allowed for a variation only). */
function checkPrompt(
  kind: Operation,
  given: string | null | undefined,
  maxChars: number,
): Result<string | null, StudioError> {
  let prompt: string | null = null
  if (given !== undefined && given !== null) {
    if (typeof given !== 'string') return refuse(studioValidation('prompt', 'must be text'))
    prompt = given.trim()
    if (prompt.length > maxChars) {
      return refuse(
        studioValidation('prompt', `must be at most ${maxChars} characters (it has ${prompt.length})`),
      )
    }
    if (prompt.length === 0) prompt = null
  }
  if (prompt === null && kind !== 'variation') return refuse(studioValidation('prompt', 'is required'))
  return { ok: true, value: prompt }
}

/**
 * The size and quality of a request, each one `model` makes: the size by name (a square's side,
 * as requests gave it before sizes had names, is its square), the quality with `auto` resolved.
 * A refusal names what the model takes, before anything is held.
 */
export function checkLook(
  input: { size?: string | number | null; quality?: string | null },
  engine: ImageEngine,
  model: string,
): Result<{ size: SizeName; quality: ResolvedQuality }, StudioError> {
  const given = input.size ?? DEFAULT_SIZE
  const size = sizeNameOf(typeof given === 'number' ? `${given}x${given}` : given)
  if (size === null) {
    return refuse(studioValidation('size', `must be ${listOr(SIZE_NAMES)}, not ${JSON.stringify(given)}`))
  }
  const sizes = sizesOf(engine, model)
  if (!sizes.includes(size)) {
    const squaresOnly = sizes.every((s) => {
      const d = dimensionsOf(s)
      return d.width === d.height
    })
    const what = squaresOnly ? `only square images (${listOr(sizes)})` : listOr(sizes)
    return refuse(
      studioValidation('size', `is ${size}, but the model ${model} makes ${what}; nothing was charged`),
    )
  }
  const asked = input.quality ?? null
  const named: Quality | undefined = QUALITIES.find((q) => q === asked)
  if (asked !== null && named === undefined) {
    return refuse(studioValidation('quality', `must be ${listOr(QUALITIES)}, not ${JSON.stringify(asked)}`))
  }
  const quality = resolveQuality(engine, model, named)
  if (quality === null) {
    return refuse(
      studioValidation('quality', `${model} takes ${listOr(qualityNamesOf(engine, model))}, not ${asked}`),
    )
  }
  return { ok: true, value: { size, quality } }
}

function checkCounts(
  input: JobInput,
  defaultN: () => number,
): Result<{ n: number; seed: number }, StudioError> {
  const n = input.n ?? defaultN()
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_IMAGES_PER_JOB) {
    return refuse(studioValidation('n', `must be a whole number from 1 to ${MAX_IMAGES_PER_JOB}`))
  }
  const seed = input.seed ?? randomInt(0, MAX_SEED)
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
    return refuse(studioValidation('seed', `must be a whole number from 0 to ${MAX_SEED}`))
  }
  return { ok: true, value: { n, seed } }
}

function defaultCount(kind: Operation, pricing: PricingCatalog | undefined, at: number): number {
  const book = pricing?.bookAt(at)
  return book?.operations[kind]?.imagesReturned ?? (kind === 'generate' ? 4 : 3)
}

/**
 * The uploads of an edit or variation: both headers are checked first (length, format, the pixel
 * budget), so that nothing is decoded for a request refused anyway; then each is decoded and
 * normalised off the event loop into what the engines take, a square PNG of at most 1024 pixels,
 * the mask cut and scaled exactly like the image (`images/upload.ts` has the rule).
 */
async function checkUploads(
  image: Buffer | undefined,
  mask: Buffer | null,
  limits: RequestLimits,
): Promise<Result<Inputs, StudioError>> {
  const sizes = {
    maxBytes: limits.maxUploadBytes,
    maxPixels: limits.maxUploadPixels ?? DEFAULT_MAX_UPLOAD_PIXELS,
  }
  const imageHeader = checkUploadHeader(image, 'image', sizes)
  if (!imageHeader.ok) return refuse(studioValidation('image', imageHeader.message))
  const maskHeader = mask ? checkUploadHeader(mask, 'mask', sizes) : null
  if (maskHeader && !maskHeader.ok) return refuse(studioValidation('mask', maskHeader.message))

  const normalImage = await normaliseUpload(image!, imageHeader.value, { role: 'image', limits: sizes })
  if (!normalImage.ok) return refuse(studioValidation('image', normalImage.message))
  if (!maskHeader) return { ok: true, value: { image: normalImage.value.png, mask: null } }

  const { width, height, side } = normalImage.value
  const normalMask = await normaliseUpload(mask!, maskHeader.value, {
    role: 'mask',
    limits: sizes,
    sameSizeAs: { width, height },
  })
  if (!normalMask.ok) return refuse(studioValidation('mask', normalMask.message))
  if (!normalMask.value.hasTransparentPixel) {
    const scaled = side < Math.min(width, height) ? ` (at ${side}x${side}, the size it is scaled to)` : ''
    return refuse(
      studioValidation(
        'mask',
        `must have transparency: its fully transparent pixels mark the area to change${scaled}`,
      ),
    )
  }
  return { ok: true, value: { image: normalImage.value.png, mask: normalMask.value.png } }
}

/**
 * The hash covers the files as uploaded, not as normalised: a retry matches whatever sharp's
 * version or settings make of them, and a PNG kept byte for byte hashes as it always did.
 */
function hashRequest(
  input: JobInput,
  checked: { model: string; n: number; size: SizeName; quality: ResolvedQuality; prompt: string | null },
  inputs: Inputs,
): string {
  const sha = (b: Buffer | undefined | null) => (b ? createHash('sha256').update(b).digest('hex') : null)
  return createHash('sha256')
    .update(
      JSON.stringify({
        kind: input.kind,
        prompt: checked.prompt,
        model: checked.model,
        n: checked.n,
        size: checked.size,
        quality: checked.quality,
        seed: input.seed ?? null,
        image: inputs.image ? sha(input.image) : null,
        mask: inputs.mask ? sha(input.mask) : null,
      }),
    )
    .digest('hex')
}
