import type { Kysely } from 'kysely'

// Frozen: this file must keep creating exactly this schema. Change the schema in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per sign-in attempt that was checked and has not (yet) succeeded, by the SHA-256 of the
  // email tried (known or not) and the client's address; a success deletes its address's rows.
  // Only rows of the last day count, and older ones are pruned, so the table stays small.
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('sign_in_failures_email')
    .on('sign_in_failures')
    .columns(['email_hash', 'address', 'at'])
    .execute()
  await db.schema.createIndex('sign_in_failures_at').on('sign_in_failures').column('at').execute()

  // Addresses an email has signed in from recently: failures elsewhere do not slow them down.
  await db.schema
    .createTable('sign_in_addresses')
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('signed_in_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_in_addresses_pk', ['email_hash', 'address'])
    .execute()
  await db.schema.createIndex('sign_in_addresses_at').on('sign_in_addresses').column('signed_in_at').execute()

  // Self-service sign-ups by client address, for the per-address limit (pruned after its window).
  await db.schema
    .createTable('sign_ups')
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sign_ups_address').on('sign_ups').columns(['address', 'at']).execute()
  await db.schema.createIndex('sign_ups_at').on('sign_ups').column('at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['sign_ups', 'sign_in_addresses', 'sign_in_failures']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
