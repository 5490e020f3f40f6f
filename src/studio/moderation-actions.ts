import { type AuditActor, recordAudit } from '../accounts/audit.ts'
import type { Result } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { ImageReportsTable } from '../db/schema.ts'
import type { Clock } from '../util/clock.ts'
import { newId } from '../util/ids.ts'
import type { ImageStore } from './image-store.ts'
import type { UrlSigner } from './signed-urls.ts'

/**
 * What administrators and users do about images that should not be there: a user reports one (their
 * own, or one shared with them by its signed link), an administrator removes any image (its file is
 * deleted, its row kept so that the owner sees that it was removed and why) or dismisses a report.
 * Each change and its audit record commit together.
 */
export interface ModerationDeps {
  readonly db: Database
  readonly store: ImageStore
  readonly signer: UrlSigner
  readonly clock: Clock
  readonly log?: { error(obj: object, msg: string): void }
}

/** Refusals, as values; `http/routes/moderation.ts` gives each its status. */
export type ModerationRefusal =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'NOT_FOUND'; message: string }
  /** The image was removed already: nothing left to report. */
  | { code: 'GONE'; message: string }
  | { code: 'CONFLICT'; reason: 'ALREADY_REMOVED' | 'ALREADY_RESOLVED'; message: string }

export type ReportStatus = 'open' | 'removed' | 'dismissed'

export interface ImageReportView {
  id: string
  imageId: string
  reporterAccountId: string
  reason: string
  createdAt: number
  status: ReportStatus
  resolvedAt: number | null
  /** The administrator's user id. */
  resolvedBy: string | null
}

/** Which image a report names: one of the reporter's own, or one behind a signed link. */
export type ReportTarget = { imageId: string } | { url: string }

const refuse = (error: ModerationRefusal): { ok: false; error: ModerationRefusal } => ({ ok: false, error })

/** A signed link's image: `/files/images/img_….png?expires=…&signature=…`, on any host. */
const SIGNED_PATH = /\/files\/images\/(img_[0-9a-z]{26})\.png$/

/**
 * The image a report names, when the reporter may see it: their own by id, anyone's by a signed link
 * that is still valid. Another account's image by id is NOT_FOUND, as it is everywhere.
 */
async function reportedImage(
  deps: ModerationDeps,
  reporterAccountId: string,
  target: ReportTarget,
): Promise<Result<{ id: string; removed: { reason: string } | null }, ModerationRefusal>> {
  let query = deps.db.kysely.selectFrom('images').select(['id', 'removed_at', 'removed_reason'])
  if ('imageId' in target) {
    query = query.where('id', '=', target.imageId).where('account_id', '=', reporterAccountId)
  } else {
    const url = URL.canParse(target.url, 'http://link.invalid')
      ? new URL(target.url, 'http://link.invalid')
      : null
    const id = url && SIGNED_PATH.exec(url.pathname)?.[1]
    const expires = Number(url?.searchParams.get('expires') ?? Number.NaN)
    const signature = url?.searchParams.get('signature') ?? ''
    if (!url || !id || !Number.isSafeInteger(expires) || !signature) {
      return refuse({
        code: 'VALIDATION',
        field: 'url',
        message:
          'url must be the link Easel gave for the image (…/files/images/img_….png?expires=…&signature=…)',
      })
    }
    if (!deps.signer.verify(id, expires, signature, deps.clock.now())) {
      return refuse({ code: 'NOT_FOUND', message: 'this image link is not valid or has expired' })
    }
    query = query.where('id', '=', id)
  }
  const row = await query.executeTakeFirst()
  const named = 'imageId' in target ? target.imageId : 'of this link'
  if (!row) return refuse({ code: 'NOT_FOUND', message: `no image ${named}` })
  return {
    ok: true,
    value: { id: row.id, removed: row.removed_at === null ? null : { reason: row.removed_reason ?? '' } },
  }
}

/**
 * Reports an image for an administrator to look at. One report per reporter and image: reporting it
 * again answers with the first report (`created: false`), whatever became of it.
 */
export async function reportImage(
  deps: ModerationDeps,
  input: { reporterAccountId: string; target: ReportTarget; reason: string },
): Promise<Result<{ report: ImageReportView; created: boolean }, ModerationRefusal>> {
  const image = await reportedImage(deps, input.reporterAccountId, input.target)
  if (!image.ok) return image
  if (image.value.removed) {
    return refuse({
      code: 'GONE',
      message: `this image was removed by an administrator already: ${image.value.removed.reason}`,
    })
  }
  const imageId = image.value.id
  return deps.db.write(
    {
      name: 'image-report',
      locks: {},
      run: async (tx, now) => {
        // Two reports racing: the second insert fails on the unique index, and group commit runs it
        // again alone, when this finds the first.
        const [earlier] = await tx.all<ImageReportsTable>(
          'select * from image_reports where image_id = ? and reporter_account_id = ?',
          [imageId, input.reporterAccountId],
        )
        if (earlier) return { ok: true as const, value: { report: toView(earlier), created: false } }
        const row: ImageReportsTable = {
          id: newId('rep', now),
          image_id: imageId,
          reporter_account_id: input.reporterAccountId,
          reason: input.reason,
          created_at: now,
          resolved_at: null,
          resolution: null,
          resolved_by: null,
        }
        tx.write(
          'insert into image_reports (id, image_id, reporter_account_id, reason, created_at) values (?, ?, ?, ?, ?)',
          [row.id, row.image_id, row.reporter_account_id, row.reason, row.created_at],
          1,
        )
        return { ok: true as const, value: { report: toView(row), created: true } }
      },
    },
    deps.clock,
  )
}

