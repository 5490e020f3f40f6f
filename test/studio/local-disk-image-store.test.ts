import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { imageKey } from '../../src/studio/image-store.ts'
import { LocalDiskImageStore } from '../../src/studio/image-stores/local-disk.ts'
import { newId } from '../../src/util/ids.ts'

describe('the local-disk image store', () => {
  let dataDir: string
  let store: LocalDiskImageStore
  const account = newId('acct')
  const png = Buffer.from('not really a PNG, but bytes all the same')

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-images-'))
    store = new LocalDiskImageStore(dataDir)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('writes under images/<account>/<image>.png, leaves no temporary file, and reads back the bytes', async () => {
    const image = newId('img')
    const stored = await store.write(account, image, png)
    expect(stored).toEqual({ bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') })
    expect(fs.readdirSync(path.join(dataDir, 'images', account))).toEqual([`${image}.png`])
    expect(await store.read(account, image)).toEqual(png)
  })

  /**
   * Records the file-system calls a write makes, in order: each rename, and each folder opened and
   * fsynced (a folder is opened read-only; the temporary file is opened for writing).
   */
  function recordCalls() {
    const calls: string[] = []
    const open = fs.promises.open.bind(fs.promises)
    const rename = fs.promises.rename.bind(fs.promises)
    vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      await rename(from, to)
      calls.push(`rename ${path.relative(dataDir, String(to))}`)
    })
    vi.spyOn(fs.promises, 'open').mockImplementation(async (file, flags, mode) => {
      const handle = await open(file, flags, mode)
      if (flags === 'r' && fs.statSync(file).isDirectory()) {
        const sync = handle.sync.bind(handle)
        handle.sync = async () => {
          await sync()
          calls.push(`fsync ${path.relative(dataDir, String(file)) || '.'}`)
        }
      }
      return handle
    })
    return calls
  }

  it.skipIf(process.platform === 'win32')(
    'fsyncs the folder after the rename, and the parents of folders it made',
    async () => {
      const calls = recordCalls()
      const first = newId('img')
      await store.write(account, first, png)
      // The first image of the installation made images/ and images/<account>/.
      expect(calls).toEqual([
        `rename ${path.join('images', account, `${first}.png`)}`,
        `fsync ${path.join('images', account)}`,
        'fsync images',
        'fsync .',
      ])

      calls.length = 0
      const second = newId('img')
      await store.write(account, second, png)
      // The folders exist now: only the account's folder holds a new entry.
      expect(calls).toEqual([
        `rename ${path.join('images', account, `${second}.png`)}`,
        `fsync ${path.join('images', account)}`,
      ])
    },
  )

  it('a write that fails leaves nothing behind under the name', async () => {
    vi.spyOn(fs.promises, 'rename').mockRejectedValueOnce(new Error('disk full'))
    const image = newId('img')
    await expect(store.write(account, image, png)).rejects.toThrow('disk full')
    await expect(store.read(account, image)).rejects.toThrow()
  })

  it('removes an image, and removing an absent one is no error', async () => {
    const image = newId('img')
    await store.write(account, image, png)
    await store.remove(account, image)
    await expect(store.read(account, image)).rejects.toThrow()
    await store.remove(account, image)
  })

  it('refuses anything but Easel ids: no input becomes part of a path', async () => {
    await expect(store.write(account, '../../etc/passwd', png)).rejects.toThrow(/not an Easel id/)
    await expect(store.read('acct_x', newId('img'))).rejects.toThrow(/not an Easel id/)
    expect(() => imageKey(account, 'img_../x')).toThrow(/not an Easel id/)
    expect(imageKey(account, 'img_01jx5d7qgq4v8m6tyb2n3c9hkr')).toBe(
      `${account}/img_01jx5d7qgq4v8m6tyb2n3c9hkr.png`,
    )
  })
})
