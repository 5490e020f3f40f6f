import type { FastifyRequest } from 'fastify'
import type { Services } from '../../app/index.ts'
import {
  errorResponses,
  IdParam,
  JobBody,
  type JobCost,
  JobRequest,
  JobRequestFields,
  JobsPage,
  JobsQuery,
} from '../../contracts/index.ts'
import type { JobView } from '../../studio/studio.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError, fromStudioError } from '../errors.ts'
import { readMultipart } from '../multipart.ts'
import { imageBody } from '../schemas.ts'
import { idempotencyKeyOf, passThroughValidation } from '../shared.ts'

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
  cost: JobCost | null = null,
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
    width: job.width,
    height: job.height,
    quality: job.quality,
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
    progress: job.progress,
    queuePosition: job.queuePosition,
    cost,
  }
}

const SSE_HEARTBEAT_MS = 15_000

const finished = (job: JobView) => job.status !== 'queued' && job.status !== 'running'

/**
 * What a listener has already been told of a job: its status, its progress by whole percents and
 * its place in line. An event that would say the same again is not sent.
 */
const toldOf = (job: JobView) =>
  `${job.status} ${job.progress === null ? '-' : Math.floor(job.progress * 100)} ${job.queuePosition ?? '-'}`

/** Jobs: start one (202, runs in the background), follow it (SSE or polling), cancel it, list them. */
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
        ...(body.size === undefined ? {} : { size: body.size }),
        ...(body.quality === undefined ? {} : { quality: body.quality }),
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
        querystring: JobsQuery,
        response: { 200: JobsPage },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const page = await studio.listJobs(p.user.accountId, {
        limit: request.query.limit,
        ...(request.query.before ? { before: request.query.before } : {}),
        favourites: request.query.favourites === 'true',
        ...(request.query.q ? { q: request.query.q } : {}),
      })
      return {
        jobs: await (async () => {
          const costs = await studio.jobCosts(page.jobs)
          return page.jobs.map((j) => jobBody(services, request, j, costs.get(j.id) ?? null))
        })(),
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
        params: IdParam('job'),
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
        summary:
          'Server-Sent Events: a `job` event with the job at each change of its status, progress (each whole percent) or place in line, until it finishes',
        params: IdParam('job'),
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
      let told = ''
      // One event at a time, in the order the changes came: a body may need the job's cost read.
      let sending: Promise<void> = Promise.resolve()
      const write = async (job: JobView) => {
        if (closed || toldOf(job) === told) return
        told = toldOf(job)
        const body = await jobBodyWithCost(services, request, job)
        if (closed) return
        res.write(`event: job\ndata: ${JSON.stringify(body)}\n\n`)
        if (finished(job)) end()
      }
      const send = (job: JobView) => {
        sending = sending.then(() => write(job))
        return sending
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

  app.post(
    '/api/jobs/:id/cancel',
    {
      schema: {
        tags: ['Jobs'],
        summary:
          'Cancel a job: one waiting is taken out of line, one running is stopped at its engine; its held credits go back and nothing is charged. Answers 200 with the job: `cancelled`, or its final state when it finished first (cancelling again is harmless).',
        params: IdParam('job'),
        response: { 200: JobBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      // Another account's job is "not found", like any unknown id.
      const job = await studio.cancel(p.user.accountId, request.params.id)
      if (!job) throw new ApiError('NOT_FOUND', `no job ${request.params.id}`)
      return jobBodyWithCost(services, request, job)
    },
  )
}
