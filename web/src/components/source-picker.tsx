import { type DragEvent, useEffect, useId, useRef, useState } from 'react'
import type { ImageBody } from '../../../src/contracts/index.ts'
import { api } from '../api.ts'

interface SourcePickerProps {
  onUpload(file: File): void
  onPick(imageId: string): void
}

/** The first image file among what was dropped or pasted (a browser gives pasted pictures as files). */
function imageFile(data: DataTransfer | null): File | null {
  if (!data) return null
  for (const file of Array.from(data.files)) if (file.type.startsWith('image/')) return file
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind === 'file' && item.type.startsWith('image/')) return item.getAsFile()
  }
  return null
}

const hasFiles = (event: DragEvent) => Array.from(event.dataTransfer.types).includes('Files')

/**
 * Choose the picture to start from: upload one (the file field, dropping a file on the picker, or
 * pasting a picture with Ctrl/Cmd+V anywhere on the page), or pick one of your recent images.
 */
export function SourcePicker({ onUpload, onPick }: SourcePickerProps) {
  const id = useId()
  const [recent, setRecent] = useState<ImageBody[] | null>(null)
  const [over, setOver] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const upload = useRef(onUpload)
  upload.current = onUpload

  useEffect(() => {
    let live = true
    api
      .images({ limit: 12 })
      .then((page) => live && setRecent(page.images.filter((i) => i.removed === null)))
      .catch(() => live && setRecent([]))
    return () => {
      live = false
    }
  }, [])

  // A pasted picture is taken wherever the focus is, except text pasted into a text field.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = imageFile(event.clipboardData)
      if (!file) {
        const target = event.target as HTMLElement | null
        if (target?.closest('input, textarea, [contenteditable="true"]')) return
        setProblem('There is no picture to paste: copy an image first (not its address), then paste it here.')
        return
      }
      event.preventDefault()
      setProblem(null)
      upload.current(file)
    }
    window.addEventListener('paste', onPaste)
    return () => window.removeEventListener('paste', onPaste)
  }, [])

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault()
    setOver(false)
    const file = imageFile(event.dataTransfer)
    if (file) {
      setProblem(null)
      onUpload(file)
    } else setProblem('That is not an image file: drop a PNG, JPEG or WebP picture.')
  }

  return (
    <div className="source-picker stack">
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a target for dragged files; the file field inside it (and pasting) is the keyboard's way */}
      <div
        className={`drop-zone${over ? ' is-over' : ''}`}
        data-testid="drop-zone"
        onDragEnter={(e) => {
          if (hasFiles(e)) {
            e.preventDefault()
            setOver(true)
          }
        }}
        onDragOver={(e) => {
          if (hasFiles(e)) {
            e.preventDefault()
            e.dataTransfer.dropEffect = 'copy'
          }
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false)
        }}
        onDrop={onDrop}
      >
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
            Or drop a picture here, or paste one (Ctrl+V). PNG, JPEG or WebP; Easel uses its centre square, at
            up to 1024×1024.
          </p>
        </div>
      </div>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
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
