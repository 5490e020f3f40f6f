import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per account that chose a threshold: its auto top-up (a pack bought on a saved card
  // when available credits fall below the threshold after a charge) and its low-balance notice.
  await db.schema
    .createTable('auto_top_ups')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    // 1: the person wants auto top-up; it runs only with a saved card (and turns itself off,
    // back to 0, after consecutive declines, with the reason).
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pack_id', 'text')
    // In credits: a charge that leaves fewer available starts a top-up and the notice.
    .addColumn('threshold', 'integer')
    // 1: mail (and show) a notice once each time a charge takes available below the threshold.
    .addColumn('low_balance_notice', 'integer', (c) => c.notNull().defaultTo(0))
    // The card kept at the provider for payments without the buyer, and what the buyer calls it.
    .addColumn('customer_id', 'text')
    .addColumn('payment_method_id', 'text')
    .addColumn('card_label', 'text')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    // The one top-up in flight: its purchase intent's reference, and since when.
    .addColumn('in_flight', 'text')
    .addColumn('in_flight_since', 'bigint')
    // When a top-up's credits last landed: a balance read before it is stale.
    .addColumn('settled_at', 'bigint')
    // 1 from the charge that took available below the threshold until it is back at or above.
    .addColumn('below_threshold', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  // Today's auto top-ups of an account are counted on every claim.
  await db.schema
    .createIndex('purchase_intents_account_kind')
    .on('purchase_intents')
    .columns(['account_id', 'kind', 'created_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('purchase_intents_account_kind').ifExists().execute()
  await db.schema.dropTable('auto_top_ups').ifExists().execute()
}
