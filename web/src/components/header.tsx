import { type RefObject, useEffect, useRef, useState } from 'react'
import { messageOf } from '../api.ts'
import { credits as creditsText, plural } from '../format.ts'
import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { Link } from './link.tsx'

const NAV = [
  { href: '/', label: 'Create' },
  { href: '/edit', label: 'Edit' },
  { href: '/variations', label: 'Variations' },
  { href: '/history', label: 'History' },
  { href: '/credits', label: 'Credits' },
  { href: '/keys', label: 'API keys' },
  { href: '/account', label: 'Account' },
]

/**
 * Which ends of a row that scrolls sideways have more beyond them, so that a fade can show it
 * (on a phone the nav is wider than the screen). Follows scrolling and resizing.
 */
function useScrollEnds(element: RefObject<HTMLElement | null>): { start: boolean; end: boolean } {
  const [ends, setEnds] = useState({ start: false, end: false })
  useEffect(() => {
    const el = element.current
    if (!el) return
    const measure = () => {
      // A pixel of slack: zoomed layouts give fractional widths.
      const start = el.scrollLeft > 1
      const end = el.scrollLeft + el.clientWidth < el.scrollWidth - 1
      setEnds((e) => (e.start === start && e.end === end ? e : { start, end }))
    }
    measure()
    el.addEventListener('scroll', measure, { passive: true })
    const resize = new ResizeObserver(measure)
    resize.observe(el)
    return () => {
      el.removeEventListener('scroll', measure)
      resize.disconnect()
    }
  }, [element])
  return ends
}

/** The top bar: where to go, the balance (always in view), and signing out. */
export function Header() {
  const { user, credits, signOut } = useSession()
  const { path } = useLocation()
  const [problem, setProblem] = useState<string | null>(null)
  const navRef = useRef<HTMLElement>(null)
  const more = useScrollEnds(navRef)
  const current = (href: string) =>
    href === '/' ? path === '/' : path === href || (path.startsWith(`${href}/`) && href !== '/credits')

  const nav = user ? [...NAV, ...(user.role === 'admin' ? [{ href: '/admin', label: 'Admin' }] : [])] : []
  // On a narrow screen the page's own item is scrolled into view, not left beyond the edge.
  // biome-ignore lint/correctness/useExhaustiveDependencies: looked for again at each navigation
  useEffect(() => {
    const el = navRef.current?.querySelector<HTMLElement>('[aria-current="page"]')
    const nav = navRef.current
    if (!el || !nav || nav.scrollWidth <= nav.clientWidth) return
    nav.scrollTo({ left: el.offsetLeft - (nav.clientWidth - el.offsetWidth) / 2 })
  }, [path])
  return (
    <header className="site-header">
      <div className="header-row">
        <Link href="/" className="brand" aria-label="Easel, home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#1f2a44" />
            <circle cx="11" cy="12" r="4" fill="#f2b33d" />
            <circle cx="21" cy="11" r="3" fill="#e0605e" />
            <circle cx="20" cy="21" r="4" fill="#4fb3a9" />
            <circle cx="11" cy="22" r="3" fill="#8fa8ff" />
          </svg>
          <span>Easel</span>
        </Link>
        {user && (
          <div className="header-account">
            <Link
              href="/credits"
              className="balance"
              data-testid="balance"
              title="Your credits: see lots, expiry and history"
            >
              <span className="balance-figure" aria-live="polite">
                {credits ? creditsText(credits.available) : '… credits'}
              </span>
              {credits && credits.held > 0 && (
                <span className="balance-held">{plural(credits.held, 'held', 'held')}</span>
              )}
            </Link>
            <Link href="/credits/buy" className="button button-small button-accent">
              Buy credits
            </Link>
            <span className="header-email" title={user.email}>
              {user.email}
            </span>
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => signOut().catch((e) => setProblem(messageOf(e)))}
            >
              Sign out
            </button>
          </div>
        )}
      </div>
      {user && (
        <nav
          aria-label="Studio"
          ref={navRef}
          className="site-nav"
          data-more-start={more.start || undefined}
          data-more-end={more.end || undefined}
        >
          <ul>
            {nav.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {problem && (
        <p className="header-problem" role="alert">
          {problem}
        </p>
      )}
    </header>
  )
}
