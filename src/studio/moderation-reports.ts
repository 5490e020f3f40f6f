import type { ModerationDeps } from './moderation-actions.ts'
import { type ImageReportView, toView } from './moderation-actions.ts'

// The administrators' view of reports: a read, apart from the changes in moderation-actions.ts.

/** A report for an administrator: who reported what, and the image as it stands (null once deleted). */
export interface AdminReportView extends ImageReportView {
  reporterEmail: string | null
  /** The administrator who resolved it, by their email now (null when open or erased since). */
  resolvedByEmail: string | null
  image: {
    id: string
    jobId: string
    accountId: string
    ownerEmail: string | null
    prompt: string | null
    createdAt: number
    removed: { at: number; reason: string } | null
  } | null
}

/** Reports, newest first, open or resolved, a page at a time (`nextBefore` is the next `before`). */
export async function listReports(
  deps: Pick<ModerationDeps, 'db'>,
  query: { status: 'open' | 'resolved'; limit: number; before?: string | undefined },
): Promise<{ reports: AdminReportView[]; nextBefore: string | null }> {
  const k = deps.db.kysely
  let q = k
    .selectFrom('image_reports')
    .selectAll()
    .where('resolved_at', query.status === 'open' ? 'is' : 'is not', null)
  if (query.before) q = q.where('id', '<', query.before)
  const rows = await q
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute()
  const page = rows.slice(0, query.limit)
  const imageIds = [...new Set(page.map((r) => r.image_id))]
  const images = imageIds.length
    ? await k
        .selectFrom('images')
        .innerJoin('jobs', 'jobs.id', 'images.job_id')
        .select([
          'images.id',
          'images.job_id',
          'images.account_id',
          'images.created_at',
          'images.removed_at',
          'images.removed_reason',
          'jobs.prompt',
        ])
        .where('images.id', 'in', imageIds)
        .execute()
    : []
  const accountIds = [
    ...new Set([...page.map((r) => r.reporter_account_id), ...images.map((i) => i.account_id)]),
  ]
  const adminIds = [...new Set(page.flatMap((r) => (r.resolved_by ? [r.resolved_by] : [])))]
  const users =
    accountIds.length + adminIds.length > 0
      ? await k
          .selectFrom('users')
          .select(['id', 'account_id', 'email', 'deleted_at'])
          .where((eb) =>
            eb.or([
              ...(accountIds.length ? [eb('account_id', 'in', accountIds)] : []),
              ...(adminIds.length ? [eb('id', 'in', adminIds)] : []),
            ]),
          )
          .orderBy('created_at')
          .execute()
      : []
  // An erased user's row stays, anonymised: it names no one.
  const emailOf = (match: (u: (typeof users)[number]) => boolean) =>
    users.find((u) => u.deleted_at === null && match(u))?.email ?? null
  const reports = page.map((r): AdminReportView => {
    const image = images.find((i) => i.id === r.image_id)
    return {
      ...toView(r),
      reporterEmail: emailOf((u) => u.account_id === r.reporter_account_id),
      resolvedByEmail: r.resolved_by ? emailOf((u) => u.id === r.resolved_by) : null,
      image: image
        ? {
            id: image.id,
            jobId: image.job_id,
            accountId: image.account_id,
            ownerEmail: emailOf((u) => u.account_id === image.account_id),
            prompt: image.prompt,
            createdAt: Number(image.created_at),
            removed:
              image.removed_at === null
                ? null
                : { at: Number(image.removed_at), reason: image.removed_reason ?? '' },
          }
        : null,
    }
  })
  return { reports, nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null }
}
