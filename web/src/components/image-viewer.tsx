import { type KeyboardEvent, useEffect, useRef, useState } from 'react'
import type { ImageBody } from '../../../src/contracts/index.ts'
import { ErrorMessage } from './error-message.tsx'
import { FavouriteButton } from './favourite-button.tsx'
import { Link } from './link.tsx'
import { ProceduralLabel } from './procedural-label.tsx'

interface ImageViewerProps {
  images: ImageBody[]
  index: number
  prompt: string | null
  onIndex(index: number): void
  onChange(image: ImageBody): void
  onClose(): void
}

/** One image large, in a modal dialog (Escape closes it; the arrow keys go through the job's images). */
export function ImageViewer({ images, index, prompt, onIndex, onChange, onClose }: ImageViewerProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const image = images[index]

  useEffect(() => {
    // Opened once; closing (Escape, the Close button) tells the parent, which unmounts it.
    const d = dialog.current
    if (d && !d.open) d.showModal()
  }, [])

  if (!image) return null
  const name = `image ${index + 1} of ${images.length}`
  const step = (delta: number) => onIndex((index + delta + images.length) % images.length)
  const onKeyDown = (event: KeyboardEvent) => {
    if (images.length < 2) return
    if (event.key === 'ArrowRight') step(1)
    else if (event.key === 'ArrowLeft') step(-1)
  }

  return (
    <dialog
      ref={dialog}
      className="viewer"
      aria-label={`Image ${index + 1} of ${images.length}`}
      onClose={onClose}
      onKeyDown={onKeyDown}
    >
      <div className="viewer-body">
        <div className="viewer-image">
          <img
            src={image.contentUrl}
            alt={prompt ? `${prompt} (${name})` : name}
            width={image.width}
            height={image.height}
          />
          {image.procedural && <ProceduralLabel />}
        </div>
        <div className="viewer-side">
          <p className="viewer-count">
            Image {index + 1} of {images.length} · {image.width}×{image.height}
          </p>
          {prompt && <p className="viewer-prompt">“{prompt}”</p>}
          <div className="viewer-actions">
            <FavouriteButton
              image={image}
              label={`Favourite ${name}`}
              onChange={onChange}
              onProblem={setProblem}
              showText
            />
            <a className="button" href={image.downloadUrl} download>
              Download
            </a>
            <Link className="button" href={`/variations?image=${image.id}`}>
              Variations
            </Link>
            <Link className="button" href={`/edit?image=${image.id}`}>
              Edit
            </Link>
          </div>
          <ErrorMessage>{problem}</ErrorMessage>
          <div className="viewer-nav">
            {images.length > 1 && (
              <>
                <button type="button" className="button button-quiet" onClick={() => step(-1)}>
                  ← Previous
                </button>
                <button type="button" className="button button-quiet" onClick={() => step(1)}>
                  Next →
                </button>
              </>
            )}
            <button type="button" className="button" onClick={() => dialog.current?.close()}>
              Close
            </button>
          </div>
        </div>
      </div>
    </dialog>
  )
}
