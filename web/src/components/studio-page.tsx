import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import { DEFAULT_MAX_PROMPT_CHARS } from '../../../src/contracts/limits.ts'
import { ApiProblem, api, messageOf } from '../api.ts'
import { plural } from '../format.ts'
import { useSession } from '../session.tsx'
import { outOfCredits, type Shortfall, shortfallOf } from '../shortfall.ts'
import { useEngines } from '../use-engines.ts'
import { useJobs } from '../use-jobs.ts'
import { LowBalanceBanner } from './auto-top-up-section.tsx'
import { CostButton } from './cost-button.tsx'
import { ErrorMessage } from './error-message.tsx'
import { useDeletions } from './job-actions.tsx'
import { JobCard } from './job-card.tsx'
import {
  DEFAULT_SETTINGS,
  JobOptions,
  type JobSettings,
  settingsFields,
  useJobQuote,
  useReuse,
} from './job-options.tsx'
import { Link } from './link.tsx'
import { OutOfCredits } from './out-of-credits.tsx'

const EXAMPLES = [
  'a lighthouse on a cliff at dusk, oil painting',
  'a fox in a snowy forest under the northern lights',
  'a city of glass towers by the sea at sunrise',
]

/** Create: a description in, images out, for what the quote says. Recent jobs below. */
export function StudioPage() {
  const { credits } = useSession()
  const id = useId()
  const [prompt, setPrompt] = useState('')
  const [settings, setSettings] = useState<JobSettings>(DEFAULT_SETTINGS)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<{ message: string; field: string | null } | null>(null)
  const [short, setShort] = useState<Shortfall | null>(null)
  const jobQuote = useJobQuote('generate', settings)
  const { quote, problem: quoteProblem } = jobQuote
  const { jobs, show, start, imageChanged } = useJobs()
  const deletions = useDeletions(jobs, show)

  const change = useCallback((c: Partial<JobSettings>) => setSettings((s) => ({ ...s, ...c })), [])
  useReuse((reusedPrompt, reused) => {
    if (reusedPrompt !== null) setPrompt(reusedPrompt)
    setSettings({ ...DEFAULT_SETTINGS, ...reused })
    setProblem(null)
  })

  useEffect(() => {
    api
      .jobs({ limit: 4 })
      .then((page) => show(page.jobs))
      .catch((error) => setProblem({ message: messageOf(error), field: null }))
  }, [show])

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setShort(null)
    if (prompt.trim() === '') {
      setProblem({ message: 'Describe the image you want first.', field: 'prompt' })
      return
    }
    if (settings.seedProblem) {
      setProblem({ message: settings.seedProblem, field: 'seed' })
      return
    }
    setBusy(true)
    try {
      await start({ kind: 'generate', prompt: prompt.trim(), ...settingsFields(settings) })
    } catch (error) {
      const shortfall = shortfallOf(error, quote?.credits ?? 1)
      if (shortfall) setShort(shortfall)
      else setProblem({ message: messageOf(error), field: error instanceof ApiProblem ? error.field : null })
    } finally {
      setBusy(false)
    }
  }

  const shortOfCredits = outOfCredits(short, quote)
  const promptProblem = problem?.field === 'prompt' ? problem.message : null
  return (
    <>
      <section className="composer" aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} tabIndex={-1}>
          Create images from a description
        </h1>
        <LowBalanceBanner refreshKey={credits?.available} />
        <SketchOnlyNotice />
        <form onSubmit={onSubmit} className="stack" noValidate>
          <div className="field">
            <label htmlFor={`${id}-prompt`}>Describe the image</label>
            <textarea
              id={`${id}-prompt`}
              name="prompt"
              rows={3}
              maxLength={DEFAULT_MAX_PROMPT_CHARS}
              placeholder={EXAMPLES[0]}
              value={prompt}
              onChange={(e) => {
                setPrompt(e.target.value)
                // The problem was with what was there before: a new description deserves a new try.
                setProblem(null)
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit()
              }}
              aria-invalid={promptProblem ? true : undefined}
              aria-describedby={`${id}-prompt-hint${promptProblem ? ` ${id}-prompt-problem` : ''}`}
            />
            <p id={`${id}-prompt-hint`} className="hint">
              Say what it shows and in what style. Ctrl+Enter generates.{' '}
              <span className="examples">
                Try:{' '}
                {EXAMPLES.map((text, i) => (
                  <span key={text}>
                    {i > 0 && ' · '}
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => {
                        setPrompt(text)
                        setProblem(null)
                      }}
                    >
                      {text}
                    </button>
                  </span>
                ))}
              </span>
            </p>
            {promptProblem && (
              <p id={`${id}-prompt-problem`} className="field-problem">
                {promptProblem}
              </p>
            )}
          </div>
          <div className="composer-row">
            <JobOptions operation="generate" settings={settings} onChange={change} quote={jobQuote} />
            <CostButton verb="Generate" quote={quote} busy={busy} busyLabel="Starting…" />
          </div>
          {shortOfCredits && credits && (
            <OutOfCredits needed={shortOfCredits.needed} available={shortOfCredits.available} />
          )}
          {problem && problem.field !== 'prompt' && <ErrorMessage>{problem.message}</ErrorMessage>}
          {quoteProblem && <ErrorMessage>{`The price could not be read: ${quoteProblem}`}</ErrorMessage>}
        </form>
      </section>
      <section className="results" aria-labelledby={`${id}-recent`}>
        <div className="section-head">
          <h2 id={`${id}-recent`}>Recent</h2>
          {jobs.length > 0 && <Link href="/history">All your images in History</Link>}
        </div>
        {jobs.length === 0 ? (
          <p className="empty">
            Your images appear here.
            {quote
              ? ` Each generation makes ${plural(jobQuote.defaultImages ?? quote.images, 'image')}`
              : ' Each generation makes several'}
            ; mark the ones you like as favourites.
          </p>
        ) : (
          <div className="jobs">
            {jobs.map((job) => (
              <JobCard key={job.id} job={job} onImageChange={imageChanged} {...deletions} />
            ))}
          </div>
        )}
      </section>
    </>
  )
}

/**
 * When the only engine on is the built-in sketch engine, says so: its pictures are procedural
 * previews. An administrator is shown where to turn on a real engine; anyone else, whom to ask.
 */
function SketchOnlyNotice() {
  const { user } = useSession()
  const engines = useEngines()
  if (!engines || engines.length === 0 || !engines.every((e) => e.procedural)) return null
  return (
    <div className="notice notice-info sketch-only" data-testid="sketch-only">
      <strong className="notice-title">Only the built-in sketch engine is on</strong>
      <p>
        It draws procedural previews from your description, without an AI model, so you can try everything
        out.{' '}
        {user?.role === 'admin' ? (
          <>
            To make AI images, <Link href="/admin/engines">turn on an engine</Link> (OpenAI, Stable Diffusion
            WebUI or ComfyUI).
          </>
        ) : (
          'To make AI images, ask your operator to turn on an engine (OpenAI, Stable Diffusion WebUI or ComfyUI).'
        )}
      </p>
    </div>
  )
}
