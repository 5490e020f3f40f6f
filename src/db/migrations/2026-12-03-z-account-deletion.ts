import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // When the person deleted their account (src/privacy/): the row stays, anonymised, because the
  // journal, jobs and audit log refer to it; its email is a placeholder and it can never sign in.
  await db.schema.alterTable('users').addColumn('deleted_at', 'bigint').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('deleted_at').execute()
}
