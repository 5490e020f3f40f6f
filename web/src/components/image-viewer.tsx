import { type KeyboardEvent, useEffect, useRef, useState } from 'react'
import type { ImageBody, JobBody } from '../../../src/contracts/index.ts'
import { jobFiles, messageOf } from '../api.ts'
import { ConfirmDelete } from './confirm-delete.tsx'
import { ErrorMessage } from './error-message.tsx'
import { FavouriteButton } from './favourite-button.tsx'
import { reuseHref } from './job-options.tsx'
import { Link } from './link.tsx'
import { ProceduralLabel } from './procedural-label.tsx'

interface ImageViewerProps {
  images: ImageBody[]
  index: number
  prompt: string | null
  onIndex(index: number): void
  onChange(image: ImageBody): void
  onClose(): void
  /** The images' job: its seed is shown on each image, to be used again. */
  job?: JobBody
  /** Told once an image is deleted; without it, the viewer offers no deletion. */
  onDeleted?(image: ImageBody): void
}

/**
 * One image large, in a modal dialog (Escape closes it; the arrow keys go through the job's
 * images), with what can be done with it: favourite, download, vary, edit, start again from its
 * seed, delete.
 */
export function ImageViewer({
  images,
  index,
  prompt,
  onIndex,
  onChange,
  onClose,
  job,
  onDeleted,
}: ImageViewerProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const image = images[index]
  // Another image shown: any question asked about the one before is dropped.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the image shown changes
  useEffect(() => {
    setConfirming(false)
    setProblem(null)
  }, [image?.id])

  useEffect(() => {
    // Opened once; closing (Escape, the Close button) tells the parent, which unmounts it.
    const d = dialog.current
    if (d && !d.open) d.showModal()
  }, [])

  if (!image) return null
  const name = `image ${index + 1} of ${images.length}`
  // Each image of a job is drawn from the job's seed plus its place in the job.
  const seed = job ? job.seed + image.position : null

  const remove = async () => {
    if (!onDeleted) return
    setDeleting(true)
    setProblem(null)
    try {
      await jobFiles.deleteImage(image.id)
      setConfirming(false)
      // The next image takes its place; the last one gone closes the viewer.
      if (images.length === 1) dialog.current?.close()
      else if (index === images.length - 1) onIndex(index - 1)
      onDeleted(image)
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setDeleting(false)
    }
  }
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
          {job && seed !== null && (
            <p className="viewer-seed">
              Seed{' '}
              <span className="seed-value" data-testid="image-seed">
                {seed}
              </span>{' '}
              <Link className="button button-small button-quiet" href={reuseHref(job, { seed, n: 1 })}>
                Use this seed
              </Link>
            </p>
          )}
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
            {onDeleted && !confirming && (
              <button
                type="button"
                className="button button-quiet button-quiet-danger"
                onClick={() => setConfirming(true)}
              >
                Delete image
              </button>
            )}
          </div>
          {confirming && (
            <ConfirmDelete busy={deleting} onDelete={remove} onKeep={() => setConfirming(false)}>
              Delete {name} for good? What it cost stays in your credit history.
            </ConfirmDelete>
          )}
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
