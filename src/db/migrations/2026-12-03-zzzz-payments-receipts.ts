import { type Kysely, sql } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A paid purchase's payment as the provider has it: what was paid (and the tax in it), what has
  // been refunded so far (providers say it cumulatively), an open or closed dispute, and the
  // credits each took back. Written in the grant's transaction, then by each refund and dispute
  // event in the transaction of its revocation.
  await db.schema
    .createTable('purchase_payments')
    // The purchase's provider reference: the lot's `purchase:<reference>`.
    .addColumn('reference', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    // The provider's payment (Stripe's PaymentIntent) and its charge, when it has them.
    .addColumn('payment_id', 'text')
    .addColumn('charge_id', 'text')
    .addColumn('credits', 'integer', (c) => c.notNull())
    .addColumn('amount_paid_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_refunded_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    // Credits the refunds took back in total, and those already spent that could not be.
    .addColumn('credits_refunded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('credits_unrecovered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dispute_id', 'text')
    // open | won | lost
    .addColumn('dispute_status', 'text')
    .addColumn('dispute_amount_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    // Credits the dispute took back (given back if it is won).
    .addColumn('credits_disputed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('receipt_url', 'text')
    .addColumn('paid_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('purchase_payments_payment')
    .on('purchase_payments')
    .columns(['provider', 'payment_id'])
    .unique()
    .execute()
  await db.schema
    .createIndex('purchase_payments_account')
    .on('purchase_payments')
    .columns(['account_id', 'paid_at'])
    .execute()

  // Money as it moved, one row per movement, for the operator's report of a period: a payment,
  // each refund (the difference between the provider's cumulative refunded amounts), a dispute's
  // withdrawal and, if it is won, its reversal. Keyed by the event that moved it.
  await db.schema
    .createTable('payment_movements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    // payment | refund | dispute | dispute_won
    .addColumn('kind', 'text', (c) => c.notNull())
    // Always positive: the kind says which way it went.
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('payment_movements_at').on('payment_movements').columns(['at']).execute()
  await db.schema
    .createIndex('payment_movements_reference')
    .on('payment_movements')
    .columns(['reference'])
    .execute()

  // Receipts as issued: a document does not change when the seller's details or the price book
  // do. Numbered without gaps per installation: the number comes from the one counter row, taken
  // (and locked) in the transaction that grants the purchase, so a rolled-back grant leaves no hole.
  await db.schema
    .createTable('receipts')
    .addColumn('number', 'bigint', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('pack_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('credits', 'integer', (c) => c.notNull())
    .addColumn('unit_price_minor', 'bigint', (c) => c.notNull())
    .addColumn('total_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('buyer_email', 'text')
    // JSON {name, address: [lines], taxId} as configured when the receipt was issued.
    .addColumn('seller', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_reference', 'text', (c) => c.notNull())
    .addColumn('receipt_url', 'text')
    .execute()
  await db.schema.createIndex('receipts_account').on('receipts').columns(['account_id', 'number']).execute()
  await db.schema
    .createTable('receipt_counter')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('last_number', 'bigint', (c) => c.notNull())
    .execute()
  await db.insertInto('receipt_counter').values({ id: 1, last_number: 0 }).execute()

  // Purchases granted before payments were recorded: their payment, and the money it moved (a
  // refund then was always of the whole payment, marked on the lot), so that the operator's
  // report of any period counts them. No receipt is made for them after the fact.
  await sql`
    insert into purchase_payments (reference, account_id, provider, credits, amount_paid_minor, currency,
      amount_refunded_minor, credits_refunded, paid_at, updated_at)
    select substr(l.reference, 10), l.account_id, coalesce(i.provider, 'test'), l.amount, l.cost_basis_minor,
      l.currency, case when l.revoked_at is null then 0 else l.cost_basis_minor end, 0, l.granted_at,
      coalesce(l.revoked_at, l.granted_at)
    from lots l left join purchase_intents i on i.reference = substr(l.reference, 10)
    where l.source = 'purchase' and l.reference like 'purchase:%' and l.currency is not null`.execute(db)
  await sql`
    insert into payment_movements (id, reference, account_id, kind, amount_minor, currency, at)
    select 'pmv_' || l.id, substr(l.reference, 10), l.account_id, 'payment', l.cost_basis_minor, l.currency,
      l.granted_at
    from lots l
    where l.source = 'purchase' and l.reference like 'purchase:%' and l.currency is not null
      and l.cost_basis_minor > 0`.execute(db)
  await sql`
    insert into payment_movements (id, reference, account_id, kind, amount_minor, currency, at)
    select 'pmv_r_' || l.id, substr(l.reference, 10), l.account_id, 'refund', l.cost_basis_minor, l.currency,
      l.revoked_at
    from lots l
    where l.source = 'purchase' and l.reference like 'purchase:%' and l.currency is not null
      and l.cost_basis_minor > 0 and l.revoked_at is not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('receipt_counter').ifExists().execute()
  await db.schema.dropTable('receipts').ifExists().execute()
  await db.schema.dropTable('payment_movements').ifExists().execute()
  await db.schema.dropTable('purchase_payments').ifExists().execute()
}
