import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import { imageSizeOf, sizeName } from '../../../src/contracts/limits.ts'
import { messageOf } from '../api.ts'
import { offer } from '../format.ts'
import { useSession } from '../session.tsx'
import { outOfCredits, type Shortfall, shortfallOf } from '../shortfall.ts'
import { useJobs } from '../use-jobs.ts'
import { useSource } from '../use-source.ts'
import { CostButton } from './cost-button.tsx'
import { ErrorMessage } from './error-message.tsx'
import { useDeletions } from './job-actions.tsx'
import { JobCard } from './job-card.tsx'
import {
  DEFAULT_SETTINGS,
  JobOptions,
  type JobSettings,
  setSettingsFields,
  settingsFields,
  useJobQuote,
  useReuse,
} from './job-options.tsx'
import { OutOfCredits } from './out-of-credits.tsx'
import { ProceduralLabel } from './procedural-label.tsx'
import { SourcePicker } from './source-picker.tsx'

/** Variations: new images like one of yours (generated or uploaded), for what the quote says. */
export function VariationsPage() {
  const { credits } = useSession()
  const id = useId()
  const { source, loading, problem: sourceProblem, upload, pick, clear } = useSource()
  const [settings, setSettings] = useState<JobSettings>(DEFAULT_SETTINGS)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [short, setShort] = useState<Shortfall | null>(null)
  const jobQuote = useJobQuote('variation', settings)
  const { quote } = jobQuote
  const { jobs, show, start, imageChanged } = useJobs()
  const deletions = useDeletions(jobs, show)
  const change = useCallback((c: Partial<JobSettings>) => setSettings((s) => ({ ...s, ...c })), [])
  useReuse((_prompt, reused) => {
    setSettings((s) => ({ ...DEFAULT_SETTINGS, ...reused, ...(source ? { size: s.size } : {}) }))
  })
  useEffect(() => {
    // The result is the source's size (a square), unless another is chosen.
    if (source) change({ size: sizeName(imageSizeOf(source.size) ?? 1024) })
    setProblem(null)
  }, [source, change])

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setShort(null)
    if (!source) return setProblem('Choose an image first.')
    if (settings.seedProblem) return setProblem(settings.seedProblem)
    setBusy(true)
    try {
      if (source.kind === 'image') {
        await start({ kind: 'variation', imageId: source.image.id, ...settingsFields(settings) })
      } else {
        const form = new FormData()
        form.set('kind', 'variation')
        setSettingsFields(form, settings)
        form.set('image', source.blob, 'image.png')
        await start(form)
      }
    } catch (error) {
      const shortfall = shortfallOf(error)
      if (shortfall) setShort(shortfall)
      else setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const shortOfCredits = outOfCredits(short, quote)
  return (
    <>
      <section aria-labelledby={`${id}-title`} className="composer">
        <h1 id={`${id}-title`} tabIndex={-1}>
          Variations
        </h1>
        <p className="lead">
          New images in the spirit of one you have{quote ? `: ${offer(quote, 'new image')}.` : '.'}
        </p>
        {!source && <SourcePicker onUpload={upload} onPick={pick} />}
        {loading && <p role="status">Loading the image…</p>}
        <ErrorMessage>{sourceProblem}</ErrorMessage>
        {source && (
          <form onSubmit={onSubmit} className="edit-layout" noValidate>
            <div className="edit-canvas">
              <div className="source-preview">
                <img
                  src={source.url}
                  alt="What the variations start from"
                  width={source.size}
                  height={source.size}
                />
                {source.kind === 'image' && source.image.procedural && <ProceduralLabel />}
              </div>
              <button type="button" className="button button-quiet button-small" onClick={clear}>
                Choose another image
              </button>
            </div>
            <div className="stack edit-controls">
              <JobOptions operation="variation" settings={settings} onChange={change} quote={jobQuote} />
              <CostButton verb="Make variations" quote={quote} busy={busy} busyLabel="Starting…" />
              {shortOfCredits && credits && (
                <OutOfCredits needed={shortOfCredits.needed} available={shortOfCredits.available} />
              )}
              <ErrorMessage>{problem}</ErrorMessage>
            </div>
          </form>
        )}
      </section>
      {jobs.length > 0 && (
        <section aria-label="Variations made" className="results">
          <div className="jobs">
            {jobs.map((job) => (
              <JobCard key={job.id} job={job} onImageChange={imageChanged} {...deletions} />
            ))}
          </div>
        </section>
      )}
    </>
  )
}
