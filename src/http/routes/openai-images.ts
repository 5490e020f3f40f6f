import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Operation } from '../../engines/engine.ts'
import type { JobView } from '../../studio/studio.ts'
import type { App } from '../app-type.ts'
import { type Principal, requireUser } from '../auth.ts'
import { ApiError, fromStudioError } from '../errors.ts'
import { readMultipart } from '../multipart.ts'
import type { Services } from '../services.ts'
import { idempotencyKeyOf, imageUrl, passThroughValidation } from '../shared.ts'

// The request fields of OpenAI's Images API. Fields Easel has no use for (quality, style, user,
// background…) are accepted and ignored, so that clients written for OpenAI work unchanged.

const SIZE_TEXT = 'must be 256x256, 512x512, 1024x1024 or auto'
const size = z
  .string({ error: SIZE_TEXT })
  .nullish()
  .describe('Square sizes only: 256x256, 512x512, 1024x1024 (or auto = 1024x1024).')
const count = (coerce: boolean) =>
  (coerce
    ? z.coerce.number({ error: 'must be a whole number from 1 to 10' })
    : z.number({ error: 'must be a whole number from 1 to 10' })
  )
    .int('must be a whole number from 1 to 10')
    .min(1, 'must be at least 1')
    .max(10, 'must be at most 10')
    .nullish()
    .describe(
      'Images to make. Defaults to what the price book says the operation returns (4 for a generation, 3 for an edit or variation).',
    )
const responseFormat = z
  .enum(['url', 'b64_json'], { error: 'must be url or b64_json' })
  .nullish()
  .describe('url (signed, works for an hour) or b64_json. Default url.')
const model = z
  .string()
  .max(100)
  .nullish()
  .describe('An engine model; the installation default when left out.')
const ignored = {
  quality: z.string().nullish(),
  style: z.string().nullish(),
  user: z.string().nullish(),
  background: z.string().nullish(),
  moderation: z.string().nullish(),
  output_compression: z.coerce.number().nullish(),
  output_format: z.enum(['png'], { error: 'must be png: Easel makes PNG images' }).nullish(),
}

// JSON bodies are taken as typed (`n: "2"` is refused); multipart fields are text, so coerced.
const seed = (coerce: boolean) =>
  (coerce ? z.coerce.number() : z.number())
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .nullish()

export const GenerationRequest = z.object({
  prompt: z.string({ error: 'is required (text describing the image)' }).min(1, 'must not be empty'),
  model,
  n: count(false),
  size,
  response_format: responseFormat,
  seed: seed(false).describe('Easel extension: repeatable results on the sketch engine.'),
  stream: z.literal(false, { error: 'streaming is not supported' }).nullish(),
  ...ignored,
})
export type GenerationRequest = z.infer<typeof GenerationRequest>

const EditFields = z.object({
  prompt: z.string({ error: 'is required (text describing the change)' }).min(1, 'must not be empty'),
  model,
  n: count(true),
  size,
  response_format: responseFormat,
  seed: seed(true),
  stream: z.enum(['false'], { error: 'streaming is not supported' }).nullish(),
  ...ignored,
})
const VariationFields = z.object({
  model,
  n: count(true),
  size,
  response_format: responseFormat,
  user: z.string().nullish(),
  seed: seed(true),
})

/** For the OpenAPI document only: multipart bodies are read and checked by the handler. */
const EditBody = EditFields.extend({
  image: z.file().describe('The PNG to edit: square, at most the upload limit.'),
  mask: z
    .file()
    .optional()
    .describe('PNG of the same size; fully transparent pixels mark the area to change.'),
})
const VariationBody = VariationFields.extend({ image: z.file().describe('The PNG to vary: square.') })

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
  output_format: z.literal('png'),
})
export type ImagesResponse = z.infer<typeof ImagesResponse>

const errorResponse = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
})
const responses = { 200: ImagesResponse, '4xx': errorResponse, '5xx': errorResponse }

