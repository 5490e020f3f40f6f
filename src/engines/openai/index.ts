import { z } from 'zod'
import type { EngineDeps, ImageEngine } from '../engine.ts'
import { modelList } from '../model-list.ts'
import { OpenAiEngine } from './engine.ts'

export const name = 'openai'

export interface OpenAiSettings {
  readonly baseURL: string
  readonly apiKey: string
  readonly models: readonly string[]
}

/** On when EASEL_OPENAI_API_KEY is set. */
export const configSchema = z
  .object({
    EASEL_OPENAI_API_KEY: z.string().optional(),
    EASEL_OPENAI_BASE_URL: z.string().url('must be a URL').default('https://api.openai.com/v1'),
    EASEL_OPENAI_MODELS: modelList('gpt-image-1'),
  })
  .transform((e): OpenAiSettings | null =>
    e.EASEL_OPENAI_API_KEY
      ? { baseURL: e.EASEL_OPENAI_BASE_URL, apiKey: e.EASEL_OPENAI_API_KEY, models: e.EASEL_OPENAI_MODELS }
      : null,
  )

export function create(settings: OpenAiSettings, _deps: EngineDeps): ImageEngine {
  return new OpenAiEngine({ baseURL: settings.baseURL, apiKey: settings.apiKey, models: settings.models })
}
