import type { Kysely } from 'kysely'

// Frozen: this file must keep creating exactly this schema. Change the schema in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A purchase asked for with an Idempotency-Key, written before the card is charged: a retry of
  // the same request finds it (and is not charged again), a different request with the key is
  // refused, and a retry while the first is still being charged waits instead of charging twice.
  await db.schema
    .createTable('purchase_intents')
    .addColumn('reference', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON: the decline, for a declined intent (replayed as it was).
    .addColumn('outcome', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('purchase_intents').ifExists().execute()
}
