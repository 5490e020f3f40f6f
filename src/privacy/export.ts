import { PassThrough, Readable } from 'node:stream'
import { ZipFile } from 'yazl'
import type { User } from '../accounts/index.ts'
import type { ImageStore } from '../studio/image-store.ts'
import { type AccountJsonSources, accountJson } from './account-json.ts'
import { imageFileName, jobPages } from './job-pages.ts'

/** What an export is written from. */
export interface ExportSources extends AccountJsonSources {
  store: ImageStore
}

/** The export's file name, dated (UTC) on the day it is made. */
export const exportFileName = (now: number): string =>
  `easel-export-${new Date(now).toISOString().slice(0, 10)}.zip`

/**
 * The person's data as a zip, written while it is read: README.txt, account.json (streamed a page
 * of jobs at a time) and `images/<job id>/<n>.png` for every image still stored. Images are read
 * one at a time, each only once the zip has finished the one before, so memory stays bounded by
 * one image whatever the account holds. A failure part way (the database gone) ends the stream
 * with the error: the download breaks rather than ending in a zip that looks whole.
 *
 * @example
 * reply.type('application/zip').send(exportZip(sources, user, { now, currentToken }))
 */
export function exportZip(
  from: ExportSources,
  user: User,
  options: { now: number; currentToken: string | null },
): NodeJS.ReadableStream {
  const zip = new ZipFile()
  const output = zip.outputStream as Readable
  const fail = (error: unknown) => {
    if (!(error instanceof ExportStopped))
      output.destroy(error instanceof Error ? error : new Error(String(error)))
  }
  // yazl leaves a source stream's errors to its caller (unheard, one would crash the process).
  zip.on('error', fail)
  // Once the download is over (finished, or the client gone), nothing more is read.
  const stopped = new Promise<never>((_, stop) => output.once('close', () => stop(new ExportStopped())))
  stopped.catch(() => {})
  const mtime = new Date(options.now)
  zip.addBuffer(Buffer.from(README, 'utf8'), 'README.txt', { mtime })
  const json = Readable.from(accountJson(from, user, options))
  json.on('error', fail)
  zip.addReadStream(json, 'account.json', { mtime })
  addImages(zip, from, user.accountId, mtime, stopped).then(() => zip.end(), fail)
  return output
}

/** The download ended before the zip did: not an error of the export. */
class ExportStopped extends Error {
  constructor() {
    super('the export stopped: its download ended')
    this.name = 'ExportStopped'
  }
}

/** Adds each stored image of the account, waiting for the zip to take each before reading the next. */
async function addImages(
  zip: ZipFile,
  from: ExportSources,
  accountId: string,
  mtime: Date,
  stopped: Promise<never>,
): Promise<void> {
  for await (const page of jobPages(from.db.kysely, accountId)) {
    for (const { job, images } of page.jobs) {
      for (const [i, image] of images.entries()) {
        const png = await readStored(from.store, accountId, image.id)
        // An image whose file is gone (a crash between a deletion's commit and its files) is left
        // out; account.json still names it, and README.txt says why one may be missing.
        if (!png) continue
        const taken = new Promise<void>((done) => {
          // PNGs are compressed already: stored as they are.
          zip.addReadStreamLazy(imageFileName(job.id, i), { mtime, compress: false }, (give) => {
            const stream = new PassThrough()
            stream.on('end', () => done())
            give(null, stream)
            stream.end(png)
          })
        })
        await Promise.race([taken, stopped])
      }
    }
  }
}

async function readStored(store: ImageStore, accountId: string, imageId: string): Promise<Buffer | null> {
  try {
    return await store.read(accountId, imageId)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

const README = `Your Easel data
===============

This archive holds what Easel keeps about you, as it was when you downloaded it.

account.json
  One JSON document (format "easel-account-export/1"); times are milliseconds since 1970-01-01 UTC.
  - profile: your email, role, plan, cohorts, when you joined, whether your email is verified and
    whether two-factor sign-in is on (null where this installation has none).
  - credits: what you can spend now (available) and what is reserved for running jobs (held),
    credits left by where they came from (monthly allowance, bonus, purchase...), each grant with
    its amount, what is left and when it expires, and the journal: every movement of your credits,
    newest first (grants, holds, charges, releases, expiries, refunds).
  - purchases: the credit packs you bought, the amount paid in minor units of its currency (cents
    for USD), whether it was refunded, and the credits of each still unspent.
  - sessions: where you are signed in (browser, network address, last use).
  - apiKeys: your API keys (name, the first characters, when made, used, revoked); never a secret.
  - jobs: every image request, newest first: kind, prompt, parameters (size, number of images,
    seed), status, credits quoted and charged, when it was made and finished, and its images.

images/<job id>/<n>.png
  The images of each job, numbered as the job returned them. An image named in account.json but
  absent here was no longer in storage when the archive was made.
`
