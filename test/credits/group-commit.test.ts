import { describe, expect, it } from 'vitest'
import { GroupCommitter, type LedgerOp } from '../../src/credits/group-commit.ts'
import type { SqlTx, WritePool, WriteSession } from '../../src/db/sql-session.ts'
import { ManualClock } from '../../src/util/clock.ts'

/** A write pool that records what happens on it instead of talking to a database. */
function fakePool(concurrency = 1) {
  const log: string[] = []
  let commits = 0
  let failNextCommit = false
  const tx: SqlTx = {
    dialect: 'sqlite',
    all: async () => [],
    run: async () => 0,
    write: () => {},
    lockAccounts: async (accounts, holds) => {
      log.push(`lock ${[...accounts].sort().join(',')}|${[...holds].sort().join(',')}`)
    },
  }
  const session: WriteSession = {
    tx,
    begin: async () => {
      log.push('begin')
    },
    commit: async () => {
      if (failNextCommit) {
        failNextCommit = false
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' })
      }
      commits++
      log.push('commit')
    },
    rollback: async () => {
      log.push('rollback')
    },
    release: () => {},
  }
  const pool: WritePool = { concurrency, acquire: async () => session }
  return {
    pool,
    log,
    commits: () => commits,
    failNextCommit: () => {
      failNextCommit = true
    },
  }
}

function op(
  name: string,
  effect: (log: string[]) => unknown,
  log: string[],
  accounts: string[] = [],
): LedgerOp<unknown> {
  return {
    name,
    locks: { accounts },
    run: async () => {
      log.push(`run ${name}`)
      return effect(log)
    },
  }
}

describe('group commit', () => {
  it('runs operations submitted together in one transaction and one commit, each with its own answer', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, new ManualClock())
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((name, i) => committer.execute(op(name, () => i * 10, f.log, [`acct_${name}`]))),
    )
    expect(answers).toEqual([0, 10, 20])
    expect(f.commits()).toBe(1)
    expect(f.log).toEqual(['begin', 'lock acct_a,acct_b,acct_c|', 'run a', 'run b', 'run c', 'commit'])
  })

  it('answers nobody before the commit that makes their work durable', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, new ManualClock())
    const seenAtAnswer: string[][] = []
    await Promise.all(
      ['a', 'b'].map((name) =>
        committer.execute(op(name, () => name, f.log)).then(() => seenAtAnswer.push([...f.log])),
      ),
    )
    for (const seen of seenAtAnswer) expect(seen.at(-1)).toBe('commit')
  })

  it('reruns each operation of a failed batch alone, so one failure does not fail its neighbours', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, new ManualClock())
    const results = await Promise.allSettled([
      committer.execute(op('good1', () => 'ok1', f.log)),
      committer.execute(
        op(
          'bad',
          () => {
            throw new Error('boom')
          },
          f.log,
        ),
      ),
      committer.execute(op('good2', () => 'ok2', f.log)),
    ])
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'ok1',
      'boom',
      'ok2',
    ])
    // The batch, rolled back; then good1, bad (rolled back), good2, each in a transaction of its own.
    expect(f.log.filter((l) => l === 'rollback')).toHaveLength(2)
    expect(f.commits()).toBe(2)
  })

  it('retries an operation alone after a lock conflict at commit', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, new ManualClock())
    f.failNextCommit()
    expect(await committer.execute(op('a', () => 'done', f.log))).toBe('done')
    expect(f.log).toEqual(['begin', 'lock |', 'run a', 'rollback', 'begin', 'lock |', 'run a', 'commit'])
  })

  it('keeps batches within maxBatch', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, new ManualClock(), { maxBatch: 2 })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => committer.execute(op(name, () => name, f.log))))
    expect(f.commits()).toBe(3)
  })
})
