import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { JobView } from '../../studio/studio.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError, fromStudioError } from '../errors.ts'
import { readMultipart } from '../multipart.ts'
import { errorResponses, ImageBody, idParam, imageBody } from '../schemas.ts'
import type { Services } from '../services.ts'
import { idempotencyKeyOf, passThroughValidation } from '../shared.ts'

/** A job request; multipart fields are text, so numbers are coerced there and only there. */
const jobRequest = (coerce: boolean) => {
  const number = (message: string) =>
    coerce ? z.coerce.number({ error: message }) : z.number({ error: message })
  return z.object({
    kind: z.enum(['generate', 'edit', 'variation'], { error: 'must be generate, edit or variation' }),
    prompt: z.string().optional(),
    model: z.string().max(100).optional(),
    n: number('must be a whole number').int('must be a whole number').min(1).max(10).optional(),
    size: z
      .enum(['256x256', '512x512', '1024x1024'], { error: 'must be 256x256, 512x512 or 1024x1024' })
      .optional(),
    seed: number('must be a whole number')
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /** An image of the account's own to edit or vary, instead of uploading one. */
    imageId: z
      .string()
      .regex(/^img_[0-9a-z]{26}$/, 'must be an img_… id')
      .optional(),
  })
}
export const JobRequest = jobRequest(false)
const JobRequestFields = jobRequest(true)
export type JobRequest = z.infer<typeof JobRequest>

export const JobBody = z.object({
  id: z.string(),
  kind: z.enum(['generate', 'edit', 'variation']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  engine: z.string(),
  model: z.string(),
  prompt: z.string().nullable(),
  n: z.number().int(),
  size: z.number().int(),
  seed: z.number().int(),
  creditsQuoted: z.number().int(),
  creditsCharged: z.number().int(),
  bookVersion: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  procedural: z.boolean(),
  createdAt: z.number().int(),
  startedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
  images: z.array(ImageBody),
  /**
   * What the job really cost once it succeeded: its credits and the money those credits were bought
   * for (free credits cost nothing), in minor units, in total and per image kept (its favourites,
   * or all its images when none is a favourite yet).
   */
  cost: z
    .object({
      credits: z.number().int(),
      currency: z.string(),
      priceMinor: z.string(),
      perImageKeptMinor: z.string().nullable(),
      imagesKept: z.number().int(),
    })
    .nullable(),
})
export type JobBody = z.infer<typeof JobBody>
export type JobCost = JobBody['cost']

export async function jobBodyWithCost(
  services: Services,
  request: FastifyRequest,
  job: JobView,
): Promise<JobBody> {
  return jobBody(services, request, job, await services.studio.jobCost(job))
}

export function jobBody(
  services: Services,
  request: FastifyRequest,
  job: JobView,
  cost: JobCost = null,
): JobBody {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    engine: job.engine,
    model: job.model,
    prompt: job.prompt,
    n: job.n,
    size: job.size,
    seed: job.seed,
    creditsQuoted: job.creditsQuoted,
    creditsCharged: job.creditsCharged,
    bookVersion: job.bookVersion,
    error: job.error,
    procedural: job.procedural,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    images: job.images.map((i) => imageBody(services, request, i)),
    cost,
  }
}

const SSE_HEARTBEAT_MS = 15_000

const finished = (job: JobView) => job.status !== 'queued' && job.status !== 'running'

