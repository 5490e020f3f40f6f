import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

/** The file every backup directory holds, written last: a directory without it is incomplete. */
export const MANIFEST_FILE = 'manifest.json'
/** The database inside a backup directory. */
export const BACKUP_DB_FILE = 'easel.db'
/** The images inside a backup directory, laid out as under the data directory. */
export const BACKUP_IMAGES_DIR = 'images'

const FORMAT = 'easel-backup/1'

const count = z.number().int().nonnegative()

/** What a backup holds, checked by `easel restore` before it touches anything. */
export const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  easelVersion: z.string(),
  /** When the database snapshot was taken (ISO 8601, UTC). */
  takenAt: z.string(),
  database: z.strictObject({
    file: z.literal(BACKUP_DB_FILE),
    bytes: count,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The last schema migration the snapshot had run. */
    migration: z.string(),
  }),
  /** Rows per table in the snapshot. */
  tables: z.record(z.string(), count),
  images: z.strictObject({
    /**
     * Where the installation keeps its images: `local-disk` (copied into the backup) or `s3` (not
     * copied: the bucket is backed up with the object store's own tools).
     */
    store: z.enum(['local-disk', 's3']),
    /** Image files copied (every file under `images/` at copy time). */
    files: count,
    bytes: count,
    /** Image rows of the snapshot whose files should exist (not removed, job not deleted). */
    referenced: count,
    /**
     * Referenced images whose files were gone by the time they were copied: deleted after the
     * snapshot (their rows say so once the owner's deletion is replayed; restored, they are absent).
     */
    missing: z.array(z.string()),
  }),
})

export type BackupManifest = z.infer<typeof manifestSchema>

export function newManifest(fields: Omit<BackupManifest, 'format'>): BackupManifest {
  return { format: FORMAT, ...fields }
}

/** Reads and checks a backup's manifest; a message for the operator when it is absent or malformed. */
export function readManifest(
  dir: string,
): { ok: true; manifest: BackupManifest } | { ok: false; message: string } {
  const file = path.join(dir, MANIFEST_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return { ok: false, message: `${file} does not exist: ${dir} is not a complete Easel backup` }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, message: `${file} is not JSON` }
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return {
      ok: false,
      message: `${file} is not an Easel backup manifest (${issue.path.join('.')}: ${issue.message})`,
    }
  }
  return { ok: true, manifest: parsed.data }
}

/** The SHA-256 of a file, streamed (a database can be larger than memory would like). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Easel's own version, from its package.json. */
export function easelVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'))
  return z.object({ version: z.string() }).parse(pkg).version
}
