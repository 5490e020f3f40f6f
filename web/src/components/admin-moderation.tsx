import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type {
  AdminImageReport,
  AdminImageReportsPage,
  ImageReportBody,
  RemovedImageBody,
} from '../../../src/contracts/index.ts'
import { MODERATION_REASON_MAX } from '../../../src/contracts/limits.ts'
import { call, messageOf } from '../api.ts'
import { dateTime } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { RemovedImage } from './image-tile.tsx'
import './moderation.css'

type Status = 'open' | 'resolved'

const moderation = {
  reports: (status: Status, before?: string) =>
    call<AdminImageReportsPage>(
      'GET',
      `/api/admin/image-reports?${new URLSearchParams({ status, limit: '20', ...(before ? { before } : {}) })}`,
    ),
  remove: (imageId: string, reason: string) =>
    call<RemovedImageBody>('POST', `/api/admin/images/${imageId}/remove`, { reason }),
  dismiss: (reportId: string) =>
    call<ImageReportBody>('POST', `/api/admin/image-reports/${reportId}/dismiss`, {}),
}

/**
 * Reports of images, for administrators: open ones to deal with (remove the image, with a reason its
 * owner is shown, or dismiss the report), and resolved ones to look back at.
 */
export function AdminModeration() {
  const [status, setStatus] = useState<Status>('open')
  const [reports, setReports] = useState<AdminImageReport[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async (which: Status, before?: string) => {
    try {
      const page = await moderation.reports(which, before)
      setReports((shown) => (before && shown ? [...shown, ...page.reports] : page.reports))
      setCursor(page.nextBefore)
      setProblem(null)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load(status)
  }, [load, status])

  const acted = (message: string) => {
    setDone(message)
    void load(status)
  }

  return (
    <section aria-label="Reported images" className="stack">
      <fieldset className="segmented" aria-label="Which reports">
        {(['open', 'resolved'] as const).map((s) => (
          <button
            key={s}
            type="button"
            className="button button-small"
            aria-current={status === s ? 'true' : undefined}
            onClick={() => {
              setDone(null)
              setStatus(s)
            }}
          >
            {s === 'open' ? 'Open' : 'Resolved'}
          </button>
        ))}
      </fieldset>
      {done && (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
      {reports && reports.length === 0 && (
        <p>{status === 'open' ? 'No reports to look at.' : 'No report has been dealt with yet.'}</p>
      )}
      {reports && reports.length > 0 && (
        <ol className="moderation-reports" data-testid="image-reports">
          {reports.map((r) => (
            <ReportItem key={r.id} report={r} onActed={acted} />
          ))}
        </ol>
      )}
      {cursor && (
        <p>
          <button type="button" className="button" onClick={() => void load(status, cursor)}>
            Older
          </button>
        </p>
      )}
    </section>
  )
}

function ReportItem({ report, onActed }: { report: AdminImageReport; onActed(message: string): void }) {
  const id = useId()
  const [removing, setRemoving] = useState(false)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const image = report.image
  const act = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true)
    setProblem(null)
    try {
      await action()
      onActed(message)
    } catch (error) {
      setProblem(messageOf(error))
      setBusy(false)
    }
  }
  const remove = (event: FormEvent) => {
    event.preventDefault()
    if (image)
      void act(() => moderation.remove(image.id, reason), 'The image was removed; its owner is shown why.')
  }

  return (
    <li className="moderation-report" data-testid="image-report" data-report-id={report.id}>
      <div className="moderation-report-image">
        {image?.removed && <RemovedImage removed={image.removed} />}
        {image && !image.removed && image.url && (
          <a
            href={image.url}
            target="_blank"
            rel="noreferrer"
            title="Open the image (the link works for an hour)"
          >
            <img src={image.url} alt={image.prompt ? `Reported image: ${image.prompt}` : 'Reported image'} />
          </a>
        )}
        {!image && <p className="removed-image">Deleted by its owner since.</p>}
      </div>
      <div className="moderation-report-body">
        <p className="moderation-report-reason">“{report.reason}”</p>
        <p className="moderation-report-meta">
          Reported {dateTime(report.createdAt)} by {report.reporter.email ?? 'a deleted account'}
          {image && (
            <>
              {' '}
              · an image of {image.ownerEmail ?? 'a deleted account'}
              {image.prompt && <> made from “{image.prompt}”</>}
            </>
          )}
        </p>
        {report.status !== 'open' && (
          <p className="moderation-report-meta">
            {report.status === 'removed' ? 'Removed' : 'Dismissed'}
            {report.resolvedAt !== null && ` ${dateTime(report.resolvedAt)}`}
            {report.resolvedBy && ` by ${report.resolvedBy}`}
          </p>
        )}
        <ErrorMessage>{problem}</ErrorMessage>
        {report.status === 'open' && !removing && (
          <div className="button-row">
            {image && !image.removed && (
              <button type="button" className="button button-danger" onClick={() => setRemoving(true)}>
                Remove image…
              </button>
            )}
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => void act(() => moderation.dismiss(report.id), 'The report was dismissed.')}
            >
              Dismiss report
            </button>
          </div>
        )}
        {removing && (
          <form className="stack" onSubmit={remove}>
            <div className="field">
              <label htmlFor={`${id}-reason`}>Why is it removed? Its owner is shown this.</label>
              <textarea
                id={`${id}-reason`}
                required
                rows={2}
                maxLength={MODERATION_REASON_MAX}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </div>
            <div className="button-row">
              <button type="submit" className="button button-danger" disabled={busy || reason.trim() === ''}>
                {busy ? 'Removing…' : 'Remove image'}
              </button>
              <button type="button" className="button" disabled={busy} onClick={() => setRemoving(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </li>
  )
}
