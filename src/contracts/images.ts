import { z } from 'zod'
import { FavouritesFlag, idOf } from './fields.ts'

// Images: /api/images and the signed links of /files/images.

export const ImageBody = z.object({
  id: z.string(),
  jobId: z.string(),
  position: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  procedural: z.boolean(),
  favourite: z.boolean(),
  favouritedAt: z.number().int().nullable(),
  createdAt: z.number().int(),
  /**
   * Taken down by an administrator (or withheld by moderation): when and why. Its file is gone, and
   * its URLs answer 410 with the reason.
   */
  removed: z.object({ at: z.number().int(), reason: z.string() }).nullable(),
  /** For the signed-in owner (cookie or key). */
  contentUrl: z.string(),
  downloadUrl: z.string(),
  /** Works without credentials for an hour. */
  url: z.string(),
})
export type ImageBody = z.output<typeof ImageBody>

export const ImagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: idOf('img', 'must be an img_… id (the nextBefore of a page)').optional(),
  favourites: FavouritesFlag.optional(),
})

export const ImagesPage = z.object({ images: z.array(ImageBody), nextBefore: z.string().nullable() })
export type ImagesPage = z.output<typeof ImagesPage>

/** A signed link: `/files/images/img_….png?expires=…&signature=…`. */
export const SignedFileParams = z.object({ file: z.string().max(60) })
export const SignedFileQuery = z.object({ expires: z.coerce.number().int(), signature: z.string().max(100) })
