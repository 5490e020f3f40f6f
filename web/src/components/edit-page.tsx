import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react'
import { DEFAULT_MAX_PROMPT_CHARS, imageSizeOf, sizeName } from '../../../src/contracts/limits.ts'
import { messageOf } from '../api.ts'
import { credits as creditsText, plural } from '../format.ts'
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
  useJobQuote,
  useReuse,
} from './job-options.tsx'
import { type MaskHandle, MaskPainter } from './mask-painter.tsx'
import { OutOfCredits } from './out-of-credits.tsx'
import { SourcePicker } from './source-picker.tsx'

/** Edit: an image, a painted mask (transparent = change), a description of the change → 3 images. */
export function EditPage() {
  const { credits } = useSession()
  const id = useId()
  const { source, loading, problem: sourceProblem, upload, pick, clear } = useSource()
  const mask = useRef<MaskHandle | null>(null)
  const [painted, setPainted] = useState(false)
  const [prompt, setPrompt] = useState('')
  const [settings, setSettings] = useState<JobSettings>(DEFAULT_SETTINGS)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [short, setShort] = useState<Shortfall | null>(null)
  const jobQuote = useJobQuote('edit', settings)
  const { quote } = jobQuote
  const { jobs, show, start, imageChanged } = useJobs()
  const deletions = useDeletions(jobs, show)
  const change = useCallback((c: Partial<JobSettings>) => setSettings((s) => ({ ...s, ...c })), [])
  useEffect(() => {
    // The result is the source's size (a square), unless another is chosen.
    if (source) change({ size: sizeName(imageSizeOf(source.size) ?? 1024) })
    setProblem(null)
  }, [source, change])
  useReuse((reusedPrompt, reused) => {
    if (reusedPrompt !== null) setPrompt(reusedPrompt)
    setSettings((s) => ({ ...DEFAULT_SETTINGS, ...reused, ...(source ? { size: s.size } : {}) }))
  })
  // Painting (or clearing) the mask answers "paint the area first": the message goes.
  const paintedChanged = useCallback((value: boolean) => {
    setPainted(value)
    setProblem(null)
  }, [])

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setShort(null)
    if (!source) return setProblem('Choose an image to edit first.')
    if (!mask.current?.painted()) return setProblem('Paint the area you want to change first.')
    if (prompt.trim() === '') return setProblem('Describe the change: what should the painted area show?')
    if (settings.seedProblem) return setProblem(settings.seedProblem)
    setBusy(true)
    try {
      const form = new FormData()
      form.set('kind', 'edit')
      form.set('prompt', prompt.trim())
      setSettingsFields(form, settings)
      if (source.kind === 'image') form.set('imageId', source.image.id)
      else form.set('image', source.blob, 'image.png')
      form.set('mask', await mask.current.toPng(), 'mask.png')
      await start(form)
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
          Edit an image
        </h1>
        <p className="lead">
          Paint over the part to change and describe what should be there
          {quote ? `: ${plural(quote.images, 'version')} for ${creditsText(quote.credits)}.` : '.'}
        </p>
        {!source && <SourcePicker onUpload={upload} onPick={pick} />}
        {loading && <p role="status">Loading the image…</p>}
        <ErrorMessage>{sourceProblem}</ErrorMessage>
        {source && (
          <form onSubmit={onSubmit} className="edit-layout" noValidate>
            <div className="edit-canvas">
              <MaskPainter
                imageUrl={source.url}
                size={source.size}
                handle={mask}
                onPaintedChange={paintedChanged}
              />
              <button type="button" className="button button-quiet button-small" onClick={clear}>
                Choose another image
              </button>
            </div>
            <div className="stack edit-controls">
              <div className="field">
                <label htmlFor={`${id}-prompt`}>Describe the change</label>
                <textarea
                  id={`${id}-prompt`}
                  name="prompt"
                  rows={3}
                  maxLength={DEFAULT_MAX_PROMPT_CHARS}
                  placeholder="a red sailing boat on the water"
                  value={prompt}
                  onChange={(e) => {
                    setPrompt(e.target.value)
                    setProblem(null)
                  }}
                />
                <p className="hint">
                  Describe the whole picture as it should look, including the painted area.
                </p>
              </div>
              <JobOptions operation="edit" settings={settings} onChange={change} quote={jobQuote} />
              <CostButton verb="Edit" quote={quote} busy={busy} busyLabel="Starting…" />
              {!painted && <p className="hint">Paint an area of the image to enable the edit.</p>}
              {shortOfCredits && credits && (
                <OutOfCredits needed={shortOfCredits.needed} available={shortOfCredits.available} />
              )}
              <ErrorMessage>{problem}</ErrorMessage>
            </div>
          </form>
        )}
      </section>
      {jobs.length > 0 && (
        <section aria-label="Edits" className="results">
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
