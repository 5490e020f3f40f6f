import type { FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { Services } from '../../app/index.ts'
import {
  defaultResponseFormat,
  EditBody,
  EditFields,
  GenerationRequest,
  type ImagesResponse,
  imagesResponses,
  type Operation,
  type ResponseFormat,
  SIZE_TEXT,
  type SizeName,
  sizeNameOf,
  VariationBody,
  VariationFields,
} from '../../contracts/index.ts'
import type { JobView } from '../../studio/studio.ts'
import type { App } from '../app-type.ts'
import { type Principal, requireUser } from '../auth.ts'
import { ApiError, fromStudioError } from '../errors.ts'
import { readMultipart } from '../multipart.ts'
import { idempotencyKeyOf, imageUrl, passThroughValidation } from '../shared.ts'

export function registerOpenAiImages(app: App, services: Services): void {
  app.post(
    '/v1/images/generations',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'Create images from a prompt (OpenAI Images API)',
        body: GenerationRequest,
        response: imagesResponses,
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
        quality: body.quality ?? undefined,
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
        response: imagesResponses,
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
        quality: fields.quality ?? undefined,
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
        response: imagesResponses,
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

/**
 * OpenAI's size strings: a size name, or `auto` (and none), which is 1024x1024. Whether the model
 * makes it is the studio's to say (with the sizes it does make).
 */
export function parseSize(value: string | null | undefined): SizeName | undefined {
  if (value === null || value === undefined || value === 'auto') return undefined
  const size = sizeNameOf(value)
  if (!size) throw new ApiError('VALIDATION', `size: ${SIZE_TEXT}, not "${value}"`, { field: 'size' })
  return size
}

async function run(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  principal: Principal,
  kind: Operation,
  body: { response_format?: ResponseFormat | null },
  job: {
    prompt?: string
    model?: string
    n?: number
    size?: SizeName | undefined
    quality?: string | undefined
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
  const format = body.response_format ?? defaultResponseFormat(job.model)
  return imagesResponse(services, request, finished, format)
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
  format: ResponseFormat,
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
    size: job.size,
    quality: job.quality,
    output_format: 'png',
  }
}
