import { type Kysely, PostgresAdapter, sql } from 'kysely'

// Frozen: this file must keep creating exactly this schema. Change the schema in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('available', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`available >= 0`))
    .addColumn('held', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`held >= 0`))
    .execute()

  await db.schema
    .createTable('lots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('remaining', 'bigint', (c) => c.notNull().check(sql`remaining >= 0`))
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('cost_basis_minor', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('currency', 'text')
    .addColumn('reference', 'text')
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addCheckConstraint('lots_remaining_le_amount', sql`remaining <= amount`)
    .execute()
  // Spendable lots of one account: the hold path reads exactly these.
  await db.schema
    .createIndex('lots_spendable')
    .on('lots')
    .column('account_id')
    .where(sql.ref('remaining'), '>', 0)
    .execute()
  // Lots still holding credits, by expiry: the expiry sweep walks this.
  await db.schema
    .createIndex('lots_expiring')
    .on('lots')
    .column('expires_at')
    .where(sql<boolean>`remaining > 0 and expires_at is not null`)
    .execute()
  await db.schema.createIndex('lots_account').on('lots').columns(['account_id', 'granted_at']).execute()

  await db.schema
    .createTable('holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'captured', 'released', 'expired')`),
    )
    .addColumn('captured', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('refunded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('settled_at', 'bigint')
    .addColumn('reference', 'text')
    .addColumn('allocations', 'text', (c) => c.notNull())
    .addCheckConstraint('holds_captured_le_amount', sql`captured >= 0 and captured <= amount`)
    .addCheckConstraint('holds_refunded_le_captured', sql`refunded >= 0 and refunded <= captured`)
    .execute()
  await db.schema
    .createIndex('holds_pending')
    .on('holds')
    .columns(['account_id', 'expires_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute()
  await db.schema
    .createIndex('holds_pending_expiry')
    .on('holds')
    .column('expires_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute()

  await db.schema
    .createTable('journal_transactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('hold_id', 'text')
    .addColumn('lot_id', 'text')
    .addColumn('memo', 'text')
    .execute()
  await db.schema
    .createIndex('journal_transactions_account')
    .on('journal_transactions')
    .columns(['account_id', 'id'])
    .execute()

  await db.schema
    .createTable('journal_postings')
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) =>
      c.notNull().check(sql`bucket in ('issued', 'available', 'held', 'consumed', 'expired', 'revoked')`),
    )
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('journal_postings_pk', ['transaction_id', 'seq'])
    .execute()

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()

  // The journal is append-only: the database itself refuses updates and deletes.
  for (const table of ['journal_transactions', 'journal_postings']) {
    if (isPostgres) {
      await sql
        .raw(
          `create or replace function easel_journal_append_only() returns trigger language plpgsql as $$
           begin raise exception 'the journal is append-only (% on %)', tg_op, tg_table_name; end $$`,
        )
        .execute(db)
      await sql
        .raw(
          `create trigger ${table}_append_only before update or delete on ${table}
           for each row execute function easel_journal_append_only()`,
        )
        .execute(db)
    } else {
      for (const op of ['update', 'delete']) {
        await sql
          .raw(
            `create trigger ${table}_no_${op} before ${op} on ${table}
             begin select raise(abort, 'the journal is append-only'); end`,
          )
          .execute(db)
      }
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'idempotency_keys',
    'journal_postings',
    'journal_transactions',
    'holds',
    'lots',
    'accounts',
  ]) {
    await db.schema.dropTable(t).ifExists().execute()
  }
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop function if exists easel_journal_append_only()`.execute(db)
  }
}
