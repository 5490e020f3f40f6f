import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { Clock } from '../util/clock.ts'
import {
  BACKUP_DB_FILE,
  BACKUP_IMAGES_DIR,
  type BackupManifest,
  easelVersion,
  MANIFEST_FILE,
  newManifest,
  sha256File,
} from './backup-manifest.ts'
import { referencedImages, sqliteMigrations, sqliteTableCounts } from './sqlite-inspect.ts'

/** How long the backup's reader waits for a writer's checkpoint to let go of the database. */
const BUSY_TIMEOUT_MS = 10_000

export interface SqliteBackupInput {
  /** The live database (WAL), which a server may be writing while the backup runs. */
  readonly databasePath: string
  /** The data directory whose `images/` the local disk store writes. */
  readonly dataDir: string
  /** The images are in an S3 bucket (EASEL_S3_BUCKET), not under the data directory: not copied. */
  readonly imagesOnS3: boolean
  /** An empty (or absent) directory for the backup. */
  readonly toDir: string
  readonly clock: Clock
}

/**
 * Backs up a live SQLite installation: the database through SQLite's online backup API, then the
 * image files, then the manifest (written last and atomically, so a directory with a manifest is a
 * complete backup).
 *
 * The database is copied in one step, that is inside one read transaction: under WAL a reader
 * neither blocks the server's writer nor is blocked by it, and one step sees one consistent
 * snapshot (a backup copied in several steps restarts whenever another connection writes between
 * them, which under load may be forever). Images are copied after the snapshot, so every image
 * the snapshot references was already written; one its owner deleted meanwhile is counted as
 * missing, and one written after the snapshot is copied but referenced by nothing.
 */
export async function backupSqlite(input: SqliteBackupInput): Promise<BackupManifest> {
  const { databasePath, dataDir, toDir, clock, imagesOnS3 } = input
  fs.mkdirSync(toDir, { recursive: true })
  const dbFile = path.join(toDir, BACKUP_DB_FILE)
  const source = new BetterSqlite3(databasePath, { fileMustExist: true })
  const takenAt = new Date(clock.now()).toISOString()
  try {
    source.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    await source.backup(dbFile, { progress: () => 0x7fffffff })
  } finally {
    source.close()
  }

  // The copy is a WAL database; made a single self-contained file (rollback journal) it can be
  // checksummed, moved and opened read-only as it is. `easel start` turns WAL back on.
  const snapshot = new BetterSqlite3(dbFile)
  let tables: Record<string, number>
  let migration: string
  let referenced: ReturnType<typeof referencedImages>
  try {
    snapshot.pragma('journal_mode = DELETE')
    const check = snapshot.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(`the backup's database failed SQLite's quick_check: ${String(check)}`)
    tables = sqliteTableCounts(snapshot)
    const migrations = sqliteMigrations(snapshot)
    migration = migrations.at(-1) ?? ''
    referenced = referencedImages(snapshot)
  } finally {
    snapshot.close()
  }
  await fsyncFile(dbFile)

  const copied = imagesOnS3
    ? { files: 0, bytes: 0 }
    : await copyImageTree(path.join(dataDir, 'images'), path.join(toDir, BACKUP_IMAGES_DIR))
  const missing = referenced
    .filter(() => !imagesOnS3)
    .filter((i) => !fs.existsSync(path.join(toDir, BACKUP_IMAGES_DIR, i.accountId, `${i.id}.png`)))
    .map((i) => i.id)

  const manifest = newManifest({
    easelVersion: easelVersion(),
    takenAt,
    database: {
      file: BACKUP_DB_FILE,
      bytes: fs.statSync(dbFile).size,
      sha256: await sha256File(dbFile),
      migration,
    },
    tables,
    images: {
      store: imagesOnS3 ? 's3' : 'local-disk',
      files: copied.files,
      bytes: copied.bytes,
      referenced: referenced.length,
      missing,
    },
  })
  const temp = path.join(toDir, `${MANIFEST_FILE}.tmp`)
  fs.writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`)
  await fsyncFile(temp)
  fs.renameSync(temp, path.join(toDir, MANIFEST_FILE))
  await fsyncFile(toDir)
  return manifest
}

/**
 * Copies every image file under `from` to `to`, keeping the layout. A file that disappears while
 * the tree is walked (its image deleted) is skipped; the store's own temporary files are not copied.
 */
export async function copyImageTree(from: string, to: string): Promise<{ files: number; bytes: number }> {
  let files = 0
  let bytes = 0
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: fs.Dirent[]
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const relPath = path.join(rel, entry.name)
      if (entry.isDirectory()) {
        await walk(path.join(dir, entry.name), relPath)
      } else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
        const target = path.join(to, relPath)
        await fs.promises.mkdir(path.dirname(target), { recursive: true })
        try {
          await fs.promises.copyFile(path.join(dir, entry.name), target)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw error
        }
        await fsyncFile(target)
        files++
        bytes += (await fs.promises.stat(target)).size
      }
    }
  }
  await walk(from, '')
  return { files, bytes }
}

/** Flushes a file (or a folder's entries) to disk; folders cannot be opened for it on Windows. */
async function fsyncFile(file: string): Promise<void> {
  if (process.platform === 'win32' && fs.statSync(file).isDirectory()) return
  const handle = await fs.promises.open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export { fsyncFile }
