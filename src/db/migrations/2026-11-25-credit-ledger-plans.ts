import { type Kysely, sql } from 'kysely'

// Frozen: this file must keep creating exactly this schema. Change the schema in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // The plan decides the monthly allowance; accounts made before plans existed are on `free`.
  await db.schema
    .alterTable('accounts')
    .addColumn('plan', 'text', (c) => c.notNull().defaultTo('free'))
    .execute()
  // The grants already checked for this account (their keys, joined): lets the common case, an
  // account active again in the same period, skip looking for them.
  await db.schema.alterTable('accounts').addColumn('allowances_checked', 'text').execute()
  await db.schema
    .createTable('account_cohorts')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_cohorts_pk', ['account_id', 'cohort'])
    .execute()
  // When a purchase is refunded its lot is revoked: what is left of it leaves the account, and
  // credits that come back to it later (a job refunded afterwards) are revoked at once.
  await db.schema.alterTable('lots').addColumn('revoked_at', 'bigint').execute()
  // Price book versions an operator activated; the newest whose date has come is in force.
  await db.schema
    .createTable('price_books')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('effective_from', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'bigint', (c) => c.notNull())
    .execute()
  // Every charge records the price book version and rule that priced it.
  await db.schema.alterTable('holds').addColumn('book_version', 'text').execute()
  await db.schema.alterTable('holds').addColumn('price_rule', 'text').execute()
  // The operation and parameters that were priced (JSON), so another book can re-price history.
  await db.schema.alterTable('holds').addColumn('priced_request', 'text').execute()
  // A purchase is found by its payment provider's reference when it is refunded.
  await db.schema
    .createIndex('lots_purchase_reference')
    .on('lots')
    .column('reference')
    .where(sql.ref('source'), '=', 'purchase')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('price_books').ifExists().execute()
  await db.schema.dropIndex('lots_purchase_reference').ifExists().execute()
  await db.schema.alterTable('holds').dropColumn('priced_request').execute()
  await db.schema.alterTable('holds').dropColumn('price_rule').execute()
  await db.schema.alterTable('holds').dropColumn('book_version').execute()
  await db.schema.alterTable('lots').dropColumn('revoked_at').execute()
  await db.schema.dropTable('account_cohorts').ifExists().execute()
  await db.schema.alterTable('accounts').dropColumn('allowances_checked').execute()
  await db.schema.alterTable('accounts').dropColumn('plan').execute()
}
