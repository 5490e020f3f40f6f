import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // An account's subscription to a paid plan at a provider, as the provider last said it was. Made
  // when its checkout completes (or when its first event overtakes that), kept up to date by its
  // events. The credits come from its paid invoices, recorded in `payment_events` and the ledger.
  await db.schema
    .createTable('subscriptions')
    .addColumn('provider', 'text', (c) => c.notNull())
    // The provider's id for it (Stripe's `sub_…`).
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    // The subscription intent (`purchase_intents.reference`) it was started from.
    .addColumn('intent_reference', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    // The provider's word: active, past_due, canceled, unpaid, incomplete, …
    .addColumn('status', 'text', (c) => c.notNull())
    // 1: it runs out at the end of the current period instead of renewing.
    .addColumn('cancel_at_period_end', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('current_period_end', 'bigint')
    // The price it was subscribed at (each invoice is checked against it), in minor units.
    .addColumn('price_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscriptions_pk', ['provider', 'subscription_id'])
    .execute()
  await db.schema
    .createIndex('subscriptions_account')
    .on('subscriptions')
    .columns(['account_id', 'created_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subscriptions').ifExists().execute()
}
