import { useState } from 'react'
import type { ImageBody, JobBody } from '../../../src/contracts/index.ts'
import { messageOf } from '../api.ts'
import { cancelJob, isFinished } from '../follow-job.ts'
import { credits, jobMoney, kindTitle, plural, relativeTime, sizeLabel } from '../format.ts'
import { useSession } from '../session.tsx'
import './job-card.css'
import { ErrorMessage } from './error-message.tsx'
import { ImageTile } from './image-tile.tsx'
import { ImageViewer } from './image-viewer.tsx'
import { JobActions } from './job-actions.tsx'

interface JobCardProps {
  job: JobBody
  onImageChange(image: ImageBody): void
  /** Smaller images (history). */
  compact?: boolean
  /** Told when the job is deleted (its card goes); without it the card offers no Delete. */
  onDeleted?(job: JobBody): void
  /** Told when one of its images is deleted from the viewer. */
  onImageDeleted?(image: ImageBody): void
}

/** A job as a person sees it: what was asked, what it cost, its progress, then its images. */
export function JobCard({ job: given, onImageChange, compact, onDeleted, onImageDeleted }: JobCardProps) {
  const [open, setOpen] = useState<number | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  // What a cancel answered, shown until the job's own updates (its event stream) say it ended too.
  const [ended, setEnded] = useState<JobBody | null>(null)
  const job = ended && ended.id === given.id && !isFinished(given) ? ended : given
  const running = job.status === 'queued' || job.status === 'running'
  const what = job.prompt
    ? `${job.kind === 'edit' ? 'Edit' : 'Variations'}: “${job.prompt}”`
    : job.kind === 'edit'
      ? 'Edit of your image'
      : 'Variations of your image'

  return (
    <article
      className={`job ${compact ? 'job-compact' : ''}`}
      data-testid="job"
      data-job-id={job.id}
      data-status={job.status}
      aria-busy={running}
    >
      <header className="job-header">
        <h3 className="job-title">{job.kind === 'generate' ? `“${job.prompt}”` : what}</h3>
        <p className="job-meta">
          <span>{kindTitle(job.kind)}</span>
          <span>
            <time dateTime={new Date(job.createdAt).toISOString()}>{relativeTime(job.createdAt)}</time>
          </span>
          <span>{job.model}</span>
          <span>{sizeLabel(job.width, job.height)}</span>
          <JobCost job={job} />
        </p>
      </header>
      {running && (
        <JobProgress
          job={job}
          onEnded={(final) => {
            setProblem(null)
            setEnded(final)
          }}
          onProblem={setProblem}
        />
      )}
      {job.status === 'failed' && (
        <ErrorMessage title="This job failed">
          <p>{readableJobError(job)}</p>
          <p>
            Nothing was charged: the {job.creditsQuoted === 1 ? 'credit' : 'credits'} held for it went back to
            your balance.
          </p>
        </ErrorMessage>
      )}
      {job.status === 'cancelled' && (
        <div className="notice" role="status">
          This job was cancelled. Nothing was charged: the {job.creditsQuoted === 1 ? 'credit' : 'credits'}{' '}
          held for it went back to your balance.
        </div>
      )}
      {job.images.length > 0 && (
        <div className={`image-grid count-${job.images.length}`}>
          {job.images.map((image, i) => (
            <ImageTile
              key={image.id}
              image={image}
              name={`image ${i + 1} of ${job.images.length}`}
              alt={`${job.prompt ?? kindTitle(job.kind)} (image ${i + 1} of ${job.images.length})`}
              onOpen={() => setOpen(i)}
              onChange={onImageChange}
              onProblem={setProblem}
            />
          ))}
        </div>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
      {onDeleted && <JobActions job={job} onDeleted={() => onDeleted(job)} />}
      {open !== null && (
        <ImageViewer
          images={job.images}
          index={open}
          prompt={job.prompt}
          job={job}
          onIndex={setOpen}
          onChange={onImageChange}
          onClose={() => setOpen(null)}
          {...(onImageDeleted ? { onDeleted: onImageDeleted } : {})}
        />
      )}
    </article>
  )
}

/**
 * A waiting or running job: its place in line while it waits ("3rd in line"), how far it has got
 * while it runs ("42 %" and a bar that fills; a moving bar when the engine cannot tell), and Cancel.
 */
function JobProgress({
  job,
  onEnded,
  onProblem,
}: {
  job: JobBody
  onEnded(job: JobBody): void
  onProblem(message: string | null): void
}) {
  const { refreshCredits } = useSession()
  const [cancelling, setCancelling] = useState(false)
  const percent = job.status === 'running' && job.progress !== null ? Math.floor(job.progress * 100) : null
  const cancel = async () => {
    setCancelling(true)
    onProblem(null)
    try {
      onEnded(await cancelJob(job.id))
      void refreshCredits()
    } catch (error) {
      onProblem(`The job could not be cancelled: ${messageOf(error)}`)
    } finally {
      setCancelling(false)
    }
  }
  let text: string
  if (job.status === 'queued') {
    text =
      job.queuePosition === null
        ? `Waiting for the ${job.engine} engine…`
        : `Waiting for the ${job.engine} engine: ${ordinal(job.queuePosition)} in line.`
  } else {
    text = `Making ${plural(job.n, 'image')}… ${credits(job.creditsQuoted)} on hold until it finishes.`
  }
  return (
    <div className="progress job-progress">
      <div
        className="progress-track"
        {...(percent === null
          ? {}
          : {
              role: 'progressbar',
              'aria-label': 'Progress',
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': percent,
            })}
      >
        <div
          className={`progress-bar${percent === null ? '' : ' is-determinate'}`}
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
      <div className="job-progress-row">
        <span role="status" className="job-progress-text" data-testid="job-progress-text">
          {text}
        </span>
        {percent !== null && (
          <span className="job-percent" data-testid="job-percent">
            {percent} %
          </span>
        )}
        <button
          type="button"
          className="button button-small button-quiet"
          onClick={() => void cancel()}
          disabled={cancelling}
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
    </div>
  )
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd … */
export function ordinal(n: number): string {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}

function JobCost({ job }: { job: JobBody }) {
  if (job.status !== 'succeeded') return null
  const cost = job.cost
  return (
    <span className="job-cost">
      {credits(job.creditsCharged)}
      {cost && ` · ${jobMoney(cost, job.images.length, job.images.filter((i) => i.favourite).length)}`}
    </span>
  )
}

const REASONS: Record<string, string> = {
  TIMEOUT: 'The engine took too long and was stopped.',
  CONTENT_POLICY: 'The engine refused this request on content grounds.',
  NO_IMAGES: 'The engine returned no images.',
  CANCELLED: 'The job was cancelled.',
}

function readableJobError(job: JobBody): string {
  const e = job.error
  if (!e) return 'The engine did not finish this job.'
  const message = e.message.trim()
  const known = REASONS[e.code]
  if (!message) return known ?? `The engine failed (${e.code}).`
  const text = message[0]!.toUpperCase() + message.slice(1)
  return /[.!?]$/.test(text) ? text : `${text}.`
}
