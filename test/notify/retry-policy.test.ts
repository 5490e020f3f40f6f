import { describe, expect, it } from 'vitest'
import { afterFailure, DEFAULT_RETRY } from '../../src/notify/index.ts'

const MINUTE = 60_000

describe('afterFailure: when a mail that was not sent is tried again', () => {
  it('waits 1, 2, 4, 8, 16 and 32 minutes, then an hour, and gives up after the 8th attempt', () => {
    const waits: number[] = []
    for (let attempts = 1; attempts < DEFAULT_RETRY.maxAttempts; attempts++) {
      const next = afterFailure(attempts, false, 1_000)
      if (!next.retry) throw new Error(`gave up after ${attempts}`)
      waits.push((next.at - 1_000) / MINUTE)
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60])
    expect(afterFailure(8, false, 0)).toEqual({ retry: false, reason: 'attempts' })
    expect(afterFailure(9, false, 0)).toEqual({ retry: false, reason: 'attempts' })
  })

  it('gives up at once on a permanent refusal, whatever the attempt', () => {
    expect(afterFailure(1, true, 0)).toEqual({ retry: false, reason: 'refused' })
    expect(afterFailure(5, true, 0)).toEqual({ retry: false, reason: 'refused' })
  })

  it('stays finite and capped however large the count, under a policy that never gives up', () => {
    const policy = { maxAttempts: Number.MAX_SAFE_INTEGER, firstDelayMs: MINUTE, maxDelayMs: 3_600_000 }
    expect(afterFailure(10_000, false, 0, policy)).toEqual({ retry: true, at: 3_600_000 })
  })

  it('refuses an attempt count below 1 (a bug in the caller)', () => {
    expect(() => afterFailure(0, false, 0)).toThrow(/attempts/)
    expect(() => afterFailure(1.5, false, 0)).toThrow(/attempts/)
  })
})
