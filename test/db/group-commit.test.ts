import { describe, expect, it } from 'vitest'
import { LedgerInvariantError } from '../../src/credits/index.ts'
import {
  GroupCommitter,
  InvariantViolation,
  type SqlTx,
  UnexpectedRowCount,
  type WriteOp,
  type WritePool,
  type WriteSession,
  writeAlone,
} from '../../src/db/writer/index.ts'
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
): WriteOp<unknown> {
  return {
    name,
    locks: { accounts },
    run: async (_tx, now) => {
      log.push(`run ${name}`)
      return effect([...log, String(now)])
    },
  }
}

describe('group commit', () => {
  it('runs operations submitted together in one transaction and one commit, each with its own answer', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool)
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((name, i) => committer.write(op(name, () => i * 10, f.log, [`acct_${name}`]))),
    )
    expect(answers).toEqual([0, 10, 20])
    expect(f.commits()).toBe(1)
    expect(f.log).toEqual(['begin', 'lock acct_a,acct_b,acct_c|', 'run a', 'run b', 'run c', 'commit'])
  })

  it('answers nobody before the commit that makes their work durable', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool)
    const seenAtAnswer: string[][] = []
    await Promise.all(
      ['a', 'b'].map((name) =>
        committer.write(op(name, () => name, f.log)).then(() => seenAtAnswer.push([...f.log])),
      ),
    )
    for (const seen of seenAtAnswer) expect(seen.at(-1)).toBe('commit')
  })

  it('reruns each operation of a failed batch alone, so one failure does not fail its neighbours', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool)
    const results = await Promise.allSettled([
      committer.write(op('good1', () => 'ok1', f.log)),
      committer.write(
        op(
          'bad',
          () => {
            throw new Error('boom')
          },
          f.log,
        ),
      ),
      committer.write(op('good2', () => 'ok2', f.log)),
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
    const committer = new GroupCommitter(f.pool)
    f.failNextCommit()
    expect(await committer.write(op('a', () => 'done', f.log))).toBe('done')
    expect(f.log).toEqual(['begin', 'lock |', 'run a', 'rollback', 'begin', 'lock |', 'run a', 'commit'])
  })

  it('keeps batches within maxBatch', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, { maxBatch: 2 })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => committer.write(op(name, () => name, f.log))))
    expect(f.commits()).toBe(3)
  })

  it("reads `now` from each operation's own clock, inside the transaction", async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool)
    const early = new ManualClock(1_000)
    const late = new ManualClock(2_000)
    const nows = await Promise.all([
      committer.write(
        op('a', (seen) => seen.at(-1), f.log),
        early,
      ),
      committer.write(
        op('b', (seen) => seen.at(-1), f.log),
        late,
      ),
    ])
    expect(nows).toEqual(['1000', '2000'])
    expect(f.commits()).toBe(1)
  })

  it('never retries a broken invariant, whatever its error code says', async () => {
    for (const bug of [
      new LedgerInvariantError('negative balance'),
      new UnexpectedRowCount('update accounts set …', 1, 0),
      // A bug that happens to carry a code group commit would otherwise retry.
      Object.assign(new InvariantViolation('duplicate journal row'), { code: '23505' }),
    ]) {
      const f = fakePool()
      const committer = new GroupCommitter(f.pool)
      let runs = 0
      const thrown = await committer
        .write(
          op(
            'bug',
            () => {
              runs++
              throw bug
            },
            f.log,
          ),
        )
        .catch((e: unknown) => e)
      expect(thrown).toBe(bug)
      expect(bug).toBeInstanceOf(InvariantViolation)
      // Once in the batch, once alone to find out whose it was; never again.
      expect(runs).toBe(2)
    }
  })

  it('retries a unique violation alone (a racing duplicate), up to maxRetries', async () => {
    const f = fakePool()
    const committer = new GroupCommitter(f.pool, { maxRetries: 3 })
    let runs = 0
    const duplicate = Object.assign(new Error('duplicate key'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
    const thrown = await committer
      .write(
        op(
          'dup',
          () => {
            runs++
            throw duplicate
          },
          f.log,
        ),
      )
      .catch((e: unknown) => e)
    expect(thrown).toBe(duplicate)
    expect(runs).toBe(1 + 1 + 3)
  })

  it('writeAlone runs one operation in a transaction of its own and rolls it back when it throws', async () => {
    const f = fakePool()
    expect(
      await writeAlone(
        f.pool,
        op('a', () => 'done', f.log),
        new ManualClock(),
      ),
    ).toBe('done')
    await expect(
      writeAlone(
        f.pool,
        op(
          'b',
          () => {
            throw new Error('no')
          },
          f.log,
        ),
      ),
    ).rejects.toThrow('no')
    expect(f.log).toEqual(['begin', 'lock |', 'run a', 'commit', 'begin', 'lock |', 'run b', 'rollback'])
  })
})
