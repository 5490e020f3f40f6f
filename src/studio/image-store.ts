import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

// Only ids Easel made itself become path segments; anything else is a bug, not a path.
const ID = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/

/**
 * Image bytes on disk under `<data dir>/images/<account id>/<image id>.png`: one folder per account,
 * and no user input ever becomes part of a path.
 */
export class ImageStore {
  readonly root: string

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'images')
  }

  pathOf(accountId: string, imageId: string): string {
    if (!ID.test(accountId) || !ID.test(imageId))
      throw new Error(`not an Easel id: ${accountId} / ${imageId}`)
    return path.join(this.root, accountId, `${imageId}.png`)
  }

  /** Writes durably and atomically (temporary file, fsync, rename): a reader never sees half a PNG. */
  async write(accountId: string, imageId: string, png: Buffer): Promise<{ bytes: number; sha256: string }> {
    const file = this.pathOf(accountId, imageId)
    await fs.promises.mkdir(path.dirname(file), { recursive: true })
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    const handle = await fs.promises.open(temp, 'w')
    try {
      await handle.writeFile(png)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.promises.rename(temp, file)
    return { bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') }
  }

  read(accountId: string, imageId: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(accountId, imageId))
  }

  stream(accountId: string, imageId: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(accountId, imageId))
  }

  /** Removes files of a job that failed after some were written (best effort: they are unreferenced). */
  async remove(accountId: string, imageId: string): Promise<void> {
    await fs.promises.rm(this.pathOf(accountId, imageId), { force: true })
  }
}
