import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A purchase intent is a pack bought in a checkout (`pack`), a pack bought without the buyer
  // on a saved card (`auto_top_up`), or a plan subscribed to (`subscription`, with its plan).
  await db.schema
    .alterTable('purchase_intents')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('pack'))
    .execute()
  await db.schema.alterTable('purchase_intents').addColumn('plan_id', 'text').execute()
  // The provider's payment made for it without a checkout (an auto top-up's PaymentIntent).
  await db.schema.alterTable('purchase_intents').addColumn('payment_id', 'text').execute()
  // 1: the buyer asked to keep the card for auto top-ups.
  await db.schema
    .alterTable('purchase_intents')
    .addColumn('save_card', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .createIndex('purchase_intents_payment')
    .on('purchase_intents')
    .columns(['provider', 'payment_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('purchase_intents_payment').ifExists().execute()
  for (const column of ['save_card', 'payment_id', 'plan_id', 'kind']) {
    await db.schema.alterTable('purchase_intents').dropColumn(column).execute()
  }
}
