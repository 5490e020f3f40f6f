import type { Database } from '../../src/db/open.ts'

/**
 * Records the SQL every write transaction runs while `fn` runs (`begin`, then each statement with
 * its whitespace collapsed), for tests that compare the work two paths do.
 */
export async function recordingSql(db: Database, fn: () => Promise<unknown>): Promise<string[]> {
  const pool = db.writePool
  const acquire = pool.acquire
  const restore: Array<() => void> = []
  const seen: string[] = []
  const patched = new WeakSet<object>()
  pool.acquire = async function (this: typeof pool) {
    const session = await acquire.call(this)
    if (patched.has(session)) return session
    patched.add(session)
    const tx = session.tx as unknown as Record<
      'all' | 'run' | 'write',
      (sql: string, ...rest: unknown[]) => unknown
    >
    for (const name of ['all', 'run', 'write'] as const) {
      const original = tx[name]!
      tx[name] = function (this: unknown, sql: string, ...rest: unknown[]) {
        seen.push(sql.replace(/\s+/g, ' ').trim())
        return original.call(this, sql, ...rest)
      }
      restore.push(() => {
        tx[name] = original
      })
    }
    const begin = session.begin
    session.begin = function (this: typeof session) {
      seen.push('begin')
      return begin.call(this)
    }
    restore.push(() => {
      session.begin = begin
    })
    return session
  }
  try {
    await fn()
    return seen
  } finally {
    pool.acquire = acquire
    for (const r of restore) r()
  }
}
