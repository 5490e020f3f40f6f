import { useState } from 'react'
import type { ImageBody } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'

interface FavouriteButtonProps {
  image: ImageBody
  label: string
  onChange(image: ImageBody): void
  onProblem(message: string): void
  showText?: boolean
}

/** A toggle: marks an image as a favourite (kept), or unmarks it. */
export function FavouriteButton({ image, label, onChange, onProblem, showText }: FavouriteButtonProps) {
  const [busy, setBusy] = useState(false)
  const toggle = async () => {
    setBusy(true)
    try {
      onChange(await api.setFavourite(image.id, !image.favourite))
    } catch (error) {
      onProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }
  return (
    <button
      type="button"
      className={`icon-button favourite ${image.favourite ? 'is-on' : ''}`}
      aria-pressed={image.favourite}
      aria-label={showText ? undefined : label}
      title={image.favourite ? 'Favourite (click to unmark)' : 'Mark as favourite'}
      disabled={busy}
      onClick={toggle}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path
          d="M12 20.5s-7.5-4.6-7.5-10.2A4.3 4.3 0 0 1 12 7.6a4.3 4.3 0 0 1 7.5 2.7c0 5.6-7.5 10.2-7.5 10.2z"
          fill={image.favourite ? 'currentColor' : 'none'}
          stroke="currentColor"
          strokeWidth="1.8"
          strokeLinejoin="round"
        />
      </svg>
      {showText && <span>Favourite</span>}
    </button>
  )
}