export interface RemovedImage {
  id: string
  accountId: string
  removed: { at: number; reason: string }
  reportsResolved: number
}

/**
 * Takes an image down: its row records when, why and by whom (the owner is shown the reason), its
 * open reports are resolved as `removed`, the audit log records it, all in one transaction; then its
 * file is deleted. Until then the row already stops every route serving it, so a file left behind
 * by a failed delete is never shown (the failure is logged).
 */
export async function removeImage(
  deps: ModerationDeps,
  input: { imageId: string; reason: string; actor: AuditActor },
): Promise<Result<RemovedImage, ModerationRefusal>> {
  const removed = await deps.db.write(
    {
      name: 'image-remove',
      locks: {},
      run: async (tx, now): Promise<Result<RemovedImage, ModerationRefusal>> => {
        const [image] = await tx.all<{
          account_id: string
          removed_at: number | null
          removed_reason: string
        }>('select account_id, removed_at, removed_reason from images where id = ?', [input.imageId])
        if (!image) return refuse({ code: 'NOT_FOUND', message: `no image ${input.imageId}` })
        // Conditional, so that of two administrators removing it at once exactly one does.
        const changed = await tx.run(
          'update images set removed_at = ?, removed_reason = ?, removed_by = ? where id = ? and removed_at is null',
          [now, input.reason, input.actor.userId ?? input.actor.label, input.imageId],
        )
        if (changed === 0) {
          return refuse({
            code: 'CONFLICT',
            reason: 'ALREADY_REMOVED',
            message: `image ${input.imageId} was removed already (${image.removed_reason ?? 'no reason given'})`,
          })
        }
        const reportsResolved = await tx.run(
          "update image_reports set resolved_at = ?, resolution = 'removed', resolved_by = ? where image_id = ? and resolved_at is null",
          [now, input.actor.userId, input.imageId],
        )
        recordAudit(
          tx,
          {
            actor: input.actor,
            action: 'image.remove',
            subject: input.imageId,
            details: { accountId: image.account_id, reportsResolved },
            reason: input.reason,
          },
          now,
        )
        return {
          ok: true,
          value: {
            id: input.imageId,
            accountId: image.account_id,
            removed: { at: now, reason: input.reason },
            reportsResolved,
          },
        }
      },
    },
    deps.clock,
  )
  if (removed.ok) {
    await deps.store.remove(removed.value.accountId, removed.value.id).catch((error: unknown) => {
      deps.log?.error(
        { err: error, imageId: removed.value.id },
        'a removed image’s file could not be deleted; it is not served, but is still on disk',
      )
    })
  }
  return removed
}

/** Closes a report without removing its image; the audit log records who and why. */
export async function dismissReport(
  deps: ModerationDeps,
  input: { reportId: string; actor: AuditActor; reason: string | null },
): Promise<Result<ImageReportView, ModerationRefusal>> {
  return deps.db.write(
    {
      name: 'image-report-dismiss',
      locks: {},
      run: async (tx, now): Promise<Result<ImageReportView, ModerationRefusal>> => {
        const [report] = await tx.all<ImageReportsTable>('select * from image_reports where id = ?', [
          input.reportId,
        ])
        if (!report) return refuse({ code: 'NOT_FOUND', message: `no report ${input.reportId}` })
        const changed = await tx.run(
          "update image_reports set resolved_at = ?, resolution = 'dismissed', resolved_by = ? where id = ? and resolved_at is null",
          [now, input.actor.userId, input.reportId],
        )
        if (changed === 0) {
          return refuse({
            code: 'CONFLICT',
            reason: 'ALREADY_RESOLVED',
            message: `report ${input.reportId} was dealt with already (${report.resolution ?? 'resolved'})`,
          })
        }
        recordAudit(
          tx,
          {
            actor: input.actor,
            action: 'image.report.dismiss',
            subject: input.reportId,
            details: { imageId: report.image_id },
            reason: input.reason,
          },
          now,
        )
        return {
          ok: true,
          value: toView({
            ...report,
            resolved_at: now,
            resolution: 'dismissed',
            resolved_by: input.actor.userId,
          }),
        }
      },
    },
    deps.clock,
  )
}

export function toView(r: ImageReportsTable): ImageReportView {
  return {
    id: r.id,
    imageId: r.image_id,
    reporterAccountId: r.reporter_account_id,
    reason: r.reason,
    createdAt: Number(r.created_at),
    status: r.resolution ?? 'open',
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    resolvedBy: r.resolved_by,
  }
}
