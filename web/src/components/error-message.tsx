import type { ReactNode } from 'react'

/** A problem to show where it happened; announced to screen readers as it appears. */
export function ErrorMessage({ children, title }: { children: ReactNode; title?: string }) {
  if (children === null || children === undefined || children === '') return null
  return (
    <div className="notice notice-error" role="alert">
      {title && <strong className="notice-title">{title}</strong>}
      <div>{children}</div>
    </div>
  )
}
