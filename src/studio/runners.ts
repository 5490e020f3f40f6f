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
  private beating: Promise<void> | undefined

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    /** Where a failed heartbeat is told (the app's log). */
    private readonly options: { log?: { error(obj: object, msg: string): void } } = {},
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
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS)
    this.timer.unref()
  }

  /**
   * Says this process is alive. Never throws: a missed beat (the database briefly unreachable) is
   * logged and the next one tries again; only a silence of {@link STALE_AFTER_MS} makes peers
   * settle this process's jobs.
   */
  beat(): Promise<void> {
    // One beat at a time: a slow database does not pile them up.
    this.beating ??= this.db
      .updateTable('runners')
      .set({ heartbeat_at: this.clock.now() })
      .where('id', '=', this.id)
      .execute()
      .then(
        () => {},
        (error: unknown) =>
          this.options.log?.error({ err: error, runnerId: this.id }, 'runner heartbeat failed'),
      )
      .finally(() => {
        this.beating = undefined
      })
    return this.beating
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    // A beat under way lands before the stop, not on a database being closed.
    await this.beating
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