/** Jobs: start one (202, runs in the background), follow it (SSE or polling), list them. */
export function registerJobRoutes(app: App, services: Services): void {
  const { studio } = services

  app.post(
    '/api/jobs',
    {
      schema: {
        tags: ['Jobs'],
        summary:
          'Start a job. JSON for a generation (or an edit/variation of an image of yours by imageId); multipart/form-data with an `image` (and `mask`) file to upload one. Returns 202 with the job.',
        consumes: ['application/json', 'multipart/form-data'],
        body: JobRequest,
        response: { 202: JobBody, ...errorResponses },
      },
      validatorCompiler: passThroughValidation,
    },
    async (request, reply) => {
      const p = requireUser(request)
      let fields: unknown = request.body
      let image: Buffer | undefined
      let mask: Buffer | null = null
      if (request.isMultipart()) {
        const form = await readMultipart(request, reply, services.config.server.maxUploadBytes, [
          'image',
          'mask',
        ])
        fields = form.fields
        image = form.file('image', false) ?? undefined
        mask = form.file('mask', false)
      }
      const parsed = (request.isMultipart() ? JobRequestFields : JobRequest).safeParse(fields ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        const field = issue.path.join('.') || 'body'
        throw new ApiError('VALIDATION', `${field}: ${issue.message}`, { field })
      }
      const body = parsed.data
      if (body.imageId) {
        if (image)
          throw new ApiError('VALIDATION', 'imageId: give an imageId or upload an image, not both', {
            field: 'imageId',
          })
        // Another account's image is "not found", like any unknown id.
        const own = await studio.getImage(p.user.accountId, body.imageId)
        if (!own) throw new ApiError('NOT_FOUND', `no image ${body.imageId}`)
        image = await studio.readImage(p.user.accountId, own.id)
      }
      const submitted = await studio.submit({
        kind: body.kind,
        accountId: p.user.accountId,
        userId: p.user.id,
        apiKeyId: p.keyId,
        ...(body.prompt === undefined ? {} : { prompt: body.prompt }),
        ...(body.model === undefined ? {} : { model: body.model }),
        ...(body.n === undefined ? {} : { n: body.n }),
        ...(body.size === undefined ? {} : { size: Number(body.size.split('x')[0]) }),
        ...(body.seed === undefined ? {} : { seed: body.seed }),
        ...(image ? { image } : {}),
        mask,
        ...idempotencyKeyOf(request),
      })
      if (!submitted.ok) throw fromStudioError(submitted.error)
      // The job finishes in the background; what it settles is read from the job.
      submitted.value.done.catch((error) => request.log.error({ err: error }, 'job failed unexpectedly'))
      if (submitted.value.replayed) reply.header('idempotent-replayed', 'true')
      reply.header('location', `/api/jobs/${submitted.value.job.id}`)
      return reply.status(202).send(jobBody(services, request, submitted.value.job))
    },
  )

  app.get(
    '/api/jobs',
    {
      schema: {
        tags: ['Jobs'],
        summary: 'Your jobs with their images, newest first',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          before: z
            .string()
            .regex(/^job_[0-9a-z]{26}$/, 'must be a job_… id (the nextBefore of a page)')
            .optional(),
          favourites: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: z.object({ jobs: z.array(JobBody), nextBefore: z.string().nullable() }) },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const page = await studio.listJobs(p.user.accountId, {
        limit: request.query.limit,
        ...(request.query.before ? { before: request.query.before } : {}),
        favourites: request.query.favourites === 'true',
      })
      return {
        jobs: await Promise.all(page.jobs.map((j) => jobBodyWithCost(services, request, j))),
        nextBefore: page.nextBefore,
      }
    },
  )

  app.get(
    '/api/jobs/:id',
    {
      schema: {
        tags: ['Jobs'],
        summary: 'One job (poll this, or follow /events)',
        params: idParam('job'),
        response: { 200: JobBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const job = await studio.getJob(p.user.accountId, request.params.id)
      if (!job) throw new ApiError('NOT_FOUND', `no job ${request.params.id}`)
      return jobBodyWithCost(services, request, job)
    },
  )

  app.get(
    '/api/jobs/:id/events',
    {
      schema: {
        tags: ['Jobs'],
        summary: 'Server-Sent Events: a `job` event with the job at each change of status, until it finishes',
        params: idParam('job'),
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const accountId = p.user.accountId
      const first = await studio.getJob(accountId, request.params.id)
      if (!first) throw new ApiError('NOT_FOUND', `no job ${request.params.id}`)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      })
      let closed = false
      let lastStatus = ''
      const send = async (job: JobView) => {
        if (closed || job.status === lastStatus) return
        lastStatus = job.status
        const body = await jobBodyWithCost(services, request, job)
        if (closed) return
        res.write(`event: job\ndata: ${JSON.stringify(body)}\n\n`)
        if (finished(job)) end()
      }
      let unsubscribe = () => {}
      let poll: NodeJS.Timeout | undefined
      // A comment line now and then keeps proxies from closing a quiet stream during a long job.
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS)
      const end = () => {
        if (closed) return
        closed = true
        unsubscribe()
        clearInterval(poll)
        clearInterval(heartbeat)
        res.end()
      }
      request.raw.on('close', end)
      await send(first)
      if (closed) return
      unsubscribe = studio.subscribe(first.id, (job) => {
        // Events carry the job as the runner saw it; the finished one is re-read with its images.
        if (finished(job)) {
          studio
            .getJob(accountId, job.id)
            .then((j) => j && send(j))
            .catch(end)
        } else send(job).catch(end)
      })
      // A job another process runs sends no events here: look at it now and then.
      const check = () =>
        studio
          .getJob(accountId, first.id)
          .then((j) => j && send(j))
          .catch(end)
      await check()
      if (!closed && !studio.isLocal(first.id)) poll = setInterval(check, 500)
    },
  )
}
