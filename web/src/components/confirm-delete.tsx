import type { ReactNode } from 'react'

interface ConfirmDeleteProps {
  /** The question asked: what goes, for good. */
  children: ReactNode
  busy: boolean
  onDelete(): void
  onKeep(): void
}

/** Asks once more before something is deleted for good: Delete, or Keep it (focused). */
export function ConfirmDelete({ children, busy, onDelete, onKeep }: ConfirmDeleteProps) {
  return (
    <div className="confirm-row">
      <p className="confirm-question">{children}</p>
      <div className="button-row">
        <button
          type="button"
          className="button button-small button-danger"
          disabled={busy}
          onClick={onDelete}
        >
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button
          type="button"
          className="button button-small"
          disabled={busy}
          // biome-ignore lint/a11y/noAutofocus: the question asked needs its answer next
          autoFocus
          onClick={onKeep}
        >
          Keep it
        </button>
      </div>
    </div>
  )
}
