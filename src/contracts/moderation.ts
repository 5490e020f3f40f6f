import { z } from 'zod'
import { idOf } from './fields.ts'
import { MODERATION_REASON_MAX } from './limits.ts'

// Moderation: reports of images by users (/api/image-reports), and what administrators do about
// them (/api/admin/image-reports, /api/admin/images/:id/remove).

const Reason = z
  .string({ error: `say why, in words (up to ${MODERATION_REASON_MAX} characters)` })
  .trim()
  .min(1, 'say why (an administrator reads it)')
  .max(MODERATION_REASON_MAX, `must be at most ${MODERATION_REASON_MAX} characters`)

/** The longest signed link a report may name (a link Easel made is about 200 characters). */
const URL_MAX = 2000

/**
 * A report of an image: of one of your own (`imageId`), or of one shared with you by its signed
 * link (`url`, as Easel handed it out; it must still be valid). Exactly one of the two.
 */
export const ImageReportRequest = z
  .object({
    imageId: idOf('img', 'must be an img_… id').optional(),
    url: z.string().min(1).max(URL_MAX, `must be at most ${URL_MAX} characters`).optional(),
    reason: Reason,
  })
  .refine((r) => (r.imageId === undefined) !== (r.url === undefined), {
    message: 'give the image: its imageId (an image of yours) or the url of its signed link, not both',
    path: ['imageId'],
  })
export type ImageReportRequest = z.input<typeof ImageReportRequest>

export const REPORT_STATUSES = ['open', 'removed', 'dismissed'] as const
export type ReportStatus = (typeof REPORT_STATUSES)[number]

/** A report as its reporter sees it: what they said, and whether an administrator acted on it. */
export const ImageReportBody = z.object({
  id: z.string(),
  imageId: z.string(),
  reason: z.string(),
  createdAt: z.number().int(),
  /** `removed`: an administrator removed the image; `dismissed`: they looked and left it. */
  status: z.enum(REPORT_STATUSES),
  resolvedAt: z.number().int().nullable(),
})
export type ImageReportBody = z.output<typeof ImageReportBody>

export const AdminImageReportsQuery = z.object({
  status: z.enum(['open', 'resolved'], { error: 'must be open or resolved' }).default('open'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** The cursor: the `nextBefore` of the page before. */
  before: idOf('rep', 'must be a rep_… id (the nextBefore of a page)').optional(),
})
export type AdminImageReportsQuery = z.input<typeof AdminImageReportsQuery>

const Removed = z.object({ at: z.number().int(), reason: z.string() })

/** The reported image, for an administrator to look at; null when its owner deleted it since. */
export const ReportedImage = z.object({
  id: z.string(),
  jobId: z.string(),
  accountId: z.string(),
  /** The owner's email, when the account has a user (null once erased). */
  ownerEmail: z.string().nullable(),
  prompt: z.string().nullable(),
  createdAt: z.number().int(),
  /** A signed link that works for an hour; null once the image was removed. */
  url: z.string().nullable(),
  removed: Removed.nullable(),
})
export type ReportedImage = z.output<typeof ReportedImage>

export const AdminImageReport = ImageReportBody.extend({
  reporter: z.object({ accountId: z.string(), email: z.string().nullable() }),
  /** Who resolved it, as the audit log names them (their email at the time). */
  resolvedBy: z.string().nullable(),
  image: ReportedImage.nullable(),
})
export type AdminImageReport = z.output<typeof AdminImageReport>

export const AdminImageReportsPage = z.object({
  reports: z.array(AdminImageReport),
  nextBefore: z.string().nullable(),
})
export type AdminImageReportsPage = z.output<typeof AdminImageReportsPage>

/** Why an administrator removes an image: its owner is shown this. */
export const RemoveImageRequest = z.object({ reason: Reason })
export type RemoveImageRequest = z.input<typeof RemoveImageRequest>

export const RemovedImageBody = z.object({
  id: z.string(),
  accountId: z.string(),
  removed: Removed,
  /** Open reports of the image, now resolved as `removed`. */
  reportsResolved: z.number().int(),
})
export type RemovedImageBody = z.output<typeof RemovedImageBody>

/** Why a report is dismissed, for the audit log (optional). */
export const DismissReportRequest = z.object({ reason: Reason.optional() })
export type DismissReportRequest = z.input<typeof DismissReportRequest>
