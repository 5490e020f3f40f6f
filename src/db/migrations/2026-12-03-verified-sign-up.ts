import { type Kysely, sql } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // From when an account is owed the price book's free grants (its monthly allowance, its cohorts'
  // bonuses); null while they are held (an account whose owner has not verified their email yet).
  // Every account that exists now has been owed them since it was created.
  await db.schema.alterTable('accounts').addColumn('free_grants_from', 'bigint').execute()
  await sql`update accounts set free_grants_from = created_at`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('free_grants_from').execute()
}
