import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Credits of a purchase lot that a refund or a dispute took back while they were on hold for a
  // running job: they leave the account when they come back to the lot (a release, an expired
  // hold, a job's refund), instead of becoming spendable again.
  await db.schema
    .alterTable('lots')
    .addColumn('revoke_owed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lots').dropColumn('revoke_owed').execute()
}
