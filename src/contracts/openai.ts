import { z } from 'zod'
import { OpenAiErrorBody } from './errors.ts'
import { ModelField, QualityField } from './fields.ts'
import { listOr, MAX_IMAGES_PER_JOB, MAX_SEED, SIZE_NAMES } from './limits.ts'

// The OpenAI-compatible Images API under /v1: OpenAI's request fields and response shape. Fields
// Easel has no use for (style, user, background…) are accepted and ignored, so that clients
// written for OpenAI work unchanged.

/** What a /v1 `size` may be; the route reads the value and refuses others in these words. */
export const SIZE_TEXT = `must be ${SIZE_NAMES.join(', ')} or auto`

const size = z
  .string({ error: SIZE_TEXT })
  .nullish()
  .describe(
    `${SIZE_NAMES.join(', ')} (or auto = 1024x1024). Which of them a model makes depends on it (dall-e-3: 1792x1024 and 1024x1792; gpt-image: 1536x1024 and 1024x1536); a size the model cannot make is refused before anything is charged.`,
  )

const quality = QualityField.nullish().describe(
  'low, medium or high (gpt-image models), standard or hd (dall-e-3), or auto (the default: the best the model makes, priced as that). Engines without a notion of quality take any and map it.',
)

// JSON bodies are taken as typed (`n: "2"` is refused); multipart fields are text, so coerced.
const COUNT_TEXT = `must be a whole number from 1 to ${MAX_IMAGES_PER_JOB}`
const COUNT_ABOUT =
  'Images to make. Defaults to what the price book says the operation returns (4 for a generation, 3 for an edit or variation).'
const count = z
  .number({ error: COUNT_TEXT })
  .int(COUNT_TEXT)
  .min(1, 'must be at least 1')
  .max(MAX_IMAGES_PER_JOB, `must be at most ${MAX_IMAGES_PER_JOB}`)
  .nullish()
  .describe(COUNT_ABOUT)
const countField = z.coerce
  .number({ error: COUNT_TEXT })
  .int(COUNT_TEXT)
  .min(1, 'must be at least 1')
  .max(MAX_IMAGES_PER_JOB, `must be at most ${MAX_IMAGES_PER_JOB}`)
  .nullish()
  .describe(COUNT_ABOUT)

const seed = z.number().int().min(0).max(MAX_SEED).nullish()
const seedField = z.coerce.number().int().min(0).max(MAX_SEED).nullish()

export const RESPONSE_FORMATS = ['url', 'b64_json'] as const
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number]

/**
 * What a request without `response_format` is answered with: `b64_json` when it names a GPT image
 * model (`gpt-image-1`, `chatgpt-image-latest`, or an alias so named), which OpenAI answers only
 * that way and clients written for it expect (the AI SDK sends no `response_format` for them);
 * `url` otherwise, OpenAI's default for the other models.
 */
export function defaultResponseFormat(model: string | null | undefined): ResponseFormat {
  return model && /^(gpt-image|chatgpt-image)/.test(model) ? 'b64_json' : 'url'
}
const responseFormat = z
  .enum(RESPONSE_FORMATS, { error: `must be ${listOr(RESPONSE_FORMATS)}` })
  .nullish()
  .describe(
    'url (signed, works for an hour) or b64_json. Default url, except for a model named gpt-image-… (or an alias so named): b64_json, as OpenAI answers those.',
  )

const model = ModelField.nullish().describe('An engine model; the installation default when left out.')

const ignored = {
  style: z.string().nullish(),
  user: z.string().nullish(),
  background: z.string().nullish(),
  moderation: z.string().nullish(),
  output_compression: z.coerce.number().nullish(),
  output_format: z.enum(['png'], { error: 'must be png: Easel makes PNG images' }).nullish(),
}

/** `POST /v1/images/generations` (JSON). */
export const GenerationRequest = z.object({
  prompt: z.string({ error: 'is required (text describing the image)' }).min(1, 'must not be empty'),
  model,
  n: count,
  size,
  quality,
  response_format: responseFormat,
  seed: seed.describe('Easel extension: repeatable results on the sketch engine.'),
  stream: z.literal(false, { error: 'streaming is not supported' }).nullish(),
  ...ignored,
})
export type GenerationRequest = z.input<typeof GenerationRequest>

/** The text fields of `POST /v1/images/edits` (multipart, with `image` and `mask` files). */
export const EditFields = z.object({
  prompt: z.string({ error: 'is required (text describing the change)' }).min(1, 'must not be empty'),
  model,
  n: countField,
  size,
  quality,
  response_format: responseFormat,
  seed: seedField,
  stream: z.enum(['false'], { error: 'streaming is not supported' }).nullish(),
  ...ignored,
})

/** The text fields of `POST /v1/images/variations` (multipart, with an `image` file). */
export const VariationFields = z.object({
  model,
  n: countField,
  size,
  response_format: responseFormat,
  user: z.string().nullish(),
  seed: seedField,
})

/** For the OpenAPI document only: multipart bodies are read and checked by the route. */
export const EditBody = EditFields.extend({
  image: z.file().describe('The PNG to edit: square, at most the upload limit.'),
  mask: z
    .file()
    .optional()
    .describe('PNG of the same size; fully transparent pixels mark the area to change.'),
})
export const VariationBody = VariationFields.extend({ image: z.file().describe('The PNG to vary: square.') })

export const ImagesResponse = z.object({
  created: z.number().int(),
  data: z.array(
    z.object({
      url: z.string().optional(),
      b64_json: z.string().optional(),
      revised_prompt: z.string().optional(),
    }),
  ),
  size: z.string(),
  /** The quality the images were made at (`auto` resolved), as OpenAI's gpt-image answers say. */
  quality: z.string(),
  output_format: z.literal('png'),
})
export type ImagesResponse = z.output<typeof ImagesResponse>

/** The responses of every /v1/images route. */
export const imagesResponses = { 200: ImagesResponse, '4xx': OpenAiErrorBody, '5xx': OpenAiErrorBody }

/** `GET /v1/models`: the models a request may name, in OpenAI's list shape. */
export const ModelsList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal('model'),
      created: z.number().int(),
      owned_by: z.string(),
    }),
  ),
})
export type ModelsList = z.output<typeof ModelsList>
