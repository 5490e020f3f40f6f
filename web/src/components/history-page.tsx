import { useEffect, useId, useState } from 'react'
import { api, messageOf } from '../api.ts'
import { navigate, useLocation } from '../router.ts'
import { useJobs } from '../use-jobs.ts'
import { ErrorMessage } from './error-message.tsx'
import { JobCard } from './job-card.tsx'
import { Link } from './link.tsx'

const PAGE = 10

/** Every job with its images, newest first, a page at a time; or only those with favourites. */
export function HistoryPage() {
  const id = useId()
  const { query } = useLocation()
  const favourites = query.get('favourites') === '1'
  const before = query.get('before')
  const [nextBefore, setNextBefore] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [problem, setProblem] = useState<string | null>(null)
  const { jobs, show, imageChanged } = useJobs()
  // The cursors of the pages before this one, so "Newer" can go back.
  const [trail, setTrail] = useState<(string | null)[]>([])

  useEffect(() => {
    let live = true
    setLoading(true)
    setProblem(null)
    api
      .jobs({ limit: PAGE, before, favourites })
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
  }, [before, favourites, show])

  const href = (cursor: string | null, fav = favourites) => {
    const q = new URLSearchParams()
    if (fav) q.set('favourites', '1')
    if (cursor) q.set('before', cursor)
    const s = q.toString()
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
      <ErrorMessage>{problem}</ErrorMessage>
      {loading && jobs.length === 0 && <p role="status">Loading…</p>}
      {!loading && jobs.length === 0 && !problem && (
        <p className="empty">
          {favourites
            ? 'No favourites yet. Mark the images you like with the heart and they show up here.'
            : 'Nothing here yet. '}
          {!favourites && <Link href="/">Create your first images</Link>}
        </p>
      )}
      <div className="jobs" aria-busy={loading}>
        {jobs.map((job) => (
          <JobCard key={job.id} job={job} onImageChange={imageChanged} compact />
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
