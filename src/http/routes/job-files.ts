import { PassThrough, type Readable } from 'node:stream'
import { ZipFile } from 'yazl'
import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import { errorResponses, IdParam } from '../../contracts/index.ts'
import type { DeletionRefusal, ImageView, JobView } from '../../studio/studio.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError } from '../errors.ts'

const inFlight = (job: JobView) => job.status === 'queued' || job.status === 'running'

/**
 * A job's files as a whole: download all its images at once (a zip), or delete the job with its
 * images. Another account's job, and a deleted one, is "not found".
 */
export function registerJobFileRoutes(app: App, services: Services): void {
  const { studio } = services

  app.delete(
    '/api/jobs/:id',
    {
      schema: {
        tags: ['Jobs'],
        summary:
          'Delete a finished job: its images are removed and it is gone from history; what it was charged stays on the ledger’s record. A job still waiting or running is a 409 (cancel it first). 204',
        params: IdParam('job'),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const deleted = await studio.deleteJob(p.user.accountId, request.params.id)
      if (!deleted.ok) throw fromDeletionRefusal(deleted.error)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/jobs/:id/images.zip',
    {
      schema: {
        tags: ['Jobs'],
        summary:
          'Download all the images of a job as a zip (<job id>-<n>.png, n its place in the job). Images an administrator removed are left out',
        params: IdParam('job'),
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const job = await studio.getJob(p.user.accountId, request.params.id)
      if (!job) throw new ApiError('NOT_FOUND', `no job ${request.params.id}`)
      if (inFlight(job)) {
        throw new ApiError('CONFLICT', `job ${job.id} has not finished: download its images once it has`)
      }
      const images = job.images.filter((i) => i.removed === null)
      if (images.length === 0) throw new ApiError('NOT_FOUND', `job ${job.id} has no images to download`)
      const zip = imagesZip(
        (id) => studio.readImage(p.user.accountId, id),
        job.id,
        images,
        new Date(job.finishedAt ?? job.createdAt),
      )
      zip.on('error', (error: unknown) => request.log.error({ err: error }, 'a job’s zip failed'))
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="easel-${job.id}.zip"`)
        .header('cache-control', 'private, no-store')
        .send(zip)
    },
  )
}

/** A deletion's refusal as the API error it is (404, or 409 for a job still in flight). */
function fromDeletionRefusal(error: DeletionRefusal): ApiError {
  switch (error.code) {
    case 'NOT_FOUND':
      return new ApiError('NOT_FOUND', error.message)
    case 'JOB_IN_FLIGHT':
      return new ApiError('CONFLICT', error.message, { reason: error.code })
  }
}

/**
 * The images as a zip written while it is read: each image is read only once the zip has taken the
 * one before, so memory holds one image at a time. An image whose file has gone meanwhile (deleted
 * since the job was read) is left out; any other failure ends the stream with the error, so the
 * download breaks rather than ending in a zip that looks whole.
 */
function imagesZip(
  read: (imageId: string) => Promise<Buffer>,
  jobId: string,
  images: readonly ImageView[],
  mtime: Date,
): Readable {
  const zip = new ZipFile()
  const output = zip.outputStream as Readable
  const fail = (error: unknown) => {
    if (!output.destroyed) output.destroy(error instanceof Error ? error : new Error(String(error)))
  }
  zip.on('error', fail)
  // Once the download is over (finished, or the client gone), nothing more is read.
  const stopped = new Promise<'stopped'>((resolve) => output.once('close', () => resolve('stopped')))
  const add = async () => {
    for (const image of images) {
      const png = await readIfThere(read, image.id)
      if (!png) continue
      const taken = new Promise<void>((done) => {
        // PNGs are compressed already: stored as they are.
        zip.addReadStreamLazy(`${jobId}-${image.position + 1}.png`, { mtime, compress: false }, (give) => {
          const stream = new PassThrough()
          stream.on('end', () => done())
          give(null, stream)
          stream.end(png)
        })
      })
      if ((await Promise.race([taken, stopped])) === 'stopped') return
    }
    zip.end()
  }
  add().catch(fail)
  return output
}

async function readIfThere(
  read: (imageId: string) => Promise<Buffer>,
  imageId: string,
): Promise<Buffer | null> {
  try {
    return await read(imageId)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}
