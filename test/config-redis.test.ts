import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('EASEL_REDIS_URL', () => {
  it('is off by default: limits in memory', () => {
    expect(loadConfig({}).redis).toBeNull()
  })

  it('reads a redis:// or rediss:// URL, with the default key prefix or one given', () => {
    expect(loadConfig({ EASEL_REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'easel:',
    })
    expect(
      loadConfig({
        EASEL_REDIS_URL: 'rediss://:pw@redis.example.com:6380/2',
        EASEL_REDIS_KEY_PREFIX: 'shop-a:',
      }).redis,
    ).toMatchObject({ url: 'rediss://:pw@redis.example.com:6380/2', keyPrefix: 'shop-a:' })
  })

  it('refuses what is not a Redis URL, without repeating it (it may hold a password)', () => {
    for (const url of ['http://127.0.0.1:6379', 'redis://', '127.0.0.1:6379', 'redis://:hunter2@h:6379/x']) {
      const problems = problemsOf({ EASEL_REDIS_URL: url })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^EASEL_REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/)
      expect(problems[0]).not.toContain('hunter2')
    }
  })

  it('refuses a key prefix without a URL, or with characters outside the safe set', () => {
    expect(problemsOf({ EASEL_REDIS_KEY_PREFIX: 'x:' })).toEqual([
      'EASEL_REDIS_KEY_PREFIX: set without EASEL_REDIS_URL (limits stay in memory)',
    ])
    expect(problemsOf({ EASEL_REDIS_URL: 'redis://h', EASEL_REDIS_KEY_PREFIX: 'a b' })[0]).toMatch(
      /^EASEL_REDIS_KEY_PREFIX: must be/,
    )
  })

  it('prints without the password', () => {
    const { redis } = loadConfig({ EASEL_REDIS_URL: 'redis://user:hunter2@redis.internal:6379/1' })
    expect(JSON.stringify(redis)).not.toContain('hunter2')
    expect(inspect(redis)).not.toContain('hunter2')
    expect(JSON.stringify(redis)).toContain('redis://redis.internal:6379/1')
  })
})
