import { useEffect, useId, useState } from 'react'
import type { ImageBody } from '../../../src/contracts/index.ts'
import { api } from '../api.ts'

interface SourcePickerProps {
  onUpload(file: File): void
  onPick(imageId: string): void
}

/** Choose the picture to start from: upload one, or pick one of your recent images. */
export function SourcePicker({ onUpload, onPick }: SourcePickerProps) {
  const id = useId()
  const [recent, setRecent] = useState<ImageBody[] | null>(null)
  useEffect(() => {
    let live = true
    api
      .images({ limit: 12 })
      .then((page) => live && setRecent(page.images))
      .catch(() => live && setRecent([]))
    return () => {
      live = false
    }
  }, [])

  return (
    <div className="source-picker stack">
      <div className="field">
        <label htmlFor={`${id}-file`}>Upload an image</label>
        <input
          id={`${id}-file`}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(e) => {
            const file = e.target.files?.[0]
            if (file) onUpload(file)
          }}
          aria-describedby={`${id}-file-hint`}
        />
        <p id={`${id}-file-hint`} className="hint">
          PNG, JPEG or WebP. Easel uses its centre square, at up to 1024×1024.
        </p>
      </div>
      {recent && recent.length > 0 && (
        <fieldset className="recent-picker">
          <legend>Or pick one of your images</legend>
          <ul className="thumbs">
            {recent.map((image, i) => (
              <li key={image.id}>
                <button
                  type="button"
                  className="thumb"
                  onClick={() => onPick(image.id)}
                  aria-label={`Use your image ${i + 1} (${image.width}×${image.height})`}
                >
                  <img src={image.contentUrl} alt="" width={96} height={96} loading="lazy" />
                </button>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
    </div>
  )
}
