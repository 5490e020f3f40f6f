import type { AuditActor } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import {
  AdminImageReportsPage,
  AdminImageReportsQuery,
  DismissReportRequest,
  errorResponses,
  IdParam,
  ImageReportBody,
  ImageReportRequest,
  RemovedImageBody,
  RemoveImageRequest,
} from '../../contracts/index.ts'
import {
  dismissReport,
  type ImageReportView,
  type ModerationDeps,
  removeImage,
  reportImage,
} from '../../studio/moderation-actions.ts'
import { listReports } from '../../studio/moderation-reports.ts'
import type { App } from '../app-type.ts'
import { requireAdmin, requireUser } from '../auth.ts'
import { fromModerationRefusal } from '../errors.ts'
import { imageUrl } from '../shared.ts'

const reportBody = (r: ImageReportView): ImageReportBody => ({
  id: r.id,
  imageId: r.imageId,
  reason: r.reason,
  createdAt: r.createdAt,
  status: r.status,
  resolvedAt: r.resolvedAt,
})

/**
 * Moderation: anyone signed in reports an image they can see; administrators list the reports, and
 * remove an image (any account's) or dismiss a report. Every administrator's action is audited.
 */
export function registerModerationRoutes(app: App, services: Services): void {
  const deps = (log: ModerationDeps['log']): ModerationDeps => ({
    db: services.db,
    store: services.studio.imageStore,
    signer: services.signer,
    clock: services.clock,
    ...(log ? { log } : {}),
  })
  const actorOf = (p: ReturnType<typeof requireAdmin>): AuditActor => ({
    userId: p.user.id,
    label: p.user.email,
  })

  app.post(
    '/api/image-reports',
    {
      schema: {
        tags: ['Moderation'],
        summary:
          'Report an image to the administrators. Images are private, so you name one you can see: an image of yours by `imageId`, or one shared with you by the `url` of its signed link (while the link works). Another account’s image by id is 404. One report per image and reporter: reporting it again answers 200 with your first report',
        body: ImageReportRequest,
        response: { 200: ImageReportBody, 201: ImageReportBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = requireUser(request)
      const { imageId, url, reason } = request.body
      const reported = await reportImage(deps(request.log), {
        reporterAccountId: p.user.accountId,
        target: imageId !== undefined ? { imageId } : { url: url! },
        reason,
      })
      if (!reported.ok) throw fromModerationRefusal(reported.error)
      return reply.status(reported.value.created ? 201 : 200).send(reportBody(reported.value.report))
    },
  )

  app.get(
    '/api/admin/image-reports',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Reports of images, newest first: open ones (the default) or resolved ones, with the image (a signed link to look at it, for an hour), its owner and the reporter',
        querystring: AdminImageReportsQuery,
        response: { 200: AdminImageReportsPage, ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(request)
      const page = await listReports(deps(undefined), request.query)
      return {
        reports: page.reports.map((r) => ({
          ...reportBody(r),
          reporter: { accountId: r.reporterAccountId, email: r.reporterEmail },
          resolvedBy: r.resolvedByEmail,
          image: r.image && {
            ...r.image,
            url: r.image.removed ? null : imageUrl(services, request, r.image.id),
          },
        })),
        nextBefore: page.nextBefore,
      }
    },
  )

  app.post(
    '/api/admin/images/:id/remove',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Remove any image: its file is deleted, its owner sees that it was removed and the reason, its URLs answer 410, and its open reports are resolved as removed',
        params: IdParam('img'),
        body: RemoveImageRequest,
        response: { 200: RemovedImageBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireAdmin(request)
      const removed = await removeImage(deps(request.log), {
        imageId: request.params.id,
        reason: request.body.reason,
        actor: actorOf(p),
      })
      if (!removed.ok) throw fromModerationRefusal(removed.error)
      request.log.info(
        { adminId: p.user.id, imageId: removed.value.id, accountId: removed.value.accountId },
        'image removed by an administrator',
      )
      return removed.value
    },
  )

  app.post(
    '/api/admin/image-reports/:id/dismiss',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Dismiss a report: the image stays; the reason (optional) goes to the audit log',
        params: IdParam('rep'),
        body: DismissReportRequest.nullish(),
        response: { 200: ImageReportBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireAdmin(request)
      const dismissed = await dismissReport(deps(request.log), {
        reportId: request.params.id,
        actor: actorOf(p),
        reason: request.body?.reason ?? null,
      })
      if (!dismissed.ok) throw fromModerationRefusal(dismissed.error)
      return reportBody(dismissed.value)
    },
  )
}
