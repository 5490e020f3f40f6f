import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { migrations } from '../db/migrations/index.ts'
import {
  BACKUP_DB_FILE,
  BACKUP_IMAGES_DIR,
  type BackupManifest,
  readManifest,
  sha256File,
} from './backup-manifest.ts'
import { copyImageTree, fsyncFile } from './sqlite-backup.ts'
import { referencedImages, sqliteTableCounts } from './sqlite-inspect.ts'

export interface SqliteRestoreInput {
  readonly fromDir: string
  /** Where the restored database goes (`<data dir>/easel.db` unless DATABASE_URL=sqlite:… says). */
  readonly databasePath: string
  /** The data directory the restored images go under; empty or absent. */
  readonly dataDir: string
}

export type RestoreOutcome =
  | { ok: true; manifest: BackupManifest; images: { files: number; bytes: number } }
  | { ok: false; message: string }

/**
 * Restores a backup made by `easel backup` into an empty data directory: checks the manifest (its
 * format, a schema this Easel knows, the database's SHA-256 and row counts, every referenced
 * image's SHA-256 against its row) before writing anything, then copies the images and, last, the
 * database (renamed into place, so a restore that fails part-way leaves no database behind).
 *
 * Only into an empty directory: restoring over an installation would mix two histories (images of
 * one, ledger of the other) and destroy the newer one; the operator moves it aside first.
 */
export async function restoreSqlite(input: SqliteRestoreInput): Promise<RestoreOutcome> {
  const { fromDir, databasePath, dataDir } = input
  if (!fs.existsSync(fromDir)) return { ok: false, message: `${fromDir} does not exist` }
  const read = readManifest(fromDir)
  if (!read.ok) return read
  const { manifest } = read
  if (!(manifest.database.migration in migrations)) {
    return {
      ok: false,
      message: `the backup's schema (migration ${manifest.database.migration}) is newer than this Easel (${Object.keys(migrations).at(-1)}) knows: restore it with the Easel version that made it (${manifest.easelVersion}) or later`,
    }
  }
  const dbFile = path.join(fromDir, BACKUP_DB_FILE)
  if (!fs.existsSync(dbFile)) return { ok: false, message: `${dbFile} is missing from the backup` }
  const sha = await sha256File(dbFile)
  if (sha !== manifest.database.sha256) {
    return {
      ok: false,
      message: `${dbFile} does not match the manifest's SHA-256 (damaged or altered backup)`,
    }
  }

  const occupied = occupiedTarget(dataDir, databasePath)
  if (occupied) {
    return {
      ok: false,
      message: `${occupied} is not empty: easel restore only restores into an empty data directory. Move the current one aside (or point EASEL_DATA_DIR at a new directory) and run it again.`,
    }
  }

  const problem = checkBackupContents(fromDir, dbFile, manifest)
  if (problem) return { ok: false, message: problem }

  fs.mkdirSync(dataDir, { recursive: true })
  fs.mkdirSync(path.dirname(databasePath), { recursive: true })
  const images = await copyImageTree(path.join(fromDir, BACKUP_IMAGES_DIR), path.join(dataDir, 'images'))
  const temp = `${databasePath}.restoring`
  fs.copyFileSync(dbFile, temp)
  await fsyncFile(temp)
  fs.renameSync(temp, databasePath)
  await fsyncFile(path.dirname(databasePath))
  return { ok: true, manifest, images }
}

/** The first thing that makes the target occupied (a non-empty data directory, an existing database), or null. */
function occupiedTarget(dataDir: string, databasePath: string): string | null {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) return dataDir
  for (const f of [databasePath, `${databasePath}-wal`]) if (fs.existsSync(f)) return f
  return null
}

/** Row counts equal the manifest's and every image file there is matches its row; a message if not. */
function checkBackupContents(fromDir: string, dbFile: string, manifest: BackupManifest): string | null {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true })
  try {
    const counts = sqliteTableCounts(db)
    for (const [table, n] of Object.entries(manifest.tables)) {
      if (counts[table] !== n)
        return `the backup's ${table} has ${counts[table] ?? 0} rows, its manifest says ${n}`
    }
    // Images kept in a bucket were not in the backup: the bucket's own backup has them.
    if (manifest.images.store === 's3') return null
    const missing = new Set(manifest.images.missing)
    for (const image of referencedImages(db)) {
      const file = path.join(fromDir, BACKUP_IMAGES_DIR, image.accountId, `${image.id}.png`)
      if (!fs.existsSync(file)) {
        if (missing.has(image.id)) continue
        return `image ${image.id} is missing from the backup (${file})`
      }
      const got = createHash('sha256').update(fs.readFileSync(file)).digest('hex')
      if (got !== image.sha256) return `image ${image.id} in the backup does not match its recorded SHA-256`
    }
    return null
  } finally {
    db.close()
  }
}
