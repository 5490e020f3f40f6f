import { useSyncExternalStore } from 'react'

// A small client-side router over the History API: the studio never reloads the page.

const listeners = new Set<() => void>()

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

const snapshot = () => `${window.location.pathname}${window.location.search}`

/** Goes to `to` (a path with an optional query) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  for (const l of listeners) l()
  if (!options.replace) window.scrollTo(0, 0)
}

export interface Location {
  path: string
  query: URLSearchParams
}

/** The current location; components re-render when it changes. */
export function useLocation(): Location {
  const current = useSyncExternalStore(subscribe, snapshot)
  const url = new URL(current, window.location.origin)
  return { path: url.pathname.replace(/\/+$/, '') || '/', query: url.searchParams }
}
