import type { Services } from '../../app/index.ts'
import { SignedFileParams, SignedFileQuery } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { ApiError } from '../errors.ts'
import { refuseIfRemoved } from '../schemas.ts'

/**
 * Image files behind signed links: no credentials, but only until the link expires, and only while
 * the image stands (a removed one answers 410 with the administrator's reason).
 */
export function registerFileRoutes(app: App, services: Services): void {
  app.get(
    '/files/images/:file',
    {
      schema: {
        tags: ['Images'],
        summary: 'An image by signed link (the `url` of an OpenAI-compatible response); works for an hour',
        security: [],
        params: SignedFileParams,
        querystring: SignedFileQuery,
      },
    },
    async (request, reply) => {
      const m = /^(img_[0-9a-z]{26})\.png$/.exec(request.params.file)
      const { expires, signature } = request.query
      if (!m || !services.signer.verify(m[1]!, expires, signature, services.clock.now())) {
        throw new ApiError('NOT_FOUND', 'this image link is not valid or has expired')
      }
      const found = await services.studio.findImage(m[1]!)
      if (!found) throw new ApiError('NOT_FOUND', 'this image link is not valid or has expired')
      refuseIfRemoved(found.image)
      const bytes = await services.studio.readImage(found.accountId, found.image.id).catch(async (error) => {
        // Removed between the look-up and the read (its file goes right after its row says so).
        const again = await services.studio.findImage(found.image.id)
        if (again) refuseIfRemoved(again.image)
        throw error
      })
      return reply
        .header('content-type', 'image/png')
        .header(
          'cache-control',
          `private, max-age=${Math.max(0, Math.floor((expires - services.clock.now()) / 1000))}`,
        )
        .send(bytes)
    },
  )
}
