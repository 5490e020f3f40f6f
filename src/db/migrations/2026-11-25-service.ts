import { type Kysely, sql } from 'kysely'

// Frozen: this file must keep creating exactly this schema. Change the schema in a new migration.

export async function up(db: Kysely<any>): Promise<void> {
  // People who sign in. Each has one personal credit account (DESIGN §2).
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'admin')`))
    .addColumn('account_id', 'text', (c) => c.notNull().unique().references('accounts.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .execute()

  // Browser sessions. The id is the SHA-256 of the cookie's token, so a read of this table does
  // not hand out working cookies; the CSRF token is checked on cookie-authenticated writes.
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()

  // API keys: shown once, stored as the SHA-256 of the secret (keys are long random strings, so a
  // fast hash is the right tool here, unlike passwords), listed by their prefix.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute()
  await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute()

  // Invite codes for sign-up when an installation requires one; a code may place its users in a
  // cohort (beta). Stored as the SHA-256 of the code, like keys.
  await db.schema
    .createTable('invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('cohort', 'text')
    .addColumn('max_uses', 'integer', (c) => c.notNull())
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0).check(sql`uses >= 0`))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addCheckConstraint('invites_uses_le_max', sql`uses <= max_uses`)
    .execute()

  // One image operation, metered: quote → hold → engine → images → capture or release.
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('api_key_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('generate', 'edit', 'variation')`))
    .addColumn('engine', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('prompt', 'text')
    // JSON: n, size, seed, response format and the like.
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('hold_id', 'text')
    .addColumn('credits_quoted', 'bigint', (c) => c.notNull())
    .addColumn('credits_charged', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('book_version', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    // The Easel process running it: a job whose runner died is failed and its hold released.
    .addColumn('runner_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('jobs_account_created')
    .on('jobs')
    .columns(['account_id', 'created_at'])
    .execute()
  await db.schema
    .createIndex('jobs_idempotency')
    .on('jobs')
    .columns(['account_id', 'idempotency_key'])
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('jobs_unfinished')
    .on('jobs')
    .column('runner_id')
    .where(sql<boolean>`status in ('queued', 'running')`)
    .execute()

  // Images: bytes live under the data directory (path made from the ids only), metadata here.
  await db.schema
    .createTable('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('procedural', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('favourited_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('images_job').on('images').columns(['job_id', 'position']).execute()
  await db.schema
    .createIndex('images_account_favourites')
    .on('images')
    .columns(['account_id', 'favourited_at'])
    .where(sql.ref('favourited_at'), 'is not', null)
    .execute()

  // Easel processes sharing the database, with a heartbeat: how a restart (or a peer) knows whose
  // jobs were left running by a crash.
  await db.schema
    .createTable('runners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint')
    .execute()

  // Installation-wide values made once (the secret that signs image URLs).
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['settings', 'runners', 'images', 'jobs', 'invites', 'api_keys', 'sessions', 'users']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
