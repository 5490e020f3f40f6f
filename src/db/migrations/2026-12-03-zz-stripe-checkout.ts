import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A purchase through a hosted checkout (Stripe Checkout) is an intent first: what was asked for
  // and priced (pack, quantity, amount in minor units and currency), then the provider's session
  // once it exists. The provider's events find the intent by its session, and the pack is granted
  // against what was recorded here, never against what an event says.
  for (const [column, type] of [
    ['provider', 'text'],
    ['pack_id', 'text'],
    ['quantity', 'integer'],
    ['amount_minor', 'bigint'],
    ['currency', 'text'],
    ['session_id', 'text'],
    ['checkout_url', 'text'],
  ] as const) {
    await db.schema.alterTable('purchase_intents').addColumn(column, type).execute()
  }
  await db.schema
    .createIndex('purchase_intents_session')
    .on('purchase_intents')
    .columns(['provider', 'session_id'])
    .unique()
    .execute()

  // Every event a payment provider told Easel about and that Easel acted on, by the provider's own
  // id, written in the transaction of its effect: a repeated delivery finds its row and does
  // nothing. Provider-neutral: a Stripe event today, refunds, disputes and invoices later.
  await db.schema
    .createTable('payment_events')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // What the event is about (a Checkout Session, a charge, an invoice), and whose it is.
    .addColumn('object_id', 'text')
    .addColumn('account_id', 'text')
    // What Easel did with it: granted, pending, failed, amount_mismatch, not_ours, …
    .addColumn('outcome', 'text', (c) => c.notNull())
    // When the provider created the event, and when Easel recorded it (ms since the epoch).
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_events_pk', ['provider', 'event_id'])
    .execute()
  await db.schema.createIndex('payment_events_object').on('payment_events').column('object_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payment_events').ifExists().execute()
  await db.schema.dropIndex('purchase_intents_session').ifExists().execute()
  for (const column of [
    'checkout_url',
    'session_id',
    'currency',
    'amount_minor',
    'quantity',
    'pack_id',
    'provider',
  ]) {
    await db.schema.alterTable('purchase_intents').dropColumn(column).execute()
  }
}
