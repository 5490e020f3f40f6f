import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // An image taken down (by an admin, or withheld by moderation) keeps its row so that its owner
  // sees that it was removed and why; its file is deleted.
  await db.schema.alterTable('images').addColumn('removed_at', 'bigint').execute()
  await db.schema.alterTable('images').addColumn('removed_reason', 'text').execute()
  // The admin's user id, or 'moderation' for the automatic check.
  await db.schema.alterTable('images').addColumn('removed_by', 'text').execute()
  // A job its owner deleted: gone from history and its files removed, its row kept for the ledger's
  // record (the hold and charge name it).
  await db.schema.alterTable('jobs').addColumn('deleted_at', 'bigint').execute()
  // Reports of images by users, for an admin to look at.
  await db.schema
    .createTable('image_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('image_id', 'text', (c) => c.notNull())
    .addColumn('reporter_account_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // When an admin dealt with it, how ('removed' or 'dismissed'), and who.
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolution', 'text')
    .addColumn('resolved_by', 'text')
    .execute()
  await db.schema
    .createIndex('image_reports_one_per_reporter')
    .on('image_reports')
    .columns(['image_id', 'reporter_account_id'])
    .unique()
    .execute()
  await db.schema
    .createIndex('image_reports_open')
    .on('image_reports')
    .columns(['resolved_at', 'created_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('image_reports').ifExists().execute()
  await db.schema.alterTable('jobs').dropColumn('deleted_at').execute()
  await db.schema.alterTable('images').dropColumn('removed_by').execute()
  await db.schema.alterTable('images').dropColumn('removed_reason').execute()
  await db.schema.alterTable('images').dropColumn('removed_at').execute()
}
