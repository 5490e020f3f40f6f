import { useEffect, useId, useState } from 'react'
import { jobFiles, messageOf } from '../api.ts'
import { navigate, useLocation } from '../router.ts'
import { useJobs } from '../use-jobs.ts'
import { ErrorMessage } from './error-message.tsx'
import { useDeletions } from './job-actions.tsx'
import { JobCard } from './job-card.tsx'
import { Link } from './link.tsx'

const PAGE = 10
/** How long typing pauses before the search runs: one request per word, not per key. */
const SEARCH_DELAY_MS = 300

/**
 * Every job with its images, newest first, a page at a time; or only those with favourites; or
 * those whose prompt contains what is typed in the search box (kept in the address as `?q=`).
 */
export function HistoryPage() {
  const id = useId()
  const { query } = useLocation()
  const favourites = query.get('favourites') === '1'
  const before = query.get('before')
  const q = query.get('q') ?? ''
  const [nextBefore, setNextBefore] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [problem, setProblem] = useState<string | null>(null)
  const { jobs, show, imageChanged } = useJobs()
  const deletions = useDeletions(jobs, show)
  // The cursors of the pages before this one, so "Newer" can go back.
  const [trail, setTrail] = useState<(string | null)[]>([])
  const [typed, setTyped] = useState(q)

  // The box follows the address (back and forward, the tabs below)…
  useEffect(() => setTyped((t) => (t.trim() === q ? t : q)), [q])
  // …and the address follows the box, once typing pauses: a new search starts at its first page.
  useEffect(() => {
    if (typed.trim() === q.trim()) return
    const timer = setTimeout(() => {
      setTrail([])
      navigate(href(null, favourites, typed.trim()), { replace: true })
    }, SEARCH_DELAY_MS)
    return () => clearTimeout(timer)
  })

  useEffect(() => {
    let live = true
    setLoading(true)
    setProblem(null)
    jobFiles
      .search({ limit: PAGE, before, favourites, q })
      .then((page) => {
        if (!live) return
        show(page.jobs)
        setNextBefore(page.nextBefore)
      })
      .catch((error) => live && setProblem(messageOf(error)))
      .finally(() => live && setLoading(false))
    return () => {
      live = false
    }
  }, [before, favourites, q, show])

  function href(cursor: string | null, fav = favourites, search = q) {
    const params = new URLSearchParams()
    if (fav) params.set('favourites', '1')
    if (search) params.set('q', search)
    if (cursor) params.set('before', cursor)
    const s = params.toString()
    return `/history${s ? `?${s}` : ''}`
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h1 id={`${id}-title`} tabIndex={-1}>
          History
        </h1>
        <fieldset className="segmented" aria-label="Show">
          <Link
            href={href(null, false)}
            className="button button-small"
            aria-current={!favourites ? 'true' : undefined}
            onClick={() => setTrail([])}
          >
            All images
          </Link>
          <Link
            href={href(null, true)}
            className="button button-small"
            aria-current={favourites ? 'true' : undefined}
            onClick={() => setTrail([])}
          >
            Favourites
          </Link>
        </fieldset>
      </div>
      <search className="history-search">
        <form
          onSubmit={(e) => {
            e.preventDefault()
            setTrail([])
            navigate(href(null, favourites, typed.trim()), { replace: true })
          }}
        >
          <div className="field">
            <label htmlFor={`${id}-q`} className="visually-hidden">
              Search your images by their description
            </label>
            <input
              id={`${id}-q`}
              type="search"
              name="q"
              placeholder="Search by description…"
              autoComplete="off"
              maxLength={200}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
            />
          </div>
        </form>
      </search>
      <ErrorMessage>{problem}</ErrorMessage>
      {loading && jobs.length === 0 && <p role="status">Loading…</p>}
      {!loading && jobs.length === 0 && !problem && (
        <p className="empty">
          {q ? (
            <>
              Nothing {favourites ? 'among your favourites ' : ''}has “{q}” in its description.{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setTrail([])
                  setTyped('')
                  navigate(href(null, favourites, ''), { replace: true })
                }}
              >
                Clear the search
              </button>
            </>
          ) : favourites ? (
            'No favourites yet. Mark the images you like with the heart and they show up here.'
          ) : (
            <>
              Nothing here yet. <Link href="/">Create your first images</Link>
            </>
          )}
        </p>
      )}
      <div className="jobs" aria-busy={loading}>
        {jobs.map((job) => (
          <JobCard key={job.id} job={job} onImageChange={imageChanged} compact {...deletions} />
        ))}
      </div>
      {(before || nextBefore) && (
        <nav className="pager" aria-label="History pages">
          <button
            type="button"
            className="button"
            disabled={!before}
            onClick={() => {
              const previous = trail[trail.length - 1] ?? null
              setTrail(trail.slice(0, -1))
              navigate(href(previous))
            }}
          >
            ← Newer
          </button>
          <span className="muted">Page {trail.length + 1}</span>
          <button
            type="button"
            className="button"
            disabled={!nextBefore}
            onClick={() => {
              setTrail([...trail, before])
              navigate(href(nextBefore))
            }}
          >
            Older →
          </button>
        </nav>
      )}
    </section>
  )
}
