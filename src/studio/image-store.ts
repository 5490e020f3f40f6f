/** What storing an image found: its length and SHA-256 (hex), recorded on its row. */
export interface StoredImage {
  bytes: number
  sha256: string
}

/**
 * Where the images of jobs live, one object per image, addressed by its account and id (local
 * disk today, S3-compatible storage later). Only ids Easel made itself are used: an implementation
 * refuses anything else, so no user input ever becomes part of a path or key.
 */
export interface ImageStore {
  /**
   * Stores the PNG durably and atomically: once it resolves the image survives a crash, and a
   * reader never sees part of it.
   */
  write(accountId: string, imageId: string, png: Buffer): Promise<StoredImage>
  /** The image's bytes; rejects when there is no such image. */
  read(accountId: string, imageId: string): Promise<Buffer>
  /** Removes an image no row points at (best effort; an absent one is no error). */
  remove(accountId: string, imageId: string): Promise<void>
}

// Easel's ids: a prefix, an underscore and 26 characters of Crockford base 32.
const ID = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/

/**
 * The image's key in every store, `<account id>/<image id>.png`; throws for anything but Easel's
 * own ids (a bug, not a path).
 *
 * @example imageKey('acct_01j…', 'img_01j…') // 'acct_01j…/img_01j….png'
 */
export function imageKey(accountId: string, imageId: string): string {
  if (!ID.test(accountId) || !ID.test(imageId)) throw new Error(`not an Easel id: ${accountId} / ${imageId}`)
  return `${accountId}/${imageId}.png`
}