export function registerOpenAiImages(app: App, services: Services): void {
  app.post(
    '/v1/images/generations',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create images from a prompt (OpenAI Images API)',
        body: GenerationRequest,
        response: responses,
      },
    },
    async (request, reply) => {
      const body = request.body
      const principal = requireUser(request)
      return run(services, request, reply, principal, 'generate', body, {
        prompt: body.prompt,
        model: body.model ?? undefined,
        n: body.n ?? undefined,
        size: parseSize(body.size),
        seed: body.seed ?? undefined,
      })
    },
  )

  app.post(
    '/v1/images/edits',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Edit an image: repaint the masked area from a prompt (multipart)',
        consumes: ['multipart/form-data'],
        body: EditBody,
        response: responses,
      },
      validatorCompiler: passThroughValidation,
    },
    async (request, reply) => {
      const principal = requireUser(request)
      const form = await readMultipart(request, reply, services.config.server.maxUploadBytes, [
        'image',
        'mask',
      ])
      const fields = parseFields(EditFields, form.fields)
      return run(services, request, reply, principal, 'edit', fields, {
        prompt: fields.prompt,
        model: fields.model ?? undefined,
        n: fields.n ?? undefined,
        size: parseSize(fields.size),
        seed: fields.seed ?? undefined,
        image: form.file('image', true)!,
        mask: form.file('mask', false),
      })
    },
  )

  app.post(
    '/v1/images/variations',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Make variations of an image (multipart)',
        consumes: ['multipart/form-data'],
        body: VariationBody,
        response: responses,
      },
      validatorCompiler: passThroughValidation,
    },
    async (request, reply) => {
      const principal = requireUser(request)
      const form = await readMultipart(request, reply, services.config.server.maxUploadBytes, ['image'])
      const fields = parseFields(VariationFields, form.fields)
      return run(services, request, reply, principal, 'variation', fields, {
        model: fields.model ?? undefined,
        n: fields.n ?? undefined,
        size: parseSize(fields.size),
        seed: fields.seed ?? undefined,
        image: form.file('image', true)!,
      })
    },
  )
}

/** Checks multipart text fields against a schema, reporting the first problem like JSON bodies do. */
function parseFields<T extends z.ZodType>(schema: T, fields: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(fields)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const field = issue.path.join('.')
  throw new ApiError('VALIDATION', `${field}: ${issue.message}`, { field })
}

/** OpenAI's size strings; Easel's engines make squares. */
export function parseSize(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === 'auto') return undefined
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(value)
  if (!m) throw new ApiError('VALIDATION', `size: ${SIZE_TEXT}, not "${value}"`, { field: 'size' })
  if (m[1] !== m[2]) {
    throw new ApiError('VALIDATION', `size: Easel makes square images; ${SIZE_TEXT}, not "${value}"`, {
      field: 'size',
    })
  }
  return Number(m[1])
}

async function run(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  principal: Principal,
  kind: Operation,
  body: { response_format?: 'url' | 'b64_json' | null },
  job: {
    prompt?: string
    model?: string
    n?: number
    size?: number
    seed?: number
    image?: Buffer
    mask?: Buffer | null
  },
): Promise<ImagesResponse> {
  const submitted = await services.studio.submit({
    ...job,
    kind,
    accountId: principal.user.accountId,
    userId: principal.user.id,
    apiKeyId: principal.keyId,
    ...idempotencyKeyOf(request),
  })
  if (!submitted.ok) {
    const error = fromStudioError(submitted.error)
    await creditHeaders(services, reply, principal.user.accountId, 0)
    throw error
  }
  const finished = await submitted.value.done
  await creditHeaders(services, reply, principal.user.accountId, finished.creditsCharged)
  if (submitted.value.replayed) reply.header('idempotent-replayed', 'true')
  if (finished.status !== 'succeeded') throw jobFailure(finished)
  return imagesResponse(services, request, finished, body.response_format ?? 'url')
}

export function jobFailure(job: JobView): ApiError {
  const reason = job.error?.code ?? 'ENGINE_ERROR'
  return new ApiError(
    'JOB_FAILED',
    `${job.error?.message ?? 'the job failed'} (job ${job.id}; nothing was charged)`,
    {
      reason,
    },
  )
}

async function creditHeaders(services: Services, reply: FastifyReply, accountId: string, charged: number) {
  reply.header('x-credits-charged', String(charged))
  const balance = await services.ledger.balance(accountId)
  if (balance.ok) reply.header('x-credits-remaining', String(balance.value.available))
}

async function imagesResponse(
  services: Services,
  request: FastifyRequest,
  job: JobView,
  format: 'url' | 'b64_json',
): Promise<ImagesResponse> {
  const data = await Promise.all(
    job.images.map(async (image) =>
      format === 'b64_json'
        ? { b64_json: (await services.studio.readImage(job.accountId, image.id)).toString('base64') }
        : { url: imageUrl(services, request, image.id) },
    ),
  )
  return {
    created: Math.floor((job.finishedAt ?? services.clock.now()) / 1000),
    data,
    size: `${job.size}x${job.size}`,
    output_format: 'png',
  }
}
