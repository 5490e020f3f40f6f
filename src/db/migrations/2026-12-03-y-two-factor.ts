import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A user's second factor (TOTP, an authenticator app): one row per user who has started setting
  // it up. The secret is stored as it is, not hashed: checking a code needs it. `pending_secret` is
  // a set-up in progress (shown once as a QR code, replaced by a new set-up); `last_step` is the
  // 30-second step of the last code accepted, so a code is never accepted twice.
  await db.schema
    .createTable('two_factor')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('secret', 'text')
    .addColumn('enabled_at', 'bigint')
    .addColumn('pending_secret', 'text')
    .addColumn('pending_at', 'bigint')
    .addColumn('last_step', 'bigint')
    .execute()

  // The one-time recovery codes of a user with two-factor sign-in on, as salted SHA-256 hashes
  // (shown once, when made). A code is used up by setting `used_at`; a new set replaces them all.
  await db.schema
    .createTable('two_factor_recovery_codes')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('two_factor_recovery_codes_pk', ['user_id', 'code_hash'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('two_factor_recovery_codes').execute()
  await db.schema.dropTable('two_factor').execute()
}
