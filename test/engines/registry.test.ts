import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import type { ImageEngine } from '../../src/engines/engine.ts'
import { createEngines, ENGINES } from '../../src/engines/registry.ts'

async function made(env: Record<string, string>): Promise<ImageEngine[]> {
  return createEngines(loadConfig(env).engines)
}

async function closeAll(engines: ImageEngine[]): Promise<void> {
  await Promise.all(engines.map((engine) => engine.close?.()))
}

describe('the engine registry', () => {
  it('lists each engine once, sketch first', () => {
    const names = ENGINES.map((engine) => engine.name)
    expect(names[0]).toBe('sketch')
    expect(names).toEqual(expect.arrayContaining(['openai', 'sdwebui']))
    expect(new Set(names).size).toBe(names.length)
  })

  it('makes sketch alone by default', async () => {
    const engines = await made({})
    expect(engines.map((engine) => engine.name)).toEqual(['sketch'])
    await closeAll(engines)
  })

  it('makes each configured engine from its own settings, named as it is registered', async () => {
    const engines = await made({
      EASEL_OPENAI_API_KEY: 'sk-x',
      EASEL_OPENAI_MODELS: 'gpt-image-1-mini,dall-e-2',
      EASEL_SDWEBUI_URL: 'http://127.0.0.1:7860',
      EASEL_SDWEBUI_MODELS: 'sd_xl_base_1.0',
    })
    expect(engines.map((engine) => [engine.name, engine.models, engine.procedural])).toEqual([
      ['sketch', ['sketch'], true],
      ['openai', ['gpt-image-1-mini', 'dall-e-2'], false],
      ['sdwebui', ['sd_xl_base_1.0'], false],
    ])
    await closeAll(engines)
  })

  it('gives an engine with an empty model list its own default model', async () => {
    const engines = await made({ EASEL_OPENAI_API_KEY: 'sk-x', EASEL_OPENAI_MODELS: ' , ' })
    expect(engines.find((engine) => engine.name === 'openai')?.models).toEqual(['gpt-image-1'])
    await closeAll(engines)
  })
})
