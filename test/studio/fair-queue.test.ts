import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EngineQueue } from '../../src/studio/engine-queue.ts'

/** Lets every pending promise callback run (no timers: the queue moves on microtasks only). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A queue whose tasks each wait for the test to finish them: `started` is the order tasks left the
 * queue, `finish(name)` ends one.
 */
function harness(concurrency: number, limit: number) {
  const queue = new EngineQueue(concurrency, limit)
  const started: string[] = []
  const finishers = new Map<string, { resolve(): void; reject(e: Error): void }>()
  const outcomes = new Map<string, Promise<string> | null>()
  return {
    queue,
    started,
    offer(account: string, name: string) {
      const offered = queue.offer(account, () => {
        started.push(name)
        return new Promise<string>((resolve, reject) => {
          finishers.set(name, { resolve: () => resolve(name), reject })
        })
      })
      outcomes.set(name, offered)
      return offered
    },
    async finish(name: string, error?: Error) {
      const f = finishers.get(name)
      if (!f) throw new Error(`${name} has not started`)
      finishers.delete(name)
      if (error) f.reject(error)
      else f.resolve()
      await settle()
    },
    running: () => [...finishers.keys()],
  }
}

describe('EngineQueue: fair across accounts', () => {
  it('one account’s 200 waiting jobs do not stand before another account’s one', async () => {
    const h = harness(1, 1000)
    for (let i = 1; i <= 201; i++) h.offer('acct_a', `a${i}`)
    h.offer('acct_b', 'b1')
    expect(h.started).toEqual(['a1'])
    expect(h.queue.size).toEqual({ running: 1, waiting: 201 })
    await h.finish('a1')
    expect(h.started).toEqual(['a1', 'b1'])
    await h.finish('b1')
    await h.finish('a2')
    expect(h.started).toEqual(['a1', 'b1', 'a2', 'a3'])
  })

  it('takes waiting jobs round-robin, each account’s own in the order offered', async () => {
    const h = harness(1, 1000)
    h.offer('acct_a', 'a1')
    for (const name of ['a2', 'a3', 'a4']) h.offer('acct_a', name)
    for (const name of ['b1', 'b2']) h.offer('acct_b', name)
    h.offer('acct_c', 'c1')
    for (let i = 0; i < 6; i++) await h.finish(h.running()[0]!)
    expect(h.started).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4'])
    await h.finish('a4')
    expect(h.queue.size).toEqual({ running: 0, waiting: 0 })
  })

  it('an account that keeps one job waiting cannot starve one with many', async () => {
    const h = harness(1, 1000)
    for (let i = 1; i <= 5; i++) h.offer('acct_a', `a${i}`)
    let c = 1
    h.offer('acct_c', 'c1')
    for (let step = 0; step < 6; step++) {
      await h.finish(h.running()[0]!)
      // c offers its next job as soon as its previous one has started.
      if (h.started.includes(`c${c}`)) h.offer('acct_c', `c${++c}`)
    }
    expect(h.started).toEqual(['a1', 'c1', 'a2', 'c2', 'a3', 'c3', 'a4'])
  })

  it('runs up to `concurrency` at once and starts the next when one ends, even a failed one', async () => {
    const h = harness(2, 10)
    const a1 = h.offer('acct_a', 'a1')
    h.offer('acct_a', 'a2')
    h.offer('acct_a', 'a3')
    h.offer('acct_b', 'b1')
    expect(h.started).toEqual(['a1', 'a2'])
    expect(h.queue.size).toEqual({ running: 2, waiting: 2 })
    const failed = expect(a1).rejects.toThrow('engine down')
    await h.finish('a1', new Error('engine down'))
    await failed
    expect(h.started).toEqual(['a1', 'a2', 'b1'])
    expect(h.queue.size).toEqual({ running: 2, waiting: 1 })
  })

  it('a task that throws before returning its promise frees its slot', async () => {
    const queue = new EngineQueue(1, 10)
    const thrown = queue.offer('acct_a', () => {
      throw new TypeError('a bug')
    })
    await expect(thrown).rejects.toThrow('a bug')
    await settle()
    expect(queue.size).toEqual({ running: 0, waiting: 0 })
    await expect(queue.offer('acct_a', async () => 'ran')).resolves.toBe('ran')
  })

  it('refuses beyond the limit of waiting jobs (whoever offers), and the refused task never runs', async () => {
    const h = harness(1, 2)
    h.offer('acct_a', 'a1')
    h.offer('acct_a', 'a2')
    h.offer('acct_b', 'b1')
    expect(h.queue.hasRoom()).toBe(false)
    expect(h.offer('acct_c', 'c1')).toBeNull()
    expect(h.queue.size).toEqual({ running: 1, waiting: 2 })
    await h.finish('a1')
    expect(h.queue.hasRoom()).toBe(true)
    for (const name of ['b1', 'a2']) await h.finish(name)
    expect(h.started).toEqual(['a1', 'b1', 'a2'])
  })

  it('model: bounded, every job runs once in its account’s order, nobody waits through two turns of another', async () => {
    type Op = { kind: 'offer'; account: number } | { kind: 'finish'; pick: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), account: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(op, { maxLength: 80 }),
        async (concurrency, limit, ops) => {
          const h = harness(concurrency, limit)
          const offered = new Map<string, string[]>()
          const accountOf = new Map<string, string>()
          /** For each account waiting when another's job started: what it was waiting behind. */
          const waitingSince = new Map<string, Set<string>>()
          let serial = 0
          const check = () => {
            const { running, waiting } = h.queue.size
            expect(running).toBeLessThanOrEqual(concurrency)
            expect(waiting).toBeLessThanOrEqual(limit)
            expect(running).toBe(h.running().length)
          }
          let seen = 0
          const observeStarts = () => {
            for (; seen < h.started.length; seen++) {
              const name = h.started[seen]!
              const account = accountOf.get(name)!
              // Whoever was waiting when this account last started must have started since.
              for (const [other, behind] of waitingSince) {
                if (behind.has(account) && other !== account) {
                  throw new Error(`${account} started twice while ${other} waited`)
                }
              }
              waitingSince.get(account)?.clear()
              for (const [other, behind] of waitingSince) {
                if (other !== account && hasWaiting(other)) behind.add(account)
              }
            }
          }
          const hasWaiting = (account: string) =>
            (offered.get(account) ?? []).some((name) => !h.started.includes(name))
          for (const o of ops) {
            if (o.kind === 'offer') {
              const account = `acct_${o.account}`
              const name = `${account}-${++serial}`
              const room = h.queue.hasRoom()
              accountOf.set(name, account)
              if (!waitingSince.has(account)) waitingSince.set(account, new Set())
              const wasWaiting = hasWaiting(account)
              const result = h.offer(account, name)
              expect(result === null).toBe(!room)
              if (result) {
                offered.set(account, [...(offered.get(account) ?? []), name])
                if (!wasWaiting) waitingSince.get(account)!.clear()
              }
            } else {
              const running = h.running()
              if (running.length > 0) await h.finish(running[o.pick % running.length]!)
            }
            observeStarts()
            check()
          }
          while (h.running().length > 0) {
            await h.finish(h.running()[0]!)
            observeStarts()
            check()
          }
          expect(h.queue.size).toEqual({ running: 0, waiting: 0 })
          for (const [account, names] of offered) {
            expect(h.started.filter((n) => accountOf.get(n) === account)).toEqual(names)
          }
        },
      ),
      {
        numRuns: 200,
        examples: [
          // c offers again each time its job starts, while a has jobs waiting: they must alternate.
          [
            1,
            8,
            [
              ...[0, 0, 0, 1].map((account) => ({ kind: 'offer' as const, account })),
              ...[0, 0, 1, 0, 1].map((i) =>
                i === 0 ? { kind: 'finish' as const, pick: 0 } : { kind: 'offer' as const, account: 1 },
              ),
              { kind: 'finish' as const, pick: 0 },
            ],
          ],
        ],
      },
    )
  })
})
