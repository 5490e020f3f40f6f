import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EngineQueue } from '../../src/studio/engine-queue.ts'

/** Lets every pending promise callback run (no timers: the queue moves on microtasks only). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A queue whose tasks wait for the test: every job is offered with its name as its id, `started`
 * is the order they left the line, `finish(name)` ends one, and `moves` counts `onMove` calls.
 */
function harness(concurrency: number, limit: number) {
  let moves = 0
  const queue = new EngineQueue(concurrency, limit, { onMove: () => moves++ })
  const started: string[] = []
  const finishers = new Map<string, () => void>()
  const outcomes = new Map<string, Promise<string>>()
  return {
    queue,
    started,
    outcomes,
    get moves() {
      return moves
    },
    offer(account: string, name: string) {
      const offered = queue.offer(
        account,
        () => {
          started.push(name)
          return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)))
        },
        name,
      )
      if (offered) {
        offered.catch(() => {})
        outcomes.set(name, offered)
      }
      return offered
    },
    async finish(name: string) {
      const f = finishers.get(name)
      if (!f) throw new Error(`${name} has not started`)
      finishers.delete(name)
      f()
      await settle()
    },
    running: () => [...finishers.keys()],
  }
}

describe('EngineQueue: each waiting job’s place in line', () => {
  it('follows the fair order: another account’s one job is 1st in line behind 3 of the first’s', () => {
    const h = harness(1, 100)
    for (const name of ['a1', 'a2', 'a3', 'a4']) h.offer('acct_a', name)
    h.offer('acct_b', 'b1')
    h.offer('acct_c', 'c1')
    expect(h.started).toEqual(['a1'])
    // a1 runs; the next round takes b1 and c1 before a2 (a had its turn), then a3, a4.
    expect(Object.fromEntries(h.queue.positions())).toEqual({ b1: 1, c1: 2, a2: 3, a3: 4, a4: 5 })
    for (const name of ['b1', 'c1', 'a2', 'a3', 'a4']) {
      expect(h.queue.positionOf(name)).toBe(h.queue.positions().get(name))
    }
    expect(h.queue.positionOf('a1')).toBeNull()
    expect(h.queue.positionOf('nobody')).toBeNull()
  })

  it('everyone behind moves up when a job starts, and again when one leaves the line', async () => {
    const h = harness(1, 100)
    for (const name of ['a1', 'a2', 'a3']) h.offer('acct_a', name)
    h.offer('acct_b', 'b1')
    expect(h.queue.positionOf('a3')).toBe(3)
    await h.finish('a1')
    expect(h.started).toEqual(['a1', 'b1'])
    expect(Object.fromEntries(h.queue.positions())).toEqual({ a2: 1, a3: 2 })
    const movesBefore = h.moves
    expect(h.queue.remove('a2', new Error('cancelled'))).toBe(true)
    expect(h.moves).toBeGreaterThan(movesBefore)
    expect(h.queue.positionOf('a3')).toBe(1)
    expect(h.queue.size).toEqual({ running: 1, waiting: 1 })
  })

  it('a job taken out of line never runs, its promise rejects with the reason, and the others run on', async () => {
    const h = harness(1, 100)
    h.offer('acct_a', 'a1')
    h.offer('acct_a', 'a2')
    h.offer('acct_b', 'b1')
    const reason = new Error('cancelled by its owner')
    expect(h.queue.remove('b1', reason)).toBe(true)
    await expect(h.outcomes.get('b1')).rejects.toBe(reason)
    // Twice, or a job that is running or unknown: nothing to take out.
    expect(h.queue.remove('b1', reason)).toBe(false)
    expect(h.queue.remove('a1', reason)).toBe(false)
    expect(h.queue.remove('zz', reason)).toBe(false)
    await h.finish('a1')
    await h.finish('a2')
    expect(h.started).toEqual(['a1', 'a2'])
    expect(h.queue.size).toEqual({ running: 0, waiting: 0 })
    // An account whose only waiting job left can offer again and is served.
    h.offer('acct_b', 'b2')
    expect(h.started).toEqual(['a1', 'a2', 'b2'])
  })

  it('taking out the job of an account that already had its turn keeps the round fair', async () => {
    const h = harness(1, 100)
    h.offer('acct_a', 'a1')
    h.offer('acct_a', 'a2')
    h.offer('acct_b', 'b1')
    h.queue.remove('a2', new Error('x'))
    // a had its turn this round: its next job still waits behind b's.
    h.offer('acct_a', 'a3')
    expect(Object.fromEntries(h.queue.positions())).toEqual({ b1: 1, a3: 2 })
    await h.finish('a1')
    expect(h.started).toEqual(['a1', 'b1'])
  })

  it('ids must be unique among the waiting jobs', () => {
    const h = harness(1, 10)
    h.offer('acct_a', 'a1')
    h.offer('acct_a', 'a2')
    expect(() => h.offer('acct_b', 'a2')).toThrow(/already waiting/)
  })

  it('model: the places read at any moment are the order the jobs then start in, as long as none joins', async () => {
    type Op =
      | { kind: 'offer'; account: number }
      | { kind: 'finish'; pick: number }
      | { kind: 'remove'; pick: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), account: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { maxLength: 60 }),
        async (concurrency, ops) => {
          const h = harness(concurrency, 40)
          let serial = 0
          const waiting = () => [...h.queue.positions().keys()]
          for (const o of ops) {
            if (o.kind === 'offer') h.offer(`acct_${o.account}`, `j${++serial}`)
            else if (o.kind === 'finish') {
              const running = h.running()
              if (running.length > 0) await h.finish(running[o.pick % running.length]!)
            } else {
              const names = waiting()
              if (names.length > 0) h.queue.remove(names[o.pick % names.length]!, new Error('x'))
            }
            // Each place read alone is the place read with all the others, and they are 1 … waiting.
            const places = h.queue.positions()
            expect(places.size).toBe(h.queue.size.waiting)
            expect([...places.values()].sort((a, b) => a - b)).toEqual(
              Array.from({ length: places.size }, (_, i) => i + 1),
            )
            for (const [name, place] of places) expect(h.queue.positionOf(name)).toBe(place)
          }
          // Drain without new offers: jobs start in the order of their places.
          const places = h.queue.positions()
          const order = [...places.keys()].sort((a, b) => places.get(a)! - places.get(b)!)
          const before = h.started.length
          while (h.running().length > 0) await h.finish(h.running()[0]!)
          expect(h.started.slice(before)).toEqual(order)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads cheaply with thousands waiting', () => {
    const h = harness(1, 10_000)
    for (let i = 0; i < 5000; i++) h.offer(`acct_${i % 50}`, `j${i}`)
    const started = performance.now()
    const places = h.queue.positions()
    for (let i = 1; i < 5000; i += 97) expect(h.queue.positionOf(`j${i}`)).toBe(places.get(`j${i}`))
    // Not a benchmark: a generous bound that an O(waiting²) reading would not meet.
    expect(performance.now() - started).toBeLessThan(1000)
    expect(places.size).toBe(4999)
  })
})
