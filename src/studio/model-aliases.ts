import { type AuditActor, recordAudit } from '../accounts/audit.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'

/** A model alias an administrator set (table `model_aliases`). */
export interface StoredAlias {
  readonly alias: string
  readonly target: string
  readonly updatedAt: number
  /** The administrator's user id. */
  readonly updatedBy: string
}

/** Where the registry reads the aliases administrators set (tests give it a fake). */
export interface AliasSource {
  list(): Promise<StoredAlias[]>
}

/**
 * The aliases administrators set, shared by every process through the database. Each change is
 * audited in its own transaction (`model-alias.set`, `model-alias.delete`); the registries of
 * other processes see it when their short cache runs out (`EngineRegistry.fresh`).
 */
export class ModelAliasStore implements AliasSource {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<StoredAlias[]> {
    const rows = await this.db.kysely.selectFrom('model_aliases').selectAll().orderBy('alias').execute()
    return rows.map((r) => ({
      alias: r.alias,
      target: r.target,
      updatedAt: Number(r.updated_at),
      updatedBy: r.updated_by,
    }))
  }

  /** Sets `alias` to `target` (checked by the caller), recording who did it and what it was before. */
  async set(alias: string, target: string, actor: AuditActor): Promise<StoredAlias> {
    const userId = actor.userId ?? actor.label
    return this.db.write(
      {
        name: 'model-alias-set',
        locks: {},
        run: async (tx, now) => {
          const before = await tx.all<{ target: string }>(
            'select target from model_aliases where alias = ?',
            [alias],
          )
          await tx.run(
            'insert into model_aliases (alias, target, updated_at, updated_by) values (?, ?, ?, ?) ' +
              'on conflict (alias) do update set target = excluded.target, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
            [alias, target, now, userId],
          )
          recordAudit(
            tx,
            {
              actor,
              action: 'model-alias.set',
              subject: alias,
              details: { target, before: before[0]?.target ?? null },
            },
            now,
          )
          return { alias, target, updatedAt: now, updatedBy: userId }
        },
      },
      this.clock,
    )
  }

  /** Removes `alias`; false when there was none (nothing is recorded then). */
  async delete(alias: string, actor: AuditActor): Promise<boolean> {
    return this.db.write(
      {
        name: 'model-alias-delete',
        locks: {},
        run: async (tx, now) => {
          const before = await tx.all<{ target: string }>(
            'select target from model_aliases where alias = ?',
            [alias],
          )
          if (before.length === 0) return false
          await tx.run('delete from model_aliases where alias = ?', [alias])
          recordAudit(
            tx,
            { actor, action: 'model-alias.delete', subject: alias, details: { before: before[0]!.target } },
            now,
          )
          return true
        },
      },
      this.clock,
    )
  }
}
