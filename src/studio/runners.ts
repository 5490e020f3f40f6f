import os from 'node:os'
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../util/clock.ts'
import { newId } from '../util/ids.ts'

/** How often a running Easel process says it is alive, and how long silence means it is gone. */
export const HEARTBEAT_MS = 10_000
export const STALE_AFTER_MS = 60_000

/**
 * Each Easel process registers itself and beats a heartbeat, so that the jobs a crashed process left
 * running can be failed (and their holds released) by its restart or by any peer — without failing
 * the jobs of a peer that is alive. A runner is gone when it stopped, when its heartbeat is stale,
 * or when it ran on this host under a process id that no longer exists (a restart sees its own
 * crash at once, without waiting for the heartbeat to go stale).
 */
export class RunnerRegistry {
  readonly id = newId('run')
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  async register(): Promise<void> {
    const now = this.clock.now()
    await this.db
      .insertInto('runners')
      .values({
        id: this.id,
        hostname: os.hostname(),
        pid: process.pid,
        started_at: now,
        heartbeat_at: now,
        stopped_at: null,
      })
      .execute()
    this.timer = setInterval(() => {
      this.db
        .updateTable('runners')
        .set({ heartbeat_at: this.clock.now() })
        .where('id', '=', this.id)
        .execute()
        .catch(() => {})
    }, HEARTBEAT_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.db
      .updateTable('runners')
      .set({ stopped_at: this.clock.now() })
      .where('id', '=', this.id)
      .execute()
  }

  /** Ids of runners that are gone, among those named. */
  async gone(runnerIds: readonly string[]): Promise<Set<string>> {
    const ids = runnerIds.filter((id) => id !== this.id)
    if (ids.length === 0) return new Set()
    const rows = await this.db.selectFrom('runners').selectAll().where('id', 'in', ids).execute()
    const now = this.clock.now()
    const host = os.hostname()
    const gone = new Set(ids.filter((id) => !rows.some((r) => r.id === id)))
    for (const r of rows) {
      const dead =
        r.stopped_at !== null ||
        now - r.heartbeat_at > STALE_AFTER_MS ||
        (r.hostname === host && r.pid !== process.pid && !processExists(r.pid))
      if (dead) gone.add(r.id)
    }
    return gone
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
