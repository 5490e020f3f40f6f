import { z } from 'zod'
import type { Services } from '../../app/index.ts'
import { errorResponses, IdParam, ImageBody, ImagesPage, ImagesQuery } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError } from '../errors.ts'
import { imageBody, refuseIfRemoved } from '../schemas.ts'

/**
 * Your images: history, favourites, the files, deleting one. Another account's image is always
 * "not found".
 */
export function registerImageRoutes(app: App, services: Services): void {
  const { studio } = services

  app.get(
    '/api/images',
    {
      schema: {
        tags: ['Images'],
        summary: 'Your images, newest first; favourites only with favourites=true',
        querystring: ImagesQuery,
        response: { 200: ImagesPage },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const page = await studio.listImages(p.user.accountId, {
        limit: request.query.limit,
        ...(request.query.before ? { before: request.query.before } : {}),
        favourites: request.query.favourites === 'true',
      })
      return { images: page.images.map((i) => imageBody(services, request, i)), nextBefore: page.nextBefore }
    },
  )

  app.get(
    '/api/images/:id',
    {
      schema: {
        tags: ['Images'],
        summary: 'One image',
        params: IdParam('img'),
        response: { 200: ImageBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const image = await studio.getImage(p.user.accountId, request.params.id)
      if (!image) throw new ApiError('NOT_FOUND', `no image ${request.params.id}`)
      return imageBody(services, request, image)
    },
  )

  app.delete(
    '/api/images/:id',
    {
      schema: {
        tags: ['Images'],
        summary:
          'Delete an image: its file is removed and it is gone from history. Its job, and what the job was charged, stay on the record. 204',
        params: IdParam('img'),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const deleted = await studio.deleteImage(p.user.accountId, request.params.id)
      if (!deleted.ok) throw new ApiError('NOT_FOUND', deleted.error.message)
      return reply.status(204).send(null)
    },
  )

  for (const [method, favourite] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    app[method](
      '/api/images/:id/favourite',
      {
        schema: {
          tags: ['Images'],
          summary: favourite ? 'Mark an image as a favourite' : 'Unmark a favourite',
          params: IdParam('img'),
          response: { 200: ImageBody, ...errorResponses },
        },
      },
      async (request) => {
        const p = requireUser(request)
        const image = await studio.setFavourite(p.user.accountId, request.params.id, favourite)
        if (!image) throw new ApiError('NOT_FOUND', `no image ${request.params.id}`)
        return imageBody(services, request, image)
      },
    )
  }

  for (const [suffix, attachment] of [
    ['content', false],
    ['download', true],
  ] as const) {
    app.get(
      `/api/images/:id/${suffix}`,
      {
        schema: {
          tags: ['Images'],
          summary: attachment ? 'Download the PNG (as an attachment)' : 'The PNG, to show',
          params: IdParam('img'),
        },
      },
      async (request, reply) => {
        const p = requireUser(request)
        const image = await studio.getImage(p.user.accountId, request.params.id)
        if (!image) throw new ApiError('NOT_FOUND', `no image ${request.params.id}`)
        refuseIfRemoved(image)
        const bytes = await studio.readImage(p.user.accountId, image.id)
        reply.header('content-type', 'image/png').header('cache-control', 'private, max-age=86400, immutable')
        if (attachment) reply.header('content-disposition', `attachment; filename="easel-${image.id}.png"`)
        return reply.send(bytes)
      },
    )
  }
}
