import type { Services } from '../../app/index.ts'
import { SignedFileParams, SignedFileQuery } from '../../contracts/index.ts'
import type { App } from '../app-type.ts'
import { ApiError } from '../errors.ts'

/** Image files behind signed links: no credentials, but only until the link expires. */
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
      const bytes = await services.studio.readImage(found.accountId, found.image.id)
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
