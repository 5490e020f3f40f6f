import type { ImageBody } from '../../../src/contracts/index.ts'
import { FavouriteButton } from './favourite-button.tsx'
import { DownloadIcon, EditIcon, VaryIcon } from './icons.tsx'
import { Link } from './link.tsx'
import { ProceduralLabel } from './procedural-label.tsx'
import { ReportImageButton } from './report-image.tsx'
import './moderation.css'

interface ImageTileProps {
  image: ImageBody
  /** "image 2 of 4" */
  name: string
  alt: string
  onOpen(): void
  onChange(image: ImageBody): void
  onProblem(message: string): void
}

/**
 * What stands in for an image an administrator removed: its file is gone, and its owner is told why.
 */
export function RemovedImage({ removed }: { removed: NonNullable<ImageBody['removed']> }) {
  return (
    <div className="removed-image" role="note" data-testid="removed-image">
      <p>
        <strong>Removed by an administrator:</strong> {removed.reason}
      </p>
    </div>
  )
}

/**
 * One image of a job: opens large; favourite, download, vary, edit and report beside it. A removed
 * image shows why it was removed instead, and nothing can be done with it.
 */
export function ImageTile({ image, name, alt, onOpen, onChange, onProblem }: ImageTileProps) {
  if (image.removed) {
    return (
      <figure className="tile" data-testid="image-tile" data-removed="true">
        <RemovedImage removed={image.removed} />
      </figure>
    )
  }
  return (
    <figure className="tile" data-testid="image-tile">
      <button type="button" className="tile-open" onClick={onOpen} aria-label={`Open ${name} large`}>
        <img src={image.contentUrl} alt={alt} width={image.width} height={image.height} loading="lazy" />
      </button>
      {image.procedural && <ProceduralLabel />}
      <figcaption className="tile-actions">
        <FavouriteButton
          image={image}
          label={`Favourite ${name}`}
          onChange={onChange}
          onProblem={onProblem}
        />
        <a
          className="icon-button"
          href={image.downloadUrl}
          download
          aria-label={`Download ${name}`}
          title="Download PNG"
        >
          <DownloadIcon />
        </a>
        <Link
          className="icon-button"
          href={`/variations?image=${image.id}`}
          aria-label={`Variations of ${name}`}
          title="Variations of this image"
        >
          <VaryIcon />
        </Link>
        <Link
          className="icon-button"
          href={`/edit?image=${image.id}`}
          aria-label={`Edit ${name}`}
          title="Edit this image"
        >
          <EditIcon />
        </Link>
        <ReportImageButton target={{ imageId: image.id }} name={name} />
      </figcaption>
    </figure>
  )
}
