import type { Kysely } from 'kysely'

// Frozen once landed: this file must keep creating exactly this schema. Change it in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Model aliases an administrator set (those of EASEL_MODEL_ALIASES live in the environment):
  // `alias` is a name requests may give as `model`; `target` is `engine:model`, an engine or a
  // model, resolved against the engines each process runs.
  await db.schema
    .createTable('model_aliases')
    .addColumn('alias', 'text', (c) => c.primaryKey())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // The administrator's user id.
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('model_aliases').ifExists().execute()
}
