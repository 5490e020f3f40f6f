import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'

// EASEL_MODERATION and EASEL_MODERATION_CATEGORIES (src/config-moderation.ts).

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected loadConfig to refuse this environment')
}

const KEY = { EASEL_OPENAI_API_KEY: 'sk-test-0123456789SECRET' }

describe('loadConfig: moderation', () => {
  it('is off by default', () => {
    expect(loadConfig({}).moderation).toBeNull()
    expect(loadConfig({ ...KEY, EASEL_MODERATION: 'off' }).moderation).toBeNull()
  })

  it("EASEL_MODERATION=openai uses the openai engine's key and base URL", () => {
    expect(loadConfig({ ...KEY, EASEL_MODERATION: 'openai' }).moderation).toEqual({
      service: 'openai',
      apiKey: 'sk-test-0123456789SECRET',
      baseURL: 'https://api.openai.com/v1',
      categories: null,
    })
    const local = loadConfig({
      ...KEY,
      EASEL_OPENAI_BASE_URL: 'http://10.0.0.5:8000/v1',
      EASEL_MODERATION: 'openai',
    })
    expect(local.moderation?.baseURL).toBe('http://10.0.0.5:8000/v1')
  })

  it('is a clear configuration error without a key', () => {
    expect(problemsOf({ EASEL_MODERATION: 'openai' })).toEqual([
      "EASEL_MODERATION: openai moderation uses the openai engine's key: set EASEL_OPENAI_API_KEY (and EASEL_OPENAI_BASE_URL for a host other than api.openai.com)",
    ])
  })

  it('refuses a service it does not know', () => {
    expect(problemsOf({ EASEL_MODERATION: 'azure' })).toEqual(['EASEL_MODERATION: must be off or openai'])
  })

  it('EASEL_MODERATION_CATEGORIES limits the categories that refuse, checked against OpenAI’s', () => {
    const config = loadConfig({
      ...KEY,
      EASEL_MODERATION: 'openai',
      EASEL_MODERATION_CATEGORIES: ' sexual/minors, Violence/graphic ,sexual/minors',
    })
    expect(config.moderation?.categories).toEqual(['sexual/minors', 'violence/graphic'])
    expect(
      problemsOf({ ...KEY, EASEL_MODERATION: 'openai', EASEL_MODERATION_CATEGORIES: 'violence,gore,nudity' }),
    ).toEqual([
      expect.stringMatching(
        /^EASEL_MODERATION_CATEGORIES: "gore", "nudity" are not categories of OpenAI's moderation \(harassment, .*violence\/graphic\)$/,
      ),
    ])
    expect(problemsOf({ EASEL_MODERATION_CATEGORIES: 'violence' })).toEqual([
      'EASEL_MODERATION_CATEGORIES: set while EASEL_MODERATION is off',
    ])
  })

  it('lists a moderation problem with every other problem at once', () => {
    const problems = problemsOf({ EASEL_MODERATION: 'openai', PORT: 'eighty' })
    expect(problems).toEqual([expect.stringMatching(/^PORT: /)])
    // The schema's problems come first; the rest once the schema passes.
    expect(problemsOf({ EASEL_MODERATION: 'openai', EASEL_ADMIN_EMAIL: 'a@b.test' })).toHaveLength(2)
  })

  it('never prints the key: not in JSON, not through util.inspect', () => {
    const config = loadConfig({ ...KEY, EASEL_MODERATION: 'openai' })
    expect(JSON.stringify(config.moderation)).not.toMatch(/SECRET/)
    expect(inspect(config.moderation)).not.toMatch(/SECRET/)
    expect(JSON.parse(JSON.stringify(config.moderation))).toEqual({
      service: 'openai',
      baseURL: 'https://api.openai.com/v1',
      categories: null,
    })
    expect(Object.isFrozen(config.moderation)).toBe(true)
  })
})
