import { type Kysely, sql } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Mail waiting to be sent, written in the transaction of whatever caused it and sent in the
  // background: a mail survives a restart, and sending never holds up a request. A sender leases a
  // row (`locked_until`) before it talks to the SMTP server, so two processes never send it twice
  // at once; a failure sets the next attempt further out.
  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('last_error', 'text')
    .execute()
  await db.schema
    .createIndex('mail_outbox_due')
    .on('mail_outbox')
    .columns(['sent_at', 'failed_at', 'next_attempt_at'])
    .execute()

  // Single-use tokens mailed to a person (password reset, email verification, email change),
  // stored as the SHA-256 of the token: the database never holds one that works.
  await db.schema
    .createTable('account_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('account_tokens_user')
    .on('account_tokens')
    .columns(['user_id', 'purpose'])
    .execute()

  // When the address was shown to be the person's. Everyone who exists now was created before
  // verification existed (by the owner's set-up, the CLI or open sign-up): they count as verified.
  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute()
  await sql`update users set email_verified_at = created_at`.execute(db)

  // What a person sees in their list of active sessions.
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute()
  await db.schema.alterTable('sessions').addColumn('address', 'text').execute()
  await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute()
  await db.schema.alterTable('sessions').dropColumn('address').execute()
  await db.schema.alterTable('sessions').dropColumn('user_agent').execute()
  await db.schema.alterTable('users').dropColumn('email_verified_at').execute()
  await db.schema.dropTable('account_tokens').ifExists().execute()
  await db.schema.dropTable('mail_outbox').ifExists().execute()
}
