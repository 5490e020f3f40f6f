import { describe, expect, it, vi } from 'vitest'
import type { IdPrefix } from '../../src/util/ids.ts'

/** A fresh copy of the module, so that no id made by an earlier test affects the next. */
async function freshNewId() {
  vi.resetModules()
  return (await import('../../src/util/ids.ts')).newId
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const BODY = /^[0-9a-hjkmnp-tv-z]{26}$/

/** The millisecond timestamp written in the first ten characters of an id's body. */
function timeOf(id: string): number {
  const body = id.slice(id.indexOf('_') + 1)
  let ms = 0
  for (const ch of body.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch)
  return ms
}

describe('newId', () => {
  it.each<IdPrefix>(['acct', 'lot', 'hold', 'txn', 'job', 'img', 'user', 'key', 'pur'])(
    'starts a %s id with its prefix and 26 lower-case Crockford base32 characters',
    async (prefix) => {
      const newId = await freshNewId()
      const id = newId(prefix)
      expect(id.startsWith(`${prefix}_`)).toBe(true)
      expect(id.slice(prefix.length + 1)).toMatch(BODY)
    },
  )

  it('writes the creation time into the id', async () => {
    const newId = await freshNewId()
    const at = Date.UTC(2026, 10, 25, 12, 30, 45, 123)
    expect(timeOf(newId('job', at))).toBe(at)
    expect(timeOf(newId('job', at + 1))).toBe(at + 1)
  })

  it('is strictly increasing within a process, thousands of times in one millisecond', async () => {
    const newId = await freshNewId()
    const at = Date.UTC(2026, 0, 1)
    const made = Array.from({ length: 10_000 }, () => newId('txn', at))
    for (let i = 1; i < made.length; i++) expect(made[i]! > made[i - 1]!).toBe(true)
    expect(new Set(made).size).toBe(made.length)
  })

  it('is strictly increasing on the real clock', async () => {
    const newId = await freshNewId()
    const made = Array.from({ length: 5_000 }, () => newId('hold'))
    for (let i = 1; i < made.length; i++) expect(made[i]! > made[i - 1]!).toBe(true)
  })

  it('stays increasing when the clock goes backwards', async () => {
    const newId = await freshNewId()
    const at = Date.UTC(2026, 5, 1)
    const first = newId('lot', at)
    const earlier = newId('lot', at - 60_000)
    expect(earlier > first).toBe(true)
    expect(timeOf(earlier)).toBe(at)
  })

  it('sorts by creation time: an id made a millisecond later sorts after, whatever its random part', async () => {
    const newId = await freshNewId()
    const start = Date.UTC(2026, 0, 1)
    const made: string[] = []
    for (let ms = start; ms < start + 200; ms++) made.push(newId('img', ms), newId('img', ms))
    expect([...made].sort()).toEqual(made)
    expect(made.map(timeOf)).toEqual(made.map((_, i) => start + Math.floor(i / 2)))
  })

  it('gives different random parts to ids made in different milliseconds', async () => {
    const newId = await freshNewId()
    const a = newId('key', Date.UTC(2026, 0, 1))
    const b = newId('key', Date.UTC(2026, 0, 1) + 1)
    expect(a.slice(-16)).not.toBe(b.slice(-16))
  })
})
