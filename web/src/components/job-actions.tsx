import { useCallback, useRef, useState } from 'react'
import type { ImageBody, JobBody } from '../../../src/contracts/index.ts'
import { jobFiles, messageOf } from '../api.ts'
import { isFinished } from '../follow-job.ts'
import { plural } from '../format.ts'
import { ConfirmDelete } from './confirm-delete.tsx'
import { ErrorMessage } from './error-message.tsx'
import { reuseHref } from './job-options.tsx'
import { Link } from './link.tsx'

interface JobActionsProps {
  job: JobBody
  /** Told once the job is deleted (its card goes). */
  onDeleted(): void
}

/**
 * What one can do with a whole job: make another like it (its page, prompt and settings filled
 * in), download all its images at once (a zip), and delete it with its images (once finished;
 * asked twice, since it cannot be undone).
 */
export function JobActions({ job, onDeleted }: JobActionsProps) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const shown = job.images.filter((i) => i.removed === null)
  const what = job.prompt ? `“${job.prompt}”` : 'this job'

  const remove = async () => {
    setBusy(true)
    setProblem(null)
    try {
      await jobFiles.deleteJob(job.id)
      onDeleted()
    } catch (error) {
      setProblem(messageOf(error))
      setBusy(false)
    }
  }

  return (
    <div className="job-actions" data-testid="job-actions">
      <div className="button-row">
        <Link
          className="button button-small"
          href={reuseHref(job)}
          title="Start a new job with this prompt and these settings"
        >
          Reuse prompt
        </Link>
        {shown.length > 0 && (
          <a
            className="button button-small"
            href={jobFiles.zipUrl(job.id)}
            download
            aria-label={`Download all ${plural(shown.length, 'image')} of ${what} (zip)`}
          >
            Download all (zip)
          </a>
        )}
        {isFinished(job) && !confirming && (
          <button
            type="button"
            className="button button-small button-quiet button-quiet-danger"
            onClick={() => setConfirming(true)}
          >
            Delete job
          </button>
        )}
      </div>
      {confirming && (
        <ConfirmDelete
          busy={busy}
          onDelete={remove}
          onKeep={() => {
            setConfirming(false)
            setProblem(null)
          }}
        >
          Delete {what}
          {shown.length > 0 ? ` and its ${plural(shown.length, 'image')}` : ''} for good? What it cost stays
          in your credit history.
        </ConfirmDelete>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
    </div>
  )
}

/**
 * What a page with a list of jobs does when one is deleted, or one of its images: takes it out
 * of the list (`show` replaces the list, as a page of history does).
 */
export function useDeletions(
  jobs: JobBody[],
  show: (jobs: JobBody[]) => void,
): { onDeleted(job: JobBody): void; onImageDeleted(image: ImageBody): void } {
  const current = useRef(jobs)
  current.current = jobs
  const onDeleted = useCallback(
    (job: JobBody) => show(current.current.filter((j) => j.id !== job.id)),
    [show],
  )
  const onImageDeleted = useCallback(
    (image: ImageBody) =>
      show(
        current.current.map((j) =>
          j.id === image.jobId ? { ...j, images: j.images.filter((i) => i.id !== image.id) } : j,
        ),
      ),
    [show],
  )
  return { onDeleted, onImageDeleted }
}
