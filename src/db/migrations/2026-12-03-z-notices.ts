import { type Kysely, sql } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Which notices a person wants. No row means the defaults: expiry warnings on, "your free credits
  // are here" off. Flags are 0/1 integers on both backends (SQLite has no boolean).
  await db.schema
    .createTable('notice_preferences')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('expiry_warnings', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('free_credits', 'integer', (c) => c.notNull().defaultTo(0))
    // When the next "your free credits are here" falls due (the start of the person's next
    // period); null while that mail is off. Kept here so that an hourly run finds who is due with
    // one indexed range, instead of working out every opted-in person's period.
    .addColumn('free_credits_due_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('notice_preferences_free_due')
    .on('notice_preferences')
    .column('free_credits_due_at')
    .where(sql.ref('free_credits_due_at'), 'is not', null)
    .execute()

  // Every notice mailed, by a key that names what it was about (`expiry:<lot id>`,
  // `free:<user id>:<period start>`), written in the transaction that queues its mail: the
  // primary key decides, so a notice goes once however many processes look for due ones at once.
  await db.schema
    .createTable('notices_sent')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('notices_sent_user').on('notices_sent').columns(['user_id', 'at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notices_sent').ifExists().execute()
  await db.schema.dropTable('notice_preferences').ifExists().execute()
}
