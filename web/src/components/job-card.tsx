import { useState } from 'react'
import type { ImageBody, JobBody } from '../../../src/contracts/index.ts'
import { credits, jobMoney, kindTitle, plural, relativeTime, sizeLabel } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { ImageTile } from './image-tile.tsx'
import { ImageViewer } from './image-viewer.tsx'

interface JobCardProps {
  job: JobBody
  onImageChange(image: ImageBody): void
  /** Smaller images (history). */
  compact?: boolean
}

/** A job as a person sees it: what was asked, what it cost, its progress, then its images. */
export function JobCard({ job, onImageChange, compact }: JobCardProps) {
  const [open, setOpen] = useState<number | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
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
          <span>{sizeLabel(job.size)}</span>
          <JobCost job={job} />
        </p>
      </header>
      {running && (
        <div className="progress" role="status">
          <div className="progress-track">
            <div className="progress-bar" />
          </div>
          <span>
            {job.status === 'queued'
              ? `Waiting for the ${job.engine} engine…`
              : `Making ${plural(job.n, 'image')}… ${credits(job.creditsQuoted)} on hold until it finishes.`}
          </span>
        </div>
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
          This job was cancelled. Nothing was charged.
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
      {open !== null && (
        <ImageViewer
          images={job.images}
          index={open}
          prompt={job.prompt}
          onIndex={setOpen}
          onChange={onImageChange}
          onClose={() => setOpen(null)}
        />
      )}
    </article>
  )
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
