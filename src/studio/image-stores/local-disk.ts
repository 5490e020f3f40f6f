import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type ImageStore, imageKey, type StoredImage } from '../image-store.ts'

/**
 * Image bytes on disk under `<data dir>/images/<account id>/<image id>.png`: one folder per
 * account.
 */
export class LocalDiskImageStore implements ImageStore {
  readonly root: string

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'images')
  }

  pathOf(accountId: string, imageId: string): string {
    return path.join(this.root, ...imageKey(accountId, imageId).split('/'))
  }

  /**
   * Writes durably and atomically: a temporary file, fsynced, renamed over the name, then the
   * folder fsynced — the rename is an entry in the folder, and until the folder is synced a crash
   * can lose it even though the file's bytes are on disk. A folder made for the file is synced
   * into its parent the same way.
   */
  async write(accountId: string, imageId: string, png: Buffer): Promise<StoredImage> {
    const file = this.pathOf(accountId, imageId)
    const folder = path.dirname(file)
    const created = await fs.promises.mkdir(folder, { recursive: true })
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    const handle = await fs.promises.open(temp, 'w')
    try {
      await handle.writeFile(png)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.promises.rename(temp, file)
    await syncFolder(folder)
    if (created !== undefined) await syncParents(folder, created)
    return { bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') }
  }

  async read(accountId: string, imageId: string): Promise<Buffer> {
    return await fs.promises.readFile(this.pathOf(accountId, imageId))
  }

  async remove(accountId: string, imageId: string): Promise<void> {
    await fs.promises.rm(this.pathOf(accountId, imageId), { force: true })
  }
}

/** Syncs the parent of each folder `mkdir` made, from `folder` up to `created`, the first it made. */
async function syncParents(folder: string, created: string): Promise<void> {
  for (let made = folder; ; made = path.dirname(made)) {
    const parent = path.dirname(made)
    await syncFolder(parent)
    if (made === path.resolve(created) || parent === made) return
  }
}

async function syncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder to fsync it (NTFS journals the rename itself).
  if (process.platform === 'win32') return
  const handle = await fs.promises.open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
