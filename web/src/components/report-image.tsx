import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import type { ImageReportBody, ImageReportRequest } from '../../../src/contracts/index.ts'
import { MODERATION_REASON_MAX } from '../../../src/contracts/limits.ts'
import { call, messageOf } from '../api.ts'
import { dateTime } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import './moderation.css'

/** Sends a report: of an image of yours by id, or of one shared with you by its signed link. */
export const reportImage = (body: ImageReportRequest) =>
  call<ImageReportBody>('POST', '/api/image-reports', body)

/** What became of a report, in words; `fresh`: open with what was just said (new, or said again). */
function outcome(report: ImageReportBody, fresh: boolean): string {
  if (fresh) return 'Thank you. The administrators of this installation will look at it.'
  const when = dateTime(report.createdAt)
  switch (report.status) {
    case 'open':
      return `You reported this image already (${when}); the administrators have not looked at it yet.`
    case 'removed':
      return `You reported this image already (${when}); an administrator removed it.`
    case 'dismissed':
      return `You reported this image already (${when}); an administrator looked at it and left it up.`
  }
}

function FlagIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path
        d="M5 21V4m0 0h11l-2 4 2 4H5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  )
}

interface ReportImageButtonProps {
  /** The image reported: `imageId` for one of yours, `url` (its signed link) for one shared with you. */
  target: { imageId: string } | { url: string }
  /** "image 2 of 4", for the button's label. */
  name: string
  showText?: boolean
}

/**
 * A Report button: asks why (an administrator reads it) in a small dialog, sends the report, and
 * says what happens next — or, for an image reported before, what became of that report.
 */
export function ReportImageButton({ target, name, showText }: ReportImageButtonProps) {
  const id = useId()
  const dialog = useRef<HTMLDialogElement>(null)
  const [open, setOpen] = useState(false)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  useEffect(() => {
    const d = dialog.current
    if (open && d && !d.open) d.showModal()
  }, [open])

  const close = () => {
    dialog.current?.close()
    setOpen(false)
    setProblem(null)
    setDone(null)
    setReason('')
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      const report = await reportImage({ ...target, reason })
      // Reported before (the API answers with that first report): say so, and what became of it.
      setDone(outcome(report, report.status === 'open' && report.reason === reason.trim()))
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <button
        type="button"
        className={showText ? 'button button-quiet' : 'icon-button'}
        aria-label={showText ? undefined : `Report ${name}`}
        title="Report this image to the administrators"
        onClick={() => setOpen(true)}
      >
        {showText ? 'Report…' : <FlagIcon />}
      </button>
      {open && (
        <dialog ref={dialog} className="report-dialog" aria-labelledby={`${id}-title`} onClose={close}>
          <h2 id={`${id}-title`}>Report {name}</h2>
          {done ? (
            <>
              <p className="notice notice-success" role="status" data-testid="report-done">
                {done}
              </p>
              <div className="button-row">
                <button type="button" className="button" onClick={close}>
                  Close
                </button>
              </div>
            </>
          ) : (
            <form className="stack" onSubmit={submit}>
              <p>
                Tell the administrators what is wrong with this image. They can remove it; its owner is told
                why, but not who reported it.
              </p>
              <div className="field">
                <label htmlFor={`${id}-reason`}>Why?</label>
                <textarea
                  id={`${id}-reason`}
                  required
                  maxLength={MODERATION_REASON_MAX}
                  rows={3}
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                />
              </div>
              <ErrorMessage>{problem}</ErrorMessage>
              <div className="button-row">
                <button
                  type="submit"
                  className="button button-primary"
                  disabled={busy || reason.trim() === ''}
                >
                  {busy ? 'Sending…' : 'Send report'}
                </button>
                <button type="button" className="button" onClick={close}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </dialog>
      )}
    </>
  )
}
